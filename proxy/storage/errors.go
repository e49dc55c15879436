package storage

import (
	"errors"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
)

// Sentinel errors; every error of the package wraps one of these or an
// *fs.PathError from the file system.
var (
	// ErrFolderNotFound means a vfolder's directory does not exist.
	ErrFolderNotFound = errors.New("vfolder not found")
	// ErrFolderExists means a vfolder (or a clone's destination) exists.
	ErrFolderExists = errors.New("vfolder already exists")
	// ErrInvalidVFID means a vfid or qsid is malformed.
	ErrInvalidVFID = errors.New("invalid vfolder id")
	// ErrInvalidSubpath means a path is absolute, malformed or leads out
	// of its vfolder.
	ErrInvalidSubpath = errors.New("invalid vfolder subpath")
	// ErrScopeNotFound means a quota scope's directory does not exist.
	ErrScopeNotFound = errors.New("quota scope not found")
	// ErrScopeExists means a quota scope exists already.
	ErrScopeExists = errors.New("quota scope already exists")
	// ErrNotDirectory means a component of a vfolder's on-disk layout
	// (quota scope, <aa>, <bb>, the folder) is a file or a symlink: the
	// layout never follows a symlink, so no check or open is redirected.
	ErrNotDirectory = errors.New("not a directory")
	// ErrNotRegular means a path is not a regular file where one is needed.
	ErrNotRegular = errors.New("not a regular file")
	// ErrVolumeUnavailable means a volume's directory is gone or is no
	// longer the filesystem it was at start (unmounted): nothing is
	// written into it until it is back or the daemon restarts.
	ErrVolumeUnavailable = errors.New("volume unavailable")
	// ErrUploadNotFound means an upload's staging file is gone.
	ErrUploadNotFound = errors.New("upload session not found")
)

// subpathErr turns os.Root's escape refusal into ErrInvalidSubpath and
// leaves every other error as it is.
func subpathErr(err error) error {
	if sessionfs.IsEscape(err) {
		return errors.Join(ErrInvalidSubpath, err)
	}
	return err
}

// IsEscape reports whether err is a refusal to leave a folder.
func IsEscape(err error) bool { return errors.Is(subpathErr(err), ErrInvalidSubpath) }
