package slots

import (
	"sync"
	"testing"
)

func TestCounterBoundsEachKey(t *testing.T) {
	c := New(2)
	r1, ok1 := c.Acquire("a")
	r2, ok2 := c.Acquire("a")
	_, ok3 := c.Acquire("a")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("acquire a: %v %v %v, want true true false", ok1, ok2, ok3)
	}
	if _, ok := c.Acquire("b"); !ok {
		t.Fatal("another key was refused")
	}
	r1()
	r1() // twice is harmless
	if got := c.Used("a"); got != 1 {
		t.Fatalf("used after one release = %d, want 1", got)
	}
	if _, ok := c.Acquire("a"); !ok {
		t.Fatal("a freed slot was not reusable")
	}
	r2()
	if len(c.used) != 2 {
		t.Fatalf("keys tracked = %d, want 2", len(c.used))
	}
}

func TestCounterUnbounded(t *testing.T) {
	c := New(0)
	for range 100 {
		if _, ok := c.Acquire("k"); !ok {
			t.Fatal("refused without a bound")
		}
	}
}

func TestCounterConcurrent(t *testing.T) {
	c := New(5)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 50 {
		wg.Go(func() {
			if _, ok := c.Acquire("k"); ok {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if granted != 5 {
		t.Fatalf("granted %d slots, want 5", granted)
	}
}
