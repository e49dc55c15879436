package proxy

import (
	"fmt"
	"sync"
)

// admission is the slot counter: at most max sessions on this agent and at
// most a per-user limit for each user. A slot is reserved before the
// worker starts, so concurrent opens can never oversubscribe the agent, and
// handed back when the session is gone (or its start failed).
type admission struct {
	max int // immutable

	mu     sync.Mutex
	used   int            // guarded by mu
	byUser map[string]int // guarded by mu; no zero entries
}

func newAdmission(max int) *admission {
	return &admission{max: max, byUser: make(map[string]int)}
}

// reserve takes one slot for user, whose limit is userLimit. The returned
// release hands it back; calling it more than once is harmless.
func (a *admission) reserve(user string, userLimit int) (release func(), err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// The user's limit is checked first: a user at their limit should hear
	// so (429, their problem) rather than "agent full" (503, retry).
	if n := a.byUser[user]; n >= userLimit {
		return nil, fmt.Errorf("%w: %q holds %d of %d", ErrUserLimit, user, n, userLimit)
	}
	if a.used >= a.max {
		return nil, fmt.Errorf("%w: %d of %d in use", ErrNoFreeSlot, a.used, a.max)
	}
	a.used++
	a.byUser[user]++
	var once sync.Once
	return func() { once.Do(func() { a.release(user) }) }, nil
}

func (a *admission) release(user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.used--
	if a.byUser[user]--; a.byUser[user] <= 0 {
		delete(a.byUser, user)
	}
}

// slots reports the counter for /status.
func (a *admission) slots() SlotsInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return SlotsInfo{Max: a.max, Used: a.used}
}
