package serve

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// reaper collects the exit statuses of the worker's children.
//
// The worker is PID 1 of its pid namespace, so every process in the sandbox
// whose parent dies first (an rsync helper, say) is re-parented to it, and
// the kernel keeps each as a zombie — holding one pid of the cgroup's small
// pids budget — until PID 1 waits for it. One loop therefore waits for any
// child (wait4(-1)) on every SIGCHLD and hands each status to whoever
// started that pid; statuses of pids nobody started are orphans and are
// dropped. Children are started with syscall.ForkExec under the same lock
// the loop takes, so a child that exits at once cannot be reaped before its
// waiter is registered. Nothing in the worker may use os/exec or
// os.Process.Wait: they would race with the loop for the same statuses.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus // by pid; guarded by mu
}

// newReaper starts the reaping loop. Reaping is process-wide by nature (one
// set of children, one wait4(-1) loop): the worker makes one, at start, and
// hands it to whatever starts programs.
func newReaper() *reaper {
	r := &reaper{waiters: make(map[int]chan syscall.WaitStatus)}
	sig := make(chan os.Signal, 16)
	signal.Notify(sig, syscall.SIGCHLD)
	go func() {
		for range sig {
			r.reap()
		}
	}()
	r.reap() // zombies from before the loop started
	return r
}

// start starts a program and returns its pid and a channel that receives
// its exit status once.
func (r *reaper) start(argv0 string, argv []string, attr *syscall.ProcAttr) (int, <-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := syscall.ForkExec(argv0, argv, attr)
	if err != nil {
		return 0, nil, err
	}
	// Best effort: if it fails the program keeps the worker's own score.
	_ = raiseOOMScore(pid)
	done := make(chan syscall.WaitStatus, 1)
	r.waiters[pid] = done
	return pid, done, nil
}

// reap collects every child that has ended, without blocking.
func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return // ECHILD: no children; 0: none has ended yet
		}
		if done, ok := r.waiters[pid]; ok {
			done <- ws
			delete(r.waiters, pid)
		}
	}
}

// exitCode turns a wait status into a shell-style exit status.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// launcher starts the programs a worker runs on a user's behalf (rsync):
// each inside the Landlock walls of the session's folders, each reaped by
// the worker's one reaper.
type launcher struct {
	reaper *reaper
	walls  Confiner
}

// start starts a confined program; see reaper.start.
func (l *launcher) start(argv0 string, argv []string, attr *syscall.ProcAttr) (int, <-chan syscall.WaitStatus, error) {
	return l.walls.StartConfined(func() (int, <-chan syscall.WaitStatus, error) {
		return l.reaper.start(argv0, argv, attr)
	})
}
