package serve

import (
	"fmt"
	"os"
	"strconv"
)

// childOOMScore is the OOM badness adjustment of what the worker starts,
// above the worker's own (isolation's workerOOMScore).
const childOOMScore = 1000

// raiseOOMScore marks a process the worker started as the first to go when
// the sandbox runs out of memory, so a runaway program is killed rather than
// the worker serving the session. Raising the score needs no privilege.
func raiseOOMScore(pid int) error {
	err := os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(strconv.Itoa(childOOMScore)), 0)
	if err != nil {
		return fmt.Errorf("raise oom score of %d: %w", pid, err)
	}
	return nil
}
