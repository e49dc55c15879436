package isolation

import "errors"

// Sentinel errors of the isolation package; check them with errors.Is.
var (
	// ErrUnsupported means this host cannot sandbox workers (not root, no cgroups).
	ErrUnsupported = errors.New("isolation: host cannot sandbox workers")
	// ErrWorkerGone means the worker has exited or been stopped.
	ErrWorkerGone = errors.New("isolation: worker is gone")
	// ErrRequestTooLarge means a request does not fit one control message.
	ErrRequestTooLarge = errors.New("isolation: request too large")

	errControlClosed = errors.New("isolation: control socket closed")
)
