package serve

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"github.com/storage-agent/storage-agent/isolation/serve/writebehind"
	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"golang.org/x/sys/unix"
)

// sessionFS serves SFTP and exec on a session's tree. Its resolve
// methods give the tree's refusals the SFTP status they map to.
type sessionFS struct{ *sessionfs.FS }

// Refusals as the sftp layer reports them: permission denied, same text.
var (
	errReadOnly = sftpDenied{sessionfs.ErrReadOnly}
	errVirtual  = sftpDenied{sessionfs.ErrVirtual}
	errCrossDev = sessionfs.ErrCrossDev
)

// sftpDenied is a sessionfs refusal that pkg/sftp reports as
// SSH_FX_PERMISSION_DENIED (it recognises only its own error values).
type sftpDenied struct{ error }

func (e sftpDenied) Unwrap() []error { return []error{e.error, sftp.ErrSSHFxPermissionDenied} }

// sftpError gives a sessionfs refusal its SFTP status.
func sftpError(err error) error {
	if errors.Is(err, sessionfs.ErrReadOnly) || errors.Is(err, sessionfs.ErrVirtual) {
		return sftpDenied{err}
	}
	return err
}

// resolve maps a session path to its mount and the path relative to the
// mount's root. The session root itself yields a nil mount.
func (s *sessionFS) resolve(p string) (*sessionfs.Mount, string, error) { return s.Resolve(p) }

// resolveWritable is resolve for operations that modify the tree below a mount.
func (s *sessionFS) resolveWritable(p string) (*sessionfs.Mount, string, error) {
	m, rel, err := s.ResolveWritable(p)
	return m, rel, sftpError(err)
}

// openRead opens the file at a session path for reading.
func (s *sessionFS) openRead(p string) (*os.File, error) {
	m, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errVirtual
	}
	return m.Root.Open(rel)
}

// openWrite opens a file for writing (and reading, with the Read flag)
// with the client's open flags.
func (s *sessionFS) openWrite(r *sftp.Request) (*writebehind.File, error) {
	pf := r.Pflags()
	m, rel, err := s.resolveWritable(r.Filepath)
	if err != nil {
		return nil, err
	}
	flags := os.O_WRONLY
	if pf.Read {
		flags = os.O_RDWR
	}
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	// O_APPEND is left out on purpose: SFTP writes carry explicit offsets,
	// and WriteAt refuses files opened for appending.
	perm := fs.FileMode(0o644)
	if a := r.Attributes(); r.AttrFlags().Permissions && a != nil {
		perm = a.FileMode().Perm()
	}
	f, err := m.Root.OpenFile(rel, flags, perm)
	if err != nil {
		return nil, err
	}
	return writebehind.New(f), nil
}

// Filecmd runs the tree-changing commands.
func (s *sessionFS) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return s.setstat(r)
	case "Rename":
		return s.rename(r, false)
	case "PosixRename":
		return s.rename(r, true)
	case "Rmdir", "Remove":
		m, rel, err := s.resolveWritable(r.Filepath)
		if err != nil {
			return err
		}
		if rel == "." {
			return errVirtual // a mount itself is not the user's to remove
		}
		if r.Method == "Rmdir" {
			if fi, err := m.Root.Lstat(rel); err == nil && !fi.IsDir() {
				return &fs.PathError{Op: "rmdir", Path: r.Filepath, Err: syscall.ENOTDIR}
			}
		}
		return m.Root.Remove(rel)
	case "Mkdir":
		m, rel, err := s.resolveWritable(r.Filepath)
		if err != nil {
			return err
		}
		return m.Root.Mkdir(rel, 0o755)
	case "Symlink":
		// r.Filepath is the link's target (kept verbatim), r.Target the new link.
		m, rel, err := s.resolveWritable(r.Target)
		if err != nil {
			return err
		}
		return m.Root.Symlink(r.Filepath, rel)
	case "Link":
		m, srcRel, dstRel, err := s.resolvePair(r.Filepath, r.Target)
		if err != nil {
			return err
		}
		return m.Root.Link(srcRel, dstRel)
	}
	return fmt.Errorf("%s: %w", r.Method, sftp.ErrSSHFxOpUnsupported)
}

// PosixRename replaces the target if it exists (posix-rename@openssh.com).
func (s *sessionFS) PosixRename(r *sftp.Request) error { return s.rename(r, true) }

// resolvePair resolves the two writable paths of a rename or link, which
// must lie in one mount.
func (s *sessionFS) resolvePair(from, to string) (*sessionfs.Mount, string, string, error) {
	m, srcRel, dstRel, err := s.ResolvePair(from, to)
	return m, srcRel, dstRel, sftpError(err)
}

func (s *sessionFS) rename(r *sftp.Request, replace bool) error {
	m, srcRel, dstRel, err := s.resolvePair(r.Filepath, r.Target)
	if err != nil {
		return err
	}
	if srcRel == "." || dstRel == "." {
		return errVirtual
	}
	if !replace {
		// SFTP v3 rename must not clobber, as OpenSSH's sftp-server does.
		if _, err := m.Root.Lstat(dstRel); err == nil {
			return &fs.PathError{Op: "rename", Path: r.Target, Err: fs.ErrExist}
		}
	}
	return m.Root.Rename(srcRel, dstRel)
}

func (s *sessionFS) setstat(r *sftp.Request) error {
	m, rel, err := s.resolveWritable(r.Filepath)
	if err != nil {
		return err
	}
	flags, attrs := r.AttrFlags(), r.Attributes()
	if flags.Size {
		f, err := m.Root.OpenFile(rel, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = f.Truncate(int64(attrs.Size))
		f.Close()
		if err != nil {
			return err
		}
	}
	if flags.Permissions {
		if err := m.Root.Chmod(rel, attrs.FileMode().Perm()); err != nil {
			return err
		}
	}
	if flags.Acmodtime {
		if err := m.Root.Chtimes(rel, time.Unix(int64(attrs.Atime), 0), time.Unix(int64(attrs.Mtime), 0)); err != nil {
			return err
		}
	}
	// UidGid changes are ignored: the worker owns what it writes and has no
	// capability to give files away.
	return nil
}

// StatVFS reports the filesystem of the mount holding the path.
func (s *sessionFS) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	m, rel, err := s.resolve(r.Filepath)
	if err != nil {
		return nil, err
	}
	if m == nil {
		if len(s.Names()) == 0 {
			return nil, errVirtual
		}
		m, rel = s.Mount(s.Names()[0]), "."
	}
	f, err := m.Root.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return nil, err
	}
	return &sftp.StatVFS{
		Bsize: uint64(st.Bsize), Frsize: uint64(st.Frsize), Blocks: st.Blocks,
		Bfree: st.Bfree, Bavail: st.Bavail, Files: st.Files, Ffree: st.Ffree,
		Favail: st.Ffree, Fsid: uint64(uint32(st.Fsid.Val[0]))<<32 | uint64(uint32(st.Fsid.Val[1])),
		Flag: uint64(st.Flags), Namemax: uint64(st.Namelen),
	}, nil
}

// Filelist serves List, Stat and Readlink.
func (s *sessionFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		return s.list(r.Filepath)
	case "Stat":
		return s.stat(r.Filepath, false)
	case "Readlink":
		target, err := s.Readlink(r.Filepath)
		if err != nil {
			return nil, err
		}
		return listerAt{sessionfs.NamedInfo(target, fs.ModeSymlink, time.Time{})}, nil
	}
	return nil, fmt.Errorf("%s: %w", r.Method, sftp.ErrSSHFxOpUnsupported)
}

// Lstat is Stat without following a final symlink.
func (s *sessionFS) Lstat(r *sftp.Request) (sftp.ListerAt, error) { return s.stat(r.Filepath, true) }

func (s *sessionFS) stat(p string, lstat bool) (sftp.ListerAt, error) {
	m, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return listerAt{sessionfs.RootInfo()}, nil
	}
	var fi fs.FileInfo
	if lstat {
		fi, err = m.Root.Lstat(rel)
	} else {
		fi, err = m.Root.Stat(rel)
	}
	if err != nil {
		return nil, err
	}
	return listerAt{fi}, nil
}

// Readlink returns a symlink's target as stored.
func (s *sessionFS) Readlink(p string) (string, error) {
	m, rel, err := s.resolve(p)
	if err != nil {
		return "", err
	}
	if m == nil {
		return "", &fs.PathError{Op: "readlink", Path: p, Err: syscall.EINVAL}
	}
	return m.Root.Readlink(rel)
}

// RealPath cleans a path without resolving symlinks; "." is the session root.
func (s *sessionFS) RealPath(p string) (string, error) { return path.Clean("/" + p), nil }

func (s *sessionFS) list(p string) (sftp.ListerAt, error) {
	m, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	if m == nil {
		infos := make(listerAt, 0, len(s.Names()))
		for _, name := range s.Names() {
			fi, err := s.Mount(name).Root.Stat(".")
			if err != nil {
				continue
			}
			infos = append(infos, renamedInfo{FileInfo: fi, name: name})
		}
		return infos, nil
	}
	f, err := m.Root.Open(rel)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.IsDir() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "opendir", Path: p, Err: syscall.ENOTDIR}
		}
		return nil, err
	}
	return &dirLister{dir: f}, nil
}
