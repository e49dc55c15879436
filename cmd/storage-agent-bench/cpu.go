package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// cpuacctRoot is the cgroup v1 cpuacct hierarchy.
const cpuacctRoot = "/sys/fs/cgroup/cpuacct"

// Which server a measurement is of.
const (
	sideOurs = "ours" // the storage-agent daemon and its workers
	sideRef  = "ref"  // sshd (and every process it forks), nginx
)

// cpuMeter measures the CPU time each side's servers spend, by cgroup:
// the bench puts every daemon it starts, sshd and nginx into a cgroup of
// its side (what they fork inherits it), and storage-agent's workers and
// the rsync processes they start live in the daemon's own cgroups under
// /storage-agent. Reading cpuacct.usage before and after a transfer gives
// the server's CPU seconds for it, whatever processes did the work.
type cpuMeter struct {
	dir string // this run's cgroup under cpuacctRoot; "" when not measurable
}

// newCPUMeter makes the run's cgroups; without cgroup v1 cpuacct (or root)
// it returns a meter that measures nothing and says so in the report.
func newCPUMeter() *cpuMeter {
	dir := filepath.Join(cpuacctRoot, "sa-bench-"+strconv.Itoa(os.Getpid()))
	for _, side := range []string{sideOurs, sideRef} {
		if err := os.MkdirAll(filepath.Join(dir, side), 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "bench: no CPU accounting (%v)\n", err)
			return &cpuMeter{}
		}
	}
	return &cpuMeter{dir: dir}
}

// adopt moves pid (and so what it forks from now on) into side's cgroup.
func (m *cpuMeter) adopt(side string, pid int) {
	if m.dir == "" {
		return
	}
	f := filepath.Join(m.dir, side, "cgroup.procs")
	if err := os.WriteFile(f, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "bench: CPU accounting of pid %d: %v\n", pid, err)
	}
}

// usage returns the CPU time side's servers have used so far, and of it
// the part storage-agent's workers used (0 for the reference).
func (m *cpuMeter) usage(side string) (total, workers time.Duration) {
	if m.dir == "" {
		return 0, 0
	}
	total = cgroupUsage(filepath.Join(m.dir, side))
	if side == sideOurs {
		workers = cgroupUsage(filepath.Join(cpuacctRoot, "storage-agent"))
	}
	return total + workers, workers
}

// cgroupUsage reads a cpuacct cgroup's CPU time; 0 if it does not exist
// (yet: the workers' cgroup appears with the first session).
func cgroupUsage(dir string) time.Duration {
	b, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		return 0
	}
	ns, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return time.Duration(ns)
}

// close moves what is left of the run's processes back to the root cgroup
// and removes the run's cgroups.
func (m *cpuMeter) close() {
	if m.dir == "" {
		return
	}
	for _, side := range []string{sideOurs, sideRef} {
		if b, err := os.ReadFile(filepath.Join(m.dir, side, "cgroup.procs")); err == nil {
			for _, pid := range strings.Fields(string(b)) {
				_ = os.WriteFile(filepath.Join(cpuacctRoot, "cgroup.procs"), []byte(pid), 0o644)
			}
		}
		_ = os.Remove(filepath.Join(m.dir, side))
	}
	_ = os.Remove(m.dir)
}

// sample is one measured transfer: its wall-clock time, the CPU time the
// server spent on it (and of that, storage-agent's workers), and the CPU
// time its clients spent.
type sample struct{ wall, cpu, workers, client time.Duration }

// measure runs one transfer against side and samples it. The clients' CPU
// is what the bench's children that ended during the transfer used (sftp
// and scp wait for their ssh, rsync for its ssh, so each counts whole);
// it shows when the client, not the server, bounds a transfer.
func (m *cpuMeter) measure(side string, transfer func() (time.Duration, error)) (sample, error) {
	before, wBefore := m.usage(side)
	cBefore := childrenCPU()
	d, err := transfer()
	after, wAfter := m.usage(side)
	return sample{wall: d, cpu: after - before, workers: wAfter - wBefore, client: childrenCPU() - cBefore}, err
}

// childrenCPU is the user+system time of the bench's waited-for children.
func childrenCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// walls and cpus split samples into their two series.
func walls(s []sample) []time.Duration {
	return series(s, func(x sample) time.Duration { return x.wall })
}
func cpus(s []sample) []time.Duration {
	return series(s, func(x sample) time.Duration { return x.cpu })
}
func workerCPUs(s []sample) []time.Duration {
	return series(s, func(x sample) time.Duration { return x.workers })
}
func clientCPUs(s []sample) []time.Duration {
	return series(s, func(x sample) time.Duration { return x.client })
}

func series(s []sample, f func(sample) time.Duration) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, x := range s {
		out[i] = f(x)
	}
	return out
}
