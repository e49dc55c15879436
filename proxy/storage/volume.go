package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// internalDir holds the agent's own state on a volume (upload staging,
// folders being purged): beside the quota scopes, outside every vfolder,
// on the same file system so renames out of it and into it are atomic.
const internalDir = ".storage-agent"

// Volume is one configured vfs volume.
type Volume struct {
	Name string
	Path string // absolute
	dev  uint64 // st_dev of Path when the volume was opened; see Available
}

// NewVolume returns the volume name at dir, an existing directory, made
// absolute so later changes of the working directory cannot move it. It
// records which filesystem dir is on, to notice an unmount later.
func NewVolume(name, dir string) (*Volume, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", name, err)
	}
	dev, err := deviceOf(abs)
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", name, err)
	}
	return &Volume{Name: name, Path: abs, dev: dev}, nil
}

// deviceOf returns the filesystem (st_dev) that directory path is on.
func deviceOf(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, &fs.PathError{Op: "stat", Path: path, Err: unix.ENOTDIR}
	}
	return st.Dev, nil
}

// Available fails with ErrVolumeUnavailable when the volume's directory is
// gone or sits on another filesystem than when it was opened: an unmounted
// NFS volume leaves its empty mount point on the root disk, which must not
// be written into. Every operation on the volume checks it first.
func (vol *Volume) Available() error {
	dev, err := deviceOf(vol.Path)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrVolumeUnavailable, vol.Name, err)
	}
	if dev != vol.dev {
		return fmt.Errorf("%w: %q: %s is no longer the filesystem it was at start (unmounted?); mount it again or restart storage-agent",
			ErrVolumeUnavailable, vol.Name, vol.Path)
	}
	return nil
}

func (vol *Volume) root() (*os.Root, error) {
	if err := vol.Available(); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(vol.Path)
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	return r, nil
}

// checkDirs Lstats every component of rel inside r: each must be a real
// directory, never a symlink, so no check or later open is redirected.
// It reports how many leading components exist.
func checkDirs(r *os.Root, rel string) (int, error) {
	parts := strings.Split(rel, "/")
	for i := range parts {
		fi, err := r.Lstat(path.Join(parts[:i+1]...))
		if errors.Is(err, fs.ErrNotExist) {
			return i, nil
		}
		if err != nil {
			return i, err
		}
		if !fi.IsDir() {
			return i, fmt.Errorf("%s is %w", path.Join(parts[:i+1]...), ErrNotDirectory)
		}
	}
	return len(parts), nil
}

// Folder is an open vfolder: Root confines every path below it.
type Folder struct {
	Root *os.Root
	VFID VFID
	// HostPath is the folder's absolute path, for /folder/mount only.
	HostPath string
}

// Close releases the folder's root.
func (f *Folder) Close() error { return f.Root.Close() }

// OpenFolder opens v's directory; ErrFolderNotFound when it is missing.
func (vol *Volume) OpenFolder(v VFID) (*Folder, error) {
	r, err := vol.root()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rel := v.RelPath()
	n, err := checkDirs(r, rel)
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	if n != strings.Count(rel, "/")+1 {
		return nil, fmt.Errorf("%w: %s on volume %q", ErrFolderNotFound, v, vol.Name)
	}
	fr, err := r.OpenRoot(rel)
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	return &Folder{Root: fr, VFID: v, HostPath: filepath.Join(vol.Path, filepath.FromSlash(rel))}, nil
}

// CreateOptions say how CreateFolder makes a folder.
type CreateOptions struct {
	UID, GID  int         // owner of the folder itself (its parents stay the daemon's)
	Mode      fs.FileMode // permission bits
	AutoScope bool        // create a missing quota scope instead of failing
	// Exclusive refuses an existing folder with ErrFolderExists.
	Exclusive bool
}

// CreateFolder makes v's directory and its missing parents and reports
// whether it made the folder itself. Parents stay owned by the daemon so
// nobody but root can swap them for symlinks; only the folder is handed
// to the session uid/gid.
func (vol *Volume) CreateFolder(v VFID, o CreateOptions) (created bool, err error) {
	if !v.HasScope() {
		return false, fmt.Errorf("%w: %s has no quota scope", ErrInvalidVFID, v)
	}
	r, err := vol.root()
	if err != nil {
		return false, err
	}
	defer r.Close()
	rel := v.RelPath()
	parts := strings.Split(rel, "/")
	n, err := checkDirs(r, rel)
	switch {
	case err != nil:
		return false, fmt.Errorf("volume %q: %w", vol.Name, err)
	case n == 0 && !o.AutoScope:
		return false, fmt.Errorf("%w: %s on volume %q", ErrScopeNotFound, v.Scope, vol.Name)
	case n == len(parts) && o.Exclusive:
		return false, fmt.Errorf("%w: %s on volume %q", ErrFolderExists, v, vol.Name)
	case n == len(parts):
		return false, nil
	}
	for i := n; i < len(parts); i++ {
		p := path.Join(parts[:i+1]...)
		if err := r.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("volume %q: create %s: %w", vol.Name, v, err)
		}
	}
	// Mkdir's mode is cut by the umask; set the asked one explicitly.
	if err := r.Chmod(rel, o.Mode); err != nil {
		return true, fmt.Errorf("volume %q: create %s: %w", vol.Name, v, err)
	}
	if err := r.Lchown(rel, o.UID, o.GID); err != nil {
		return true, fmt.Errorf("volume %q: create %s: %w", vol.Name, v, err)
	}
	return true, nil
}

// ScopeExists reports whether q's directory exists on vol.
func (vol *Volume) ScopeExists(q QSID) (bool, error) {
	r, err := vol.root()
	if err != nil {
		return false, err
	}
	defer r.Close()
	n, err := checkDirs(r, q.ID.Hex())
	if err != nil {
		return false, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	return n == 1, nil
}

// CreateScope makes q's directory; ErrScopeExists if it exists and
// exclusive is set.
func (vol *Volume) CreateScope(q QSID, exclusive bool) error {
	r, err := vol.root()
	if err != nil {
		return err
	}
	defer r.Close()
	err = r.Mkdir(q.ID.Hex(), 0o755)
	if errors.Is(err, fs.ErrExist) {
		if _, err := checkDirs(r, q.ID.Hex()); err != nil {
			return fmt.Errorf("volume %q: %w", vol.Name, err)
		}
		if exclusive {
			return fmt.Errorf("%w: %s on volume %q", ErrScopeExists, q, vol.Name)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("volume %q: create %s: %w", vol.Name, q, err)
	}
	return nil
}

// FSUsage reports the volume's file system capacity and used bytes, as
// statvfs gives them (frsize*blocks, frsize*(blocks-bavail)).
func (vol *Volume) FSUsage() (capacity, used int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(vol.Path, &st); err != nil {
		return 0, 0, fmt.Errorf("volume %q: statfs: %w", vol.Name, err)
	}
	fr := int64(st.Frsize)
	return fr * int64(st.Blocks), fr * int64(st.Blocks-st.Bavail), nil
}

// internal opens the agent's directory sub ("trash", "uploads") on vol,
// creating it (mode 0700, root's) when missing.
func (vol *Volume) internal(sub string) (*os.Root, error) {
	r, err := vol.root()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	p := path.Join(internalDir, sub)
	if err := r.MkdirAll(p, 0o700); err != nil {
		return nil, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	if _, err := checkDirs(r, p); err != nil {
		return nil, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	return r.OpenRoot(p)
}

// randomName is a fresh 32-hex name for trash and staging entries.
func randomName() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
