// Package slots bounds how much of one resource each key may hold at once:
// the daemon uses it to cap what one session costs it (concurrent web
// requests, SSH connections). It imports nothing of this module, so the
// front ends (sftpd, webfs) may use it without importing each other or
// the proxy.
package slots

import "sync"

// Counter counts the slots each key holds, up to a maximum per key. The
// zero value is not usable; create one with New. It is safe for
// concurrent use.
type Counter struct {
	max int

	mu   sync.Mutex
	used map[string]int // keys holding at least one slot; guarded by mu
}

// New returns a Counter that lets each key hold at most max slots; max < 1
// means no bound.
func New(max int) *Counter {
	return &Counter{max: max, used: make(map[string]int)}
}

// Max returns the bound per key (< 1: none).
func (c *Counter) Max() int { return c.max }

// Acquire takes a slot for key and returns held, how many slots key holds
// counting this one: read under the same lock as the take, so a caller
// sizing by it sees the count its own slot made, not one that others'
// acquires and releases have moved since. It returns false, and takes
// nothing, when key already holds the maximum (held is then that count).
// release gives the slot back; calling it more than once is harmless.
func (c *Counter) Acquire(key string) (release func(), held int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max >= 1 && c.used[key] >= c.max {
		return func() {}, c.used[key], false
	}
	c.used[key]++
	var once sync.Once
	return func() { once.Do(func() { c.release(key) }) }, c.used[key], true
}

// Used returns how many slots key holds now.
func (c *Counter) Used(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used[key]
}

func (c *Counter) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.used[key] <= 1 {
		delete(c.used, key) // no entry for idle keys: the map stays small
		return
	}
	c.used[key]--
}
