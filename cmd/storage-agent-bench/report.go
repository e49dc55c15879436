package main

import (
	"fmt"
	"io"
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
	mo, mr := median(walls(ours)), median(walls(ref))
	rateO := float64(size) / mo.Seconds() / 1e6
	rateR := float64(size) / mr.Seconds() / 1e6
	ratio := rateO / rateR
	gib := float64(size) / (1 << 30)
	cpuO, cpuR := median(cpus(ours)).Seconds()/gib, median(cpus(ref)).Seconds()/gib
	r.lines = append(r.lines, fmt.Sprintf("%-34s storage-agent %7.1f MB/s   reference %7.1f MB/s   ratio %.2fx (target >= %.2fx, %d rounds) %s\n"+
		"%-34s   server CPU s/GiB: storage-agent %.2f, reference %.2f",
		name, rateO, rateR, ratio, target, len(ours), verdict(ratio >= target), "", cpuO, cpuR))
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
