package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// concurrentDownloads is how many downloads run at once in
// benchConcurrent, each over its own session on our side.
const concurrentDownloads = 4

// benchConcurrent measures aggregate download rates with several clients
// at once: sftp gets over separate sessions against as many from sshd,
// and webfs downloads over separate web sessions against as many from an
// nginx with one worker per core (what an operator would run).
func benchConcurrent(ctx context.Context, e *env, r *report) error {
	if err := placeBig(e); err != nil {
		return err
	}
	const n = concurrentDownloads
	total := int64(n) * e.o.bigSize
	vfid := "user:" + uuidOf("user:bench") + "/" + uuidOf("bench/data")
	ours, _ := e.targets()
	logins := []string{ours.login}
	for len(logins) < n {
		id, err := e.openSession(fmt.Sprintf("bench-c%d", len(logins)), vfid)
		if err != nil {
			return err
		}
		logins = append(logins, id)
	}
	o, f, err := alternate(ctx, e, func(t target) (time.Duration, error) {
		return atOnce(n, func(i int) error {
			login := t.login
			if t.name == ours.name {
				login = logins[i]
			}
			_, err := e.sftpClient(ctx, t.port, login, "get "+t.dir+"/big.bin /dev/null\n")
			return err
		})
	})
	if err != nil {
		return err
	}
	r.throughput(fmt.Sprintf("sftp get %d at once (aggregate)", n), total, o, f, 1.0)

	webs := make([]*webBench, n)
	for i := range webs {
		if webs[i], err = e.webLoginAs(fmt.Sprintf("bench-w%d", i)); err != nil {
			return err
		}
	}
	ngx, url, err := e.startNginxWorkers(ctx, true, 2)
	if err != nil {
		return err
	}
	defer stopNginx(ngx)
	ws, ns, err := alternateAgainst(ctx, e, "nginx", func(t target) (time.Duration, error) {
		if t.name == ours.name {
			return atOnce(n, func(i int) error {
				_, err := curlGet(ctx, webs[i].ca, webs[i].base+"/api/raw/data/big.bin", "X-Auth: "+webs[i].token)
				return err
			})
		}
		return atOnce(n, func(int) error { _, err := curlGet(ctx, webs[0].ca, url+"/big.bin"); return err })
	})
	if err != nil {
		return err
	}
	r.throughput(fmt.Sprintf("webfs download %d at once vs nginx", n), total, ws, ns, 1.0)
	return nil
}

// atOnce runs fn for 0..n-1 concurrently and returns the wall time until
// the last one ends, or the first error.
func atOnce(n int, fn func(i int) error) (time.Duration, error) {
	start := time.Now()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	d := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return d, nil
}
