package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report collects result lines and prints them at the end.
type report struct{ lines []string }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func verdict(ok bool) string {
	if ok {
		return "MEETS TARGET"
	}
	return "BELOW TARGET"
}

// throughput records a side-by-side transfer: medians in MB/s, the ratio
// ours/reference against the target ratio, and each server's median CPU
// seconds per GiB moved (the figure that holds on a noisy VM).
func (r *report) throughput(name string, size int64, ours, ref []sample, target float64) {
	r.compare(name, "storage-agent", "reference", size, ours, ref, target, false)
}

// download is throughput for the downloads of issue 12, whose target also
// holds the server's median CPU per GiB to at most the reference's. It
// adds the ratio's ceiling: what it would be if the daemon itself took no
// CPU. The clients and the workers (which read the files, and run rsync)
// still need theirs, on the machine's cores, and a client that is one
// thread (oneThread: curl) needs its CPU time in wall time.
func (r *report) download(name string, size int64, ours, ref []sample, target float64, oneThread bool) {
	r.compare(name, "storage-agent", "reference", size, ours, ref, target, true)
	cli, wk := median(clientCPUs(ours)), median(workerCPUs(ours))
	if cli == 0 {
		return
	}
	floor := (cli + wk) / time.Duration(runtime.NumCPU())
	why := fmt.Sprintf("clients' + workers' CPU over %d cores", runtime.NumCPU())
	if oneThread && cli > floor {
		floor, why = cli, "the client's CPU, one thread"
	}
	r.lines[len(r.lines)-1] += fmt.Sprintf("\n%-34s   ceiling if the daemon took no CPU: %.2fx (%s)",
		"", median(walls(ref)).Seconds()/floor.Seconds(), why)
}

// compare is throughput with its own names for the two sides, for
// benchmarks where both sides are clients of one server (the browser UI
// against curl): the CPU is then that server's for each client.
func (r *report) compare(name, nameA, nameB string, size int64, a, b []sample, target float64, cpuCap bool) {
	ma, mb := median(walls(a)), median(walls(b))
	rateA := float64(size) / ma.Seconds() / 1e6
	rateB := float64(size) / mb.Seconds() / 1e6
	ratio := rateA / rateB
	gib := float64(size) / (1 << 30)
	cpuA, cpuB := median(cpus(a)).Seconds()/gib, median(cpus(b)).Seconds()/gib
	ok, cpuTarget := ratio >= target, ""
	if cpuCap {
		ok, cpuTarget = ok && cpuA <= cpuB, fmt.Sprintf(" (target: %s's at most %s's)", nameA, nameB)
	}
	lo, hi := roundRatios(a, b)
	workers := ""
	if wk := median(workerCPUs(a)).Seconds() / gib; wk > 0 && nameA == "storage-agent" {
		workers = fmt.Sprintf(" (workers %.2f)", wk)
	}
	line := fmt.Sprintf("%-34s %s %7.1f MB/s   %s %7.1f MB/s   ratio %.2fx (target >= %.2fx, %d rounds, %.2f-%.2fx each) %s\n"+
		"%-34s   server CPU s/GiB: %s %.2f%s, %s %.2f%s",
		name, nameA, rateA, nameB, rateB, ratio, target, len(a), lo, hi, verdict(ok), "", nameA, cpuA, workers, nameB, cpuB, cpuTarget)
	// The client's CPU per GiB next to the wall time per GiB: a client
	// busy for most of the transfer is what bounds it, whichever server.
	if cliA, cliB := median(clientCPUs(a)), median(clientCPUs(b)); cliA > 0 && cliB > 0 {
		line += fmt.Sprintf("\n%-34s   client CPU s/GiB: %s %.2f (%.2f cores busy), %s %.2f (%.2f cores)",
			"", nameA, cliA.Seconds()/gib, cliA.Seconds()/ma.Seconds(), nameB, cliB.Seconds()/gib, cliB.Seconds()/mb.Seconds())
	}
	r.lines = append(r.lines, line)
}

// roundRatios is the lowest and highest ratio of one round's two
// transfers, which ran back to back: how far the machine moved within the
// run, next to the ratio of the medians that the target judges.
func roundRatios(a, b []sample) (lo, hi float64) {
	for i := range min(len(a), len(b)) {
		r := b[i].wall.Seconds() / a[i].wall.Seconds()
		if i == 0 || r < lo {
			lo = r
		}
		if i == 0 || r > hi {
			hi = r
		}
	}
	return lo, hi
}

// latency records a median latency against a ceiling.
func (r *report) latency(name string, samples []time.Duration, target time.Duration) {
	s := slices.Clone(samples)
	slices.Sort(s)
	m := median(s)
	p90 := s[len(s)*9/10]
	r.lines = append(r.lines, fmt.Sprintf("%-30s median %s  p90 %s  (n=%d, target median <= %s) %s",
		name, m.Round(100*time.Microsecond), p90.Round(100*time.Microsecond), len(s), target, verdict(m <= target)))
}

func (r *report) line(text string, ok bool) {
	r.lines = append(r.lines, fmt.Sprintf("%s %s", text, verdict(ok)))
}

func (r *report) print(w io.Writer) {
	fmt.Fprintln(w, "\n"+strings.Repeat("=", 30)+" storage-agent bench results "+strings.Repeat("=", 30))
	for _, l := range r.lines {
		fmt.Fprintln(w, l)
	}
}

func stringReader(s string) io.Reader { return strings.NewReader(s) }
