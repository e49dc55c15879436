package proxy

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestAdmissionLimits(t *testing.T) {
	a := newAdmission(3)
	r1, err := a.reserve("alice", 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.reserve("alice", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.reserve("alice", 2); !errors.Is(err, ErrUserLimit) {
		t.Fatalf("alice over her limit: %v", err)
	}
	if _, err := a.reserve("bob", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.reserve("carol", 2); !errors.Is(err, ErrNoFreeSlot) {
		t.Fatalf("full agent: %v", err)
	}
	r1()
	r1() // double release frees one slot, not two
	if got := a.slots(); got.Used != 2 {
		t.Fatalf("used %d after one release", got.Used)
	}
	if _, err := a.reserve("carol", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.reserve("dave", 2); !errors.Is(err, ErrNoFreeSlot) {
		t.Fatalf("double release freed a second slot: %v", err)
	}
}

// TestAdmissionConcurrent hammers the counter: it never exceeds either
// limit and returns to zero.
func TestAdmissionConcurrent(t *testing.T) {
	const max, perUser = 8, 3
	a := newAdmission(max)
	users := []string{"a", "b", "c", "d", "e"}
	var (
		wg      sync.WaitGroup
		live    atomic.Int32
		perLive [5]atomic.Int32
		peak    atomic.Int32
	)
	for g := range 64 {
		wg.Go(func() {
			u := g % len(users)
			for range 200 {
				release, err := a.reserve(users[u], perUser)
				if err != nil {
					continue
				}
				n := live.Add(1)
				if n > max || perLive[u].Add(1) > perUser {
					t.Errorf("oversubscribed: %d live, user %s over limit", n, users[u])
				}
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				perLive[u].Add(-1)
				live.Add(-1)
				release()
			}
		})
	}
	wg.Wait()
	if got := a.slots(); got.Used != 0 || len(a.byUser) != 0 {
		t.Fatalf("after all releases: %+v, %v", got, a.byUser)
	}
	if peak.Load() == 0 {
		t.Fatal("nothing was ever admitted")
	}
}
