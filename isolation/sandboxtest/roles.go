package sandboxtest

import (
	"os"
	"time"
)

// Role arguments the test binary answers to (see RunRole).
const (
	MemHog   = "test-memhog"   // allocates and touches memory until killed
	ForkBomb = "test-forkbomb" // forks 200 sleepers; exits 3 if any fork was refused
	sleeper  = "test-sleep"
)

// ForkBombRefused is the fork bomb's exit status when the pids limit bit.
const ForkBombRefused = 3

// RunRole runs the role named by os.Args[1] and exits, or returns at once
// when there is none. self is the path of this binary inside the sandbox.
func RunRole(self string) {
	if len(os.Args) < 2 {
		return
	}
	switch os.Args[1] {
	case MemHog:
		var keep [][]byte
		for {
			b := make([]byte, 16<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	case ForkBomb:
		failed := 0
		for range 200 {
			if _, err := os.StartProcess(self, []string{self, sleeper}, &os.ProcAttr{}); err != nil {
				failed++
			}
		}
		if failed == 0 {
			os.Exit(0) // the pids limit never bit
		}
		os.Exit(ForkBombRefused)
	case KernelProbe:
		runKernelProbe()
	case sleeper:
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}
