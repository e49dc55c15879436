package web

import (
	"errors"
	"io/fs"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"golang.org/x/sys/unix"
)

// errorStatus maps a worker-side error to an HTTP status.
func errorStatus(err error) int {
	switch {
	case err == nil:
		return 200
	case errors.Is(err, sessionfs.ErrVirtual), errors.Is(err, sessionfs.ErrReadOnly), errors.Is(err, errWebForbidden):
		return 403
	case errors.Is(err, errWebBadRequest), errors.Is(err, sessionfs.ErrCrossDev), errors.Is(err, unix.EINVAL),
		errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.EISDIR), errors.Is(err, unix.ENAMETOOLONG), errors.Is(err, unix.ELOOP):
		return 400
	case errors.Is(err, unix.ENOENT), errors.Is(err, fs.ErrNotExist):
		return 404
	case errors.Is(err, unix.EEXIST), errors.Is(err, fs.ErrExist), errors.Is(err, unix.ENOTEMPTY), errors.Is(err, errWebConflict):
		return 409
	case errors.Is(err, errWebTooLarge):
		return 413
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM), errors.Is(err, unix.EROFS), errors.Is(err, fs.ErrPermission):
		return 403
	case sessionfs.IsEscape(err):
		return 403 // a symlink leading out of its mount (os.Root refused it)
	case errors.Is(err, unix.ENOSPC), errors.Is(err, unix.EDQUOT):
		return 507
	}
	return 500
}

// Worker-side errors of web operations, mapped by errorStatus.
var (
	errWebForbidden  = errors.New("not allowed")
	errWebBadRequest = errors.New("bad request")
	errWebConflict   = errors.New("conflict")
	errWebTooLarge   = errors.New("more bytes than announced")
)
