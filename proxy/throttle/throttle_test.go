package throttle

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// testPolicy is the SSH server's policy.
var testPolicy = Policy{Free: 3, Base: 250 * time.Millisecond, Max: 4 * time.Second,
	Window: time.Minute, Queue: 10 * time.Second, Entries: 4096}

// fakeClock is a settable time source.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestThrottle(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	th := New(testPolicy, clock.now)
	src := netip.MustParseAddr("192.0.2.1")
	other := netip.MustParseAddr("192.0.2.2")

	reserve := func(addr netip.Addr, want time.Duration) {
		t.Helper()
		if got, err := th.reserve(addr); got != want || err != nil {
			t.Errorf("reserve(%s) = %v, %v; want %v", addr, got, err, want)
		}
	}
	for range testPolicy.Free {
		reserve(src, 0)
		th.Fail(src)
	}
	// Each further attempt waits; failures double the step up to the cap.
	for _, want := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		reserve(src, want)
		clock.advance(want)
		th.Fail(src)
	}
	reserve(other, 0) // other sources are not affected

	// Parallel attempts queue up behind each other, and a long queue is
	// refused outright.
	reserve(src, 4*time.Second)
	reserve(src, 8*time.Second)
	reserve(src, 12*time.Second)
	if _, err := th.reserve(src); !errors.Is(err, ErrThrottled) {
		t.Errorf("reserve on a full queue: %v, want ErrThrottled", err)
	}

	// A quiet window forgives everything.
	clock.advance(testPolicy.Window + 20*time.Second)
	reserve(src, 0)
	th.Fail(src)
	reserve(src, 0)
}

func TestThrottleBounded(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	th := New(testPolicy, clock.now)
	for i := range testPolicy.Entries + 500 {
		th.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	if n := len(th.bySrc); n > testPolicy.Entries {
		t.Errorf("throttle remembers %d sources, limit %d", n, testPolicy.Entries)
	}
}

func TestThrottleWaitCancelled(t *testing.T) {
	t.Parallel()
	th := New(testPolicy, time.Now)
	src := netip.MustParseAddr("2001:db8::1")
	for range testPolicy.Free + 5 {
		th.Fail(src)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := th.Wait(ctx, src); !errors.Is(err, context.Canceled) {
		t.Errorf("wait = %v, want context.Canceled", err)
	}
}
