package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// daemonRSS returns the daemon process's resident memory in bytes.
func daemonRSS(t *testing.T, d *daemon) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// stalledReader sends one download request over its own TLS connection,
// reads the status line and then never reads again, as the report's 400
// readers did. It returns the status code and the open connection.
func stalledReader(d *daemon, pool *x509.CertPool, token, path string) (int, net.Conn, error) {
	addr := strings.TrimPrefix(d.webURL, "https://")
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}})
	if err != nil {
		return 0, nil, err
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Auth: %s\r\n\r\n", path, addr, token)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReaderSize(c, 64).ReadString('\n')
	if err != nil {
		c.Close()
		return 0, nil, err
	}
	code, _ := strconv.Atoi(strings.Fields(line + " x x")[1])
	return code, c, nil
}

// TestWebReaderFloodIsBounded: 400 downloads of one web login that stop
// reading. Past session.max-web-requests they are refused with 429, the
// daemon's memory stays under the README's ceiling, and another session
// keeps downloading at its speed.
func TestWebReaderFloodIsBounded(t *testing.T) {
	d := startDaemon(t)
	attacker, aw, ahosts := d.webFolderSession(t, "flood-user", map[string]string{"data": "rw"})
	_ = attacker
	writeSeeded(t, filepath.Join(ahosts["data"], "big"), 64<<20, 1)
	chownTree(t, ahosts["data"])
	_, bw, bhosts := d.webFolderSession(t, "bystander-user", map[string]string{"data": "rw"})
	writeSeeded(t, filepath.Join(bhosts["data"], "big"), 256<<20, 2)
	chownTree(t, bhosts["data"])

	download := func() time.Duration {
		start := time.Now()
		resp := bw.resp("GET", "/api/raw/data/big", nil, nil)
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != 256<<20 || resp.StatusCode != 200 {
			t.Fatalf("bystander download: %d bytes, %v, status %d", n, err, resp.StatusCode)
		}
		return time.Since(start)
	}
	download() // warm the page cache
	before := download()
	rssBefore := daemonRSS(t, d)

	pem, err := os.ReadFile(aw.ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	var (
		mu     sync.Mutex
		conns  []net.Conn
		counts = map[int]int{}
		errs   []error
		wg     sync.WaitGroup
		gate   = make(chan struct{}, 40)
	)
	for range 400 {
		gate <- struct{}{}
		wg.Go(func() {
			defer func() { <-gate }()
			code, c, err := stalledReader(d, pool, aw.token, "/api/raw/data/big")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			counts[code]++
			conns = append(conns, c)
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if len(errs) > 0 {
		t.Fatalf("%d readers failed, first: %v", len(errs), errs[0])
	}
	if counts[200] != 32 || counts[429] != 368 {
		t.Fatalf("statuses %v, want 32 x 200 and 368 x 429", counts)
	}
	// A refusal says why and when to retry.
	code, body := aw.req("GET", "/api/raw/data/big", nil, nil)
	if code != 429 || !strings.Contains(string(body), "session.max-web-requests") {
		t.Fatalf("flooded session: %d %q", code, truncate(body))
	}
	time.Sleep(time.Second) // let the stalled downloads fill their buffers
	rssDuring := daemonRSS(t, d)
	// README: one session's web requests hold about 20 MiB of buffers at
	// the defaults; the heap may hold garbage up to GOGC=400 above that.
	const ceiling = 64 << 20
	if grew := rssDuring - rssBefore; grew > ceiling {
		t.Fatalf("daemon RSS grew by %d MiB (from %d MiB), ceiling %d MiB", grew>>20, rssBefore>>20, ceiling>>20)
	}
	during := download()
	t.Logf("daemon RSS %d -> %d MiB; bystander 256 MiB in %s before, %s during the flood",
		rssBefore>>20, rssDuring>>20, before.Round(time.Millisecond), during.Round(time.Millisecond))
	if during > 4*before+2*time.Second {
		t.Fatalf("bystander slowed from %s to %s", before, during)
	}
}

// TestSSHConnectionAndChannelBounds: past session.max-ssh-connections a
// login is refused with a banner that says why (shown by the real ssh),
// and past session.max-channels-per-connection a channel is refused with
// the reason; freeing one lets the next in.
func TestSSHConnectionAndChannelBounds(t *testing.T) {
	d := startDaemon(t, "--session.max-ssh-connections", "4", "--session.max-channels-per-connection", "3",
		"--session.max-ssh-channels", "5")
	x, _ := newXfer(t, d, "ssh-flood-user", false)
	writeSeeded(t, filepath.Join(x.host, "f"), 10, 1)
	cfg := &ssh.ClientConfig{User: x.s.ID, Auth: []ssh.AuthMethod{ssh.Password(x.s.Token)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
	var held []*ssh.Client
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 4 {
		c, err := ssh.Dial("tcp", d.sftp, cfg)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	// ssh takes the first value of an option: LogLevel=INFO (banners
	// shown) goes before the common options' ERROR.
	verbose := append(append([]string{"-o", "LogLevel=INFO"}, x.sshOpts(t)...), "-p", d.sftpPort, "-T", x.s.ID+"@127.0.0.1", "sha256sum /data/f")
	o, e, err := runClient(t, time.Minute, nil, "", "ssh", verbose...)
	if err == nil || !strings.Contains(e, "session.max-ssh-connections") {
		t.Fatalf("5th connection: %v\n%s%s", err, o, e)
	}

	// Channels: three open on one connection, the fourth refused; two
	// more on another, and the session's sixth refused.
	var open []ssh.Channel
	openChannel := func(c *ssh.Client, refusal string) {
		t.Helper()
		ch, reqs, err := c.OpenChannel("session", nil)
		if refusal == "" {
			if err != nil {
				t.Fatal(err)
			}
			go ssh.DiscardRequests(reqs)
			open = append(open, ch)
			return
		}
		var oce *ssh.OpenChannelError
		if !errors.As(err, &oce) || oce.Reason != ssh.ResourceShortage || !strings.Contains(oce.Message, refusal) {
			t.Fatalf("channel past %s: %v", refusal, err)
		}
	}
	for range 3 {
		openChannel(held[0], "")
	}
	openChannel(held[0], "session.max-channels-per-connection")
	openChannel(held[1], "")
	openChannel(held[1], "")
	openChannel(held[1], "session.max-ssh-channels")
	for _, ch := range open {
		ch.Close()
	}

	held[3].Close()
	held = held[:3]
	waitFor := time.Now().Add(10 * time.Second)
	for {
		o, e, err = runClient(t, time.Minute, nil, "", "ssh", verbose...)
		if err == nil || time.Now().After(waitFor) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || !strings.Contains(o, "/data/f") {
		t.Fatalf("after freeing a connection: %v\n%s%s", err, o, e)
	}
}
