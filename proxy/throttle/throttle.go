// Package throttle slows down password and token guessing per source
// address. The SSH server and the web API use it for their logins; it has
// no other dependency, so neither needs to import the other.
package throttle

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"
)

// ErrThrottled refuses an attempt from a source that failed too often,
// without checking its credentials.
var ErrThrottled = errors.New("too many failed logins from this address")

// Policy says how hard a Throttle slows a source down: it may fail Free
// times freely; after that each further attempt waits Base, doubled per
// failure, at most Max. A source that has not failed for Window starts
// fresh. Attempts that would wait longer than Queue are refused outright,
// and at most Entries sources are remembered.
type Policy struct {
	Free    int
	Base    time.Duration
	Max     time.Duration
	Window  time.Duration
	Queue   time.Duration
	Entries int
}

// throttle slows down password guessing per source address. Attempts from one
// source are serialised through next, so opening many connections in parallel
// buys an attacker nothing. Successful logins do not reset a source: an
// attacker holding a valid session of their own could otherwise interleave
// good logins with guesses.
type Throttle struct {
	p   Policy
	now func() time.Time

	mu    sync.Mutex
	bySrc map[netip.Addr]*failures // at most t.p.Entries
}

// failures is what the throttle remembers about one source.
type failures struct {
	count int       // failures since the source was last quiet for t.p.Window
	last  time.Time // latest failure
	next  time.Time // earliest start of the next delayed attempt
}

// New returns a Throttle with policy p; now is the clock (time.Now).
func New(p Policy, now func() time.Time) *Throttle {
	return &Throttle{p: p, now: now, bySrc: make(map[netip.Addr]*failures)}
}

// Wait delays a login attempt from src as its failures demand. It returns
// ErrThrottled when the delay would be too long, or ctx's error.
func (t *Throttle) Wait(ctx context.Context, src netip.Addr) error {
	d, err := t.reserve(src)
	if err != nil || d <= 0 {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve books the next attempt slot of src and returns how long to wait
// for it.
func (t *Throttle) reserve(src netip.Addr) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.bySrc[src]
	if f == nil || now.Sub(f.last) > t.p.Window || f.count < t.p.Free {
		return 0, nil
	}
	step := t.p.Max
	if over := f.count - t.p.Free; over < 30 { // keeps the shift from overflowing
		step = min(t.p.Base<<over, t.p.Max)
	}
	start := f.next
	if start.Before(now) {
		start = now
	}
	if start.Sub(now) > t.p.Queue {
		return 0, ErrThrottled
	}
	f.next = start.Add(step)
	return f.next.Sub(now), nil
}

// Fail records a failed attempt from src.
func (t *Throttle) Fail(src netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.bySrc[src]
	if f != nil && now.Sub(f.last) > t.p.Window {
		*f = failures{}
	}
	if f == nil {
		t.makeRoom(now)
		f = &failures{}
		t.bySrc[src] = f
	}
	f.count++
	f.last = now
}

// makeRoom keeps the table within t.p.Entries: it forgets sources that
// have been quiet for a window, and if that is not enough, arbitrary ones
// (map order), so a flood of addresses cannot exhaust memory.
func (t *Throttle) makeRoom(now time.Time) {
	if len(t.bySrc) < t.p.Entries {
		return
	}
	for src, f := range t.bySrc {
		if now.Sub(f.last) > t.p.Window && !f.next.After(now) {
			delete(t.bySrc, src)
		}
	}
	for src := range t.bySrc {
		if len(t.bySrc) < t.p.Entries {
			break
		}
		delete(t.bySrc, src)
	}
}
