package slots

import (
	"slices"
	"sync"
	"testing"
)

func TestCounterBoundsEachKey(t *testing.T) {
	c := New(2)
	var releaseA []func()
	for i, tt := range []struct {
		key  string
		held int
		ok   bool
	}{
		{"a", 1, true},
		{"a", 2, true},
		{"a", 2, false}, // at the bound: refused, nothing taken
		{"b", 1, true},  // another key is not bounded by a's slots
	} {
		release, held, ok := c.Acquire(tt.key)
		if held != tt.held || ok != tt.ok {
			t.Fatalf("step %d: Acquire(%q) = %d, %v; want %d, %v", i, tt.key, held, ok, tt.held, tt.ok)
		}
		if ok && tt.key == "a" {
			releaseA = append(releaseA, release)
		}
	}
	releaseA[0]()
	releaseA[0]() // twice is harmless
	if got := c.Used("a"); got != 1 {
		t.Fatalf("used after one release = %d, want 1", got)
	}
	if _, held, ok := c.Acquire("a"); !ok || held != 2 {
		t.Fatalf("a freed slot: Acquire = %d, %v; want 2, true", held, ok)
	}
	releaseA[1]()
	if len(c.used) != 2 {
		t.Fatalf("keys tracked = %d, want 2", len(c.used))
	}
}

func TestCounterUnbounded(t *testing.T) {
	c := New(0)
	for range 100 {
		if _, _, ok := c.Acquire("k"); !ok {
			t.Fatal("refused without a bound")
		}
	}
}

// TestCounterConcurrent: racing acquires get exactly max slots, and each
// is told a different count, as taken under the lock.
func TestCounterConcurrent(t *testing.T) {
	c := New(5)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var helds []int
	for range 50 {
		wg.Go(func() {
			if _, held, ok := c.Acquire("k"); ok {
				mu.Lock()
				helds = append(helds, held)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(helds)
	if !slices.Equal(helds, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("granted counts %v, want 1 to 5 once each", helds)
	}
}
