package proxy

import (
	"errors"
	"fmt"

	"github.com/storage-agent/storage-agent/proxy/storage"
)

// Sentinel errors of the package. Errors returned by Service, Session and
// Client wrap one of these, so callers check them with errors.Is.
var (
	// ErrInvalidParams means a request was malformed or out of bounds.
	ErrInvalidParams = errors.New("invalid parameters")
	// ErrBodyTooLarge means a request body exceeded the size the API accepts.
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrForbidden means the manager secret was missing or wrong.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound is the parent of every "no such thing" error below.
	ErrNotFound = errors.New("not found")
	// ErrUnknownVolume means a volume name is not configured.
	ErrUnknownVolume = newNotFound("unknown volume")
	// ErrFolderNotFound means a vfolder's directory does not exist.
	ErrFolderNotFound = newNotFound("vfolder not found")
	// ErrSessionNotFound means no open session has the id.
	ErrSessionNotFound = newNotFound("session not found")
	// ErrUserLimit means the user already holds their maximum of sessions.
	ErrUserLimit = errors.New("too many sessions for this user")
	// ErrNoFreeSlot means every session slot of this agent is taken.
	ErrNoFreeSlot = errors.New("no free session slot")
	// ErrSessionClosed means the session was closed (or is closing).
	ErrSessionClosed = errors.New("session closed")
	// ErrServiceClosed means the service is shutting down.
	ErrServiceClosed = errors.New("service closed")
	// ErrInvalidToken means a token failed verification.
	ErrInvalidToken = errors.New("invalid token")
	// ErrTokenRedeemed means a single-use login token was already used.
	ErrTokenRedeemed = errors.New("login token already used")
	// ErrVolumeUnavailable means a volume's directory is gone or is no
	// longer the filesystem it was at start (unmounted); it is the storage
	// package's sentinel, so both APIs answer it alike.
	ErrVolumeUnavailable = storage.ErrVolumeUnavailable
	// ErrTokenExpired means a token was valid but its time is up.
	ErrTokenExpired = errors.New("token expired")
	// ErrWorkerStart means the sandbox could not start the session's worker.
	ErrWorkerStart = errors.New("worker start failed")
)

// notFoundError is a specific "not found" sentinel that also matches
// ErrNotFound, so the API can map the whole family to 404 at once.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func newNotFound(msg string) error { return &notFoundError{msg: msg} }

// fieldError is a validation failure of one request field; Field uses the
// JSON path ("mounts[1].name") so the API's detail names it.
type fieldError struct {
	Field  string
	Reason string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Reason }
func (e *fieldError) Unwrap() error { return ErrInvalidParams }

func invalid(field, format string, args ...any) error {
	return &fieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
