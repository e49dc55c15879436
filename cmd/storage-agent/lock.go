package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// errStateInUse means another serve holds the state directory.
var errStateInUse = errors.New("state directory in use")

// lockFileName is the lock file inside var-base-path.
const lockFileName = "serve.lock"

// lockState takes the exclusive lock of the state directory dir (creating
// dir), and writes our pid into the lock file for the next one to name. A
// second serve on the same directory would otherwise destroy the first
// one's workers as "leftovers" before failing on a busy port. The lock
// lives as long as the returned file stays open (the kernel drops it when
// the process dies, however it dies); the file is close-on-exec, so
// workers do not inherit it.
func lockState(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent.var-base-path: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agent.var-base-path: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is used by storage-agent pid %s; stop that one first, or give this one another agent.var-base-path",
				errStateInUse, dir, holder(f))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// holder reads the pid the lock's holder wrote ("unknown" if none yet).
func holder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if pid := strings.TrimSpace(string(b[:n])); pid != "" {
		return pid
	}
	return "unknown"
}
