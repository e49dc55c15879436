package isolation

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// Options configure a Manager.
type Options struct {
	// StateDir holds libcontainer state and the per-session root directories.
	StateDir string
	Logger   *slog.Logger
}

// Manager starts, tracks and destroys workers.
type Manager struct{ opts Options }

// ErrUnsupported means this host cannot sandbox workers (not root, no cgroups).
var ErrUnsupported = errors.New("isolation: host cannot sandbox workers")

// New checks that the host can sandbox and destroys whatever a crashed
// predecessor left under StateDir.
func New(ctx context.Context, opts Options) (*Manager, error) { return &Manager{opts: opts}, nil }

// Start starts a worker and returns once it is ready to serve streams.
func (m *Manager) Start(ctx context.Context, spec Spec) (*Worker, error) {
	return nil, errors.New("TODO")
}

// Close stops every worker.
func (m *Manager) Close() error { return nil }

// Worker is one running sandboxed worker.
type Worker struct{}

// ID returns the worker's id (the session id).
func (w *Worker) ID() string { return "" }

// OpenSFTP opens a new stream served by an SFTP server inside the worker.
func (w *Worker) OpenSFTP(ctx context.Context) (io.ReadWriteCloser, error) {
	return nil, errors.New("TODO")
}

// Exec runs an SSH exec request's command line inside the worker and returns
// its exit status. The worker decides which commands it serves.
func (w *Worker) Exec(ctx context.Context, command string, stdio Stdio) (int, error) {
	return 0, errors.New("TODO")
}

// MemoryUsage returns the bytes the worker's cgroup currently charges.
func (w *Worker) MemoryUsage() (int64, error) { return 0, errors.New("TODO") }

// Done is closed when the worker has exited for any reason.
func (w *Worker) Done() <-chan struct{} { return nil }

// Stop kills the worker and removes its container, cgroups and state.
func (w *Worker) Stop() error { return nil }
