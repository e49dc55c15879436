package isolation

import (
	"context"
	"io"
)

// Mount is one host directory shown inside the sandbox at /<Name>.
type Mount struct {
	Name     string // a single path element, validated by the caller
	HostPath string // absolute host path chosen by the daemon, never by a user
	ReadOnly bool
}

// Limits are the cgroup limits of one worker.
type Limits struct {
	CPU    float64 // cores
	Memory int64   // bytes
	Pids   int64
}

// Spec describes one worker to start.
type Spec struct {
	ID     string // unique, [a-zA-Z0-9_-]
	Mounts []Mount
	UID    int
	GID    int
	Limits Limits
}

// Stdio carries an exec request's standard streams.
type Stdio struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

var _ = context.Background
