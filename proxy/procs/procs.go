// Package procs sizes the daemon's Go scheduler to the transfers in flight.
//
// One transfer through the daemon is a chain of goroutines handing bytes
// to each other (the SSH connection's reader, the channel's relay, the
// socket's flusher). With a processor (P) idle, every hand-off wakes a
// thread to run the next goroutine, and the thread it leaves goes to
// sleep: measured on two cores, one P for one transfer took a quarter off
// the daemon's CPU per GiB and 93% of its context switches (BENCH.md, "One
// transfer, one P"). Several transfers still need several Ps, to encrypt
// in parallel: four HTTPS downloads at once on one P fell from 1.27 to
// 0.94 times nginx. So the daemon runs as many Ps as it has transfers in
// flight, at most what it started with; with none in flight it runs them
// all, for the work no transfer counts (manager requests, usage scans).
// Work that runs in parallel inside (a vfolder clone copies four
// directories at once) asks for every P while it lasts, even beside a
// transfer: on one P, a clone ran at 0.82 times cp -a.
package procs

import (
	"os"
	"runtime"
	"sync"
)

// Scaler keeps GOMAXPROCS at the number of transfers in flight, at most
// the GOMAXPROCS the process started with, and at that maximum while
// none is or while wide work runs. A nil Scaler scales nothing. It is
// safe for concurrent use.
type Scaler struct {
	max int
	set func(int) int // runtime.GOMAXPROCS, or a test's recorder

	mu      sync.Mutex
	active  int // transfers begun and not ended; guarded by mu
	wide    int // parallel work begun and not ended; guarded by mu
	current int // the GOMAXPROCS last set; guarded by mu
}

// New returns a Scaler over the runtime's GOMAXPROCS. It returns nil, so
// nothing is scaled, when the environment sets GOMAXPROCS (an operator's
// explicit choice stands) or when there is only one P to begin with.
func New() *Scaler {
	if os.Getenv("GOMAXPROCS") != "" {
		return nil
	}
	return newScaler(runtime.GOMAXPROCS(0), runtime.GOMAXPROCS)
}

func newScaler(maxProcs int, set func(int) int) *Scaler {
	if maxProcs <= 1 {
		return nil
	}
	return &Scaler{max: maxProcs, set: set, current: maxProcs}
}

// Begin counts one transfer in flight until end is called; end may be
// called more than once.
func (s *Scaler) Begin() (end func()) {
	if s == nil {
		return func() {}
	}
	return s.begin(&s.active)
}

// BeginWide counts work that runs in parallel inside until end is called:
// while any is in flight, the daemon runs every P. end may be called more
// than once.
func (s *Scaler) BeginWide() (end func()) {
	if s == nil {
		return func() {}
	}
	return s.begin(&s.wide)
}

// begin counts one more in counter, a field of s, until end.
func (s *Scaler) begin(counter *int) (end func()) {
	s.add(counter, 1)
	var once sync.Once
	return func() { once.Do(func() { s.add(counter, -1) }) }
}

func (s *Scaler) add(counter *int, d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*counter += d
	s.applyLocked()
}

// applyLocked sets GOMAXPROCS when the count of transfers changed it.
// Setting it stops the world for some microseconds, so it is only done
// on a change; even a small web request lasts far longer.
func (s *Scaler) applyLocked() {
	want := s.max
	if s.active > 0 && s.wide == 0 {
		want = min(s.active, s.max)
	}
	if want != s.current {
		s.set(want)
		s.current = want
	}
}
