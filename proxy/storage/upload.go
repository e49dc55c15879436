package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// CreateUpload makes the empty staging file of a new upload and returns
// its session name. Staging lives in the volume's internal directory,
// outside every vfolder: the user never sees a half file, and the final
// rename stays on one file system.
func (vol *Volume) CreateUpload() (string, error) {
	r, err := vol.internal("uploads")
	if err != nil {
		return "", err
	}
	defer r.Close()
	name := randomName()
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("volume %q: staging: %w", vol.Name, err)
	}
	return name, f.Close()
}

// OpenUpload opens session's staging file for writing; ErrUploadNotFound
// once it is gone (completed, or never created).
func (vol *Volume) OpenUpload(session string) (*os.File, error) {
	if !validSession(session) {
		return nil, fmt.Errorf("%w: %q", ErrUploadNotFound, session)
	}
	r, err := vol.internal("uploads")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.OpenFile(session, os.O_RDWR|unix.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrUploadNotFound, session)
	}
	return f, err
}

// CommitUpload renames session's complete staging file to rel inside
// folder, creating rel's missing parents. The parent is opened through
// the folder's root and the rename is renameat(2) between two directory
// descriptors, so neither ".." nor a planted symlink moves it elsewhere.
func (vol *Volume) CommitUpload(session string, folder *Folder, rel string) error {
	p, err := CleanRel(rel)
	if err != nil {
		return err
	}
	base := path.Base(p)
	if p == "." || base == ".." {
		return fmt.Errorf("%w: %q names no file", ErrInvalidSubpath, rel)
	}
	dir := path.Dir(p)
	if err := folder.Mkdir(dir, true, true); err != nil {
		return err
	}
	parent, err := folder.Root.Open(dir)
	if err != nil {
		return subpathErr(err)
	}
	defer parent.Close()
	r, err := vol.internal("uploads")
	if err != nil {
		return err
	}
	defer r.Close()
	staging, err := openRootDir(r)
	if err != nil {
		return err
	}
	defer staging.Close()
	if fi, err := folder.Root.Lstat(p); err == nil && fi.IsDir() {
		return &fs.PathError{Op: "rename", Path: rel, Err: unix.EISDIR}
	}
	// The file was staged by root, 0600: hand it to the folder's owner
	// first, so it appears readable and writable by the sessions at once.
	if err := folder.giveToOwnerIn(r, session, 0o644); err != nil {
		return err
	}
	if err := unix.Renameat(int(staging.Fd()), session, int(parent.Fd()), base); err != nil {
		return &fs.PathError{Op: "rename", Path: rel, Err: err}
	}
	return nil
}

// validSession reports whether s is a name CreateUpload could have made.
func validSession(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// PruneUploads removes staging files untouched for longer than age: their
// tokens have expired (a token lives for session-expire from its upload's
// creation, and every chunk touches the file), so nobody can finish them.
func (vol *Volume) PruneUploads(age time.Duration, now time.Time) (int, error) {
	r, err := vol.internal("uploads")
	if err != nil {
		return 0, err
	}
	defer r.Close()
	d, err := openRootDir(r)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return 0, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	n := 0
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) < age {
			continue
		}
		if r.Remove(e.Name()) == nil {
			n++
		}
	}
	return n, nil
}

// giveToOwnerIn gives name in r (outside f) to f's owner with mode perm.
func (f *Folder) giveToOwnerIn(r *os.Root, name string, perm fs.FileMode) error {
	uid, gid, err := f.owner()
	if err == nil {
		err = r.Lchown(name, uid, gid)
	}
	if err == nil {
		err = r.Chmod(name, perm)
	}
	return err
}
