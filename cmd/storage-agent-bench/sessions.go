package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func benchOpenLatency(ctx context.Context, e *env, r *report) error {
	vfid, _, err := e.createFolder("latency", "data")
	if err != nil {
		return err
	}
	var samples []time.Duration
	for i := 0; i < e.o.latency; i++ {
		start := time.Now()
		id, err := e.openSession("latency", vfid)
		if err != nil {
			return err
		}
		samples = append(samples, time.Since(start))
		if code, body, err := e.api("DELETE", "/sessions/"+id, nil); err != nil || code != 204 {
			return fmt.Errorf("close: %d %s %v", code, body, err)
		}
	}
	r.latency("POST /sessions (worker running)", samples, 50*time.Millisecond)
	return nil
}

func benchManySessions(ctx context.Context, e *env, r *report) error {
	n := e.o.sessions
	daemonBefore := rssKiB(e.agent.Process.Pid)
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			user := fmt.Sprintf("many-%d", i)
			vfid, _, err := e.createFolder(user, "data")
			if err == nil {
				ids[i], err = e.openSession(user, vfid)
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	took := time.Since(start)
	defer func() {
		for _, id := range ids {
			if id != "" {
				e.api("DELETE", "/sessions/"+id, nil)
			}
		}
	}()
	opened := 0
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("session %d of %d: %w", i, n, err)
		}
		opened++
	}
	time.Sleep(2 * time.Second) // let start-up garbage settle
	var status struct {
		Sessions struct{ Used int } `json:"sessions"`
	}
	_, body, _ := e.api("GET", "/status", nil)
	_ = json.Unmarshal(body, &status)

	var cgroupTotal, pssTotal int64
	counted := 0
	for _, id := range ids {
		if b, ok := cgroupMemory(id); ok {
			cgroupTotal += b
			counted++
		}
		if pid := workerPid(e.agentVar, id); pid > 0 {
			pssTotal += pssKiB(pid) * 1024
		}
	}
	// The daemon's RSS may shrink meanwhile (the GC returns memory): its
	// share is then counted as none, not as a negative.
	daemonGrowth := max(rssKiB(e.agent.Process.Pid)-daemonBefore, 0) * 1024
	perSession := float64(cgroupTotal+daemonGrowth) / float64(max(counted, 1))
	r.line(fmt.Sprintf("sessions open at once: %d opened in %s, status reports %d used (target: %d)",
		opened, took.Round(time.Millisecond), status.Sessions.Used, n), opened == n && status.Sessions.Used >= n)
	r.line(fmt.Sprintf("idle session memory: %.1f MiB (worker cgroup %.1f MiB + daemon share %.1f MiB; worker PSS %.1f MiB) (target <= 10 MiB)",
		perSession/(1<<20), float64(cgroupTotal)/float64(max(counted, 1))/(1<<20),
		float64(daemonGrowth)/float64(max(counted, 1))/(1<<20),
		float64(pssTotal)/float64(max(counted, 1))/(1<<20)), perSession <= 10<<20)
	return nil
}

// cgroupMemory reads a worker's cgroup memory charge (v1 or v2).
func cgroupMemory(id string) (int64, bool) {
	for _, pattern := range []string{
		"/sys/fs/cgroup/memory/storage-agent/*/" + id + "/memory.usage_in_bytes",
		"/sys/fs/cgroup/storage-agent/*/" + id + "/memory.current",
	} {
		if m, _ := filepath.Glob(pattern); len(m) == 1 {
			b, err := os.ReadFile(m[0])
			if err != nil {
				return 0, false
			}
			v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

func workerPid(varDir, id string) int {
	b, err := os.ReadFile(filepath.Join(varDir, "state", "containers", id, "state.json"))
	if err != nil {
		return 0
	}
	var st struct {
		Pid int `json:"init_process_pid"`
	}
	_ = json.Unmarshal(b, &st)
	return st.Pid
}

func rssKiB(pid int) int64 { return procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:") }
func pssKiB(pid int) int64 { return procField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:") }

func procField(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
