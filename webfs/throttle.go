package webfs

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"
)

// Login throttle parameters: a source may fail loginFree times freely;
// after that each attempt waits loginBase, doubled per further failure, at
// most loginMax. A source quiet for loginWindow starts afresh.
const (
	loginFree    = 5
	loginBase    = 200 * time.Millisecond
	loginMax     = 5 * time.Second
	loginWindow  = time.Minute
	loginQueue   = 15 * time.Second // attempts that would wait longer are refused (429)
	loginEntries = 4096
)

// errThrottled refuses an attempt whose wait would be too long.
var errThrottled = errors.New("webfs: too many failed logins")

// loginThrottle slows down token guessing per source address; attempts
// from one source are serialised, so parallel requests gain nothing.
type loginThrottle struct {
	now func() time.Time

	mu    sync.Mutex
	bySrc map[netip.Addr]*loginFailures // guarded by mu; at most loginEntries
}

type loginFailures struct {
	count int
	last  time.Time // latest failure
	next  time.Time // earliest start of the next attempt
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, bySrc: make(map[netip.Addr]*loginFailures)}
}

// wait delays an attempt from src as its failures demand.
func (t *loginThrottle) wait(ctx context.Context, src netip.Addr) error {
	t.mu.Lock()
	now := t.now()
	f := t.bySrc[src]
	var d time.Duration
	if f != nil && now.Sub(f.last) > loginWindow {
		delete(t.bySrc, src)
		f = nil
	}
	if f != nil && f.count >= loginFree {
		delay := min(loginBase<<min(f.count-loginFree, 10), loginMax)
		start := f.next
		if start.Before(now) {
			start = now
		}
		if start.Sub(now) > loginQueue {
			t.mu.Unlock()
			return errThrottled
		}
		f.next = start.Add(delay)
		d = f.next.Sub(now)
	}
	t.mu.Unlock()
	if d <= 0 {
		return nil
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

// failed records a failed attempt from src.
func (t *loginThrottle) failed(src netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.bySrc[src]
	if f == nil {
		if len(t.bySrc) >= loginEntries {
			now := t.now()
			for k, v := range t.bySrc {
				if now.Sub(v.last) > loginWindow {
					delete(t.bySrc, k)
				}
			}
		}
		if len(t.bySrc) >= loginEntries {
			return // under a flood of sources; each still pays its own first failures
		}
		f = &loginFailures{}
		t.bySrc[src] = f
	}
	f.count++
	f.last = t.now()
}
