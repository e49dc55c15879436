package sftpd

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// Throttle parameters. A source may fail throttleFree times freely; after
// that each further attempt waits throttleBase, doubled per failure, at most
// throttleMax. A source that has not failed for throttleWindow starts fresh.
const (
	throttleFree    = 3
	throttleBase    = 250 * time.Millisecond
	throttleMax     = 4 * time.Second
	throttleWindow  = time.Minute
	throttleQueue   = 10 * time.Second // attempts that would wait longer are refused outright
	throttleEntries = 4096             // sources remembered at most
)

// throttle slows down password guessing per source address. Attempts from one
// source are serialised through next, so opening many connections in parallel
// buys an attacker nothing. Successful logins do not reset a source: an
// attacker holding a valid session of their own could otherwise interleave
// good logins with guesses.
type throttle struct {
	now func() time.Time

	mu    sync.Mutex
	bySrc map[netip.Addr]*failures // at most throttleEntries
}

// failures is what the throttle remembers about one source.
type failures struct {
	count int       // failures since the source was last quiet for throttleWindow
	last  time.Time // latest failure
	next  time.Time // earliest start of the next delayed attempt
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, bySrc: make(map[netip.Addr]*failures)}
}

// wait delays a login attempt from src as its failures demand. It returns
// ErrThrottled when the delay would be too long, or ctx's error.
func (t *throttle) wait(ctx context.Context, src netip.Addr) error {
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
func (t *throttle) reserve(src netip.Addr) (time.Duration, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.bySrc[src]
	if f == nil || now.Sub(f.last) > throttleWindow || f.count < throttleFree {
		return 0, nil
	}
	step := throttleMax
	if over := f.count - throttleFree; over < 8 { // 250ms<<4 already exceeds the cap
		step = min(throttleBase<<over, throttleMax)
	}
	start := f.next
	if start.Before(now) {
		start = now
	}
	if start.Sub(now) > throttleQueue {
		return 0, ErrThrottled
	}
	f.next = start.Add(step)
	return f.next.Sub(now), nil
}

// fail records a failed attempt from src.
func (t *throttle) fail(src netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.bySrc[src]
	if f != nil && now.Sub(f.last) > throttleWindow {
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

// makeRoom keeps the table within throttleEntries: it forgets sources that
// have been quiet for a window, and if that is not enough, arbitrary ones
// (map order), so a flood of addresses cannot exhaust memory.
func (t *throttle) makeRoom(now time.Time) {
	if len(t.bySrc) < throttleEntries {
		return
	}
	for src, f := range t.bySrc {
		if now.Sub(f.last) > throttleWindow && !f.next.After(now) {
			delete(t.bySrc, src)
		}
	}
	for src := range t.bySrc {
		if len(t.bySrc) < throttleEntries {
			break
		}
		delete(t.bySrc, src)
	}
}
