package proxy

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// vfid is a parsed "<qsid>/<folder-uuid>"; only its parsed parts are ever
// used to build paths, never the text a user sent.
type vfid struct {
	kind   string // "user" or "project"
	scope  [16]byte
	folder [16]byte
}

// parseVFID reads "<user|project>:<uuid>/<uuid>" with uuids in any of the
// standard spellings (32 hex, dashed, {braced}, urn:uuid:).
func parseVFID(s string) (vfid, error) {
	var v vfid
	qsid, folder, ok := strings.Cut(s, "/")
	if !ok {
		return v, errors.New(`want "<user|project>:<uuid>/<folder uuid>"`)
	}
	kind, scope, ok := strings.Cut(qsid, ":")
	if !ok || (kind != "user" && kind != "project") {
		return v, fmt.Errorf(`quota scope %q: want "user:<uuid>" or "project:<uuid>"`, qsid)
	}
	v.kind = kind
	var err error
	if v.scope, err = parseUUID(scope); err != nil {
		return v, fmt.Errorf("quota scope uuid: %w", err)
	}
	if v.folder, err = parseUUID(folder); err != nil {
		return v, fmt.Errorf("folder uuid: %w", err)
	}
	return v, nil
}

// String is the canonical form: both uuids as 32 lowercase hex digits.
func (v vfid) String() string {
	return v.kind + ":" + hex.EncodeToString(v.scope[:]) + "/" + hex.EncodeToString(v.folder[:])
}

// relPath is the folder's path relative to its volume, in Backend.AI's
// layout: <scope hex>/<hex[0:2]>/<hex[2:4]>/<hex[4:]>.
func (v vfid) relPath() string {
	h := hex.EncodeToString(v.folder[:])
	return path.Join(hex.EncodeToString(v.scope[:]), h[0:2], h[2:4], h[4:])
}

// parseUUID accepts the spellings Python's uuid.UUID accepts in practice.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	t := strings.TrimPrefix(strings.ToLower(s), "urn:uuid:")
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		t = t[1 : len(t)-1]
	}
	if len(t) == 36 {
		for _, i := range []int{8, 13, 18, 23} {
			if t[i] != '-' {
				return u, fmt.Errorf("%q is not a uuid", s)
			}
		}
		t = t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:]
	}
	if len(t) != 32 {
		return u, fmt.Errorf("%q is not a uuid", s)
	}
	if _, err := hex.Decode(u[:], []byte(t)); err != nil {
		return u, fmt.Errorf("%q is not a uuid", s)
	}
	return u, nil
}

// volume is one configured volume with its path made absolute at start-up,
// so later changes of the working directory cannot move it.
type volume struct {
	name    string
	backend string
	path    string
	dev     uint64 // st_dev of path at start-up; see available
}

// openVolume describes the volume at path as it is now.
func openVolume(name, backend, path string) (volume, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return volume{}, fmt.Errorf("volume %q: %w", name, err)
	}
	dev, err := deviceOf(abs)
	if err != nil {
		return volume{}, fmt.Errorf("volume %q: %w", name, err)
	}
	return volume{name: name, backend: backend, path: abs, dev: dev}, nil
}

// deviceOf returns the filesystem (st_dev) that directory path is on.
func deviceOf(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return 0, &fs.PathError{Op: "stat", Path: path, Err: syscall.ENOTDIR}
	}
	return st.Dev, nil
}

// available fails with ErrVolumeUnavailable when vol's directory is gone or
// sits on another filesystem than at start: an unmounted NFS volume leaves
// its empty mount point on the root disk, which must not be written into.
func (vol volume) available() error {
	dev, err := deviceOf(vol.path)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrVolumeUnavailable, vol.name, err)
	}
	if dev != vol.dev {
		return fmt.Errorf("%w: %q: %s is no longer the filesystem it was at start (unmounted?); mount it again or restart storage-agent",
			ErrVolumeUnavailable, vol.name, vol.path)
	}
	return nil
}

// folderDir checks that v's directory exists on vol as a real directory
// reached without any symlink, and returns its absolute host path. Each
// component is Lstat'ed through an os.Root, so neither a symlink nor ".."
// can lead the check (or the later bind mount) outside the volume.
func (vol volume) folderDir(v vfid) (string, error) {
	if err := vol.available(); err != nil {
		return "", err
	}
	root, err := os.OpenRoot(vol.path)
	if err != nil {
		return "", fmt.Errorf("volume %q: %w", vol.name, err)
	}
	defer root.Close()
	rel := v.relPath()
	parts := strings.Split(rel, "/")
	for i := range parts {
		p := path.Join(parts[:i+1]...)
		fi, err := root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%w: %s on volume %q", ErrFolderNotFound, v, vol.name)
		}
		if err != nil {
			return "", fmt.Errorf("volume %q: %w", vol.name, err)
		}
		if !fi.IsDir() { // Lstat: a symlink is not a directory here
			return "", fmt.Errorf("%w: %s on volume %q (not a directory)", ErrFolderNotFound, v, vol.name)
		}
	}
	return filepath.Join(vol.path, filepath.FromSlash(rel)), nil
}

// createFolder makes v's directory on vol (and its missing parents),
// idempotently, and reports whether it made the folder itself. The parents
// stay owned by the daemon so nobody but root can swap them for symlinks
// between our checks and a later bind mount; only the folder itself is
// handed to the session uid/gid, with mode perm.
func (vol volume) createFolder(v vfid, uid, gid int, perm fs.FileMode) (created bool, err error) {
	if err := vol.available(); err != nil {
		return false, err
	}
	root, err := os.OpenRoot(vol.path)
	if err != nil {
		return false, fmt.Errorf("volume %q: %w", vol.name, err)
	}
	defer root.Close()
	parts := strings.Split(v.relPath(), "/")
	for i := range parts {
		p := path.Join(parts[:i+1]...)
		err := root.Mkdir(p, 0o755)
		if errors.Is(err, fs.ErrExist) {
			fi, err := root.Lstat(p)
			if err != nil {
				return false, fmt.Errorf("volume %q: %w", vol.name, err)
			}
			if !fi.IsDir() { // Lstat: a symlink is not a directory here
				return false, fmt.Errorf("volume %q: %s exists and is not a directory", vol.name, p)
			}
			continue
		}
		if err != nil {
			return false, fmt.Errorf("volume %q: create %s: %w", vol.name, v, err)
		}
		if i < len(parts)-1 {
			continue
		}
		// Mkdir's mode is cut by the umask; set the asked one explicitly.
		if err := root.Chmod(p, perm); err != nil {
			return true, fmt.Errorf("volume %q: create %s: %w", vol.name, v, err)
		}
		if err := root.Lchown(p, uid, gid); err != nil {
			return true, fmt.Errorf("volume %q: create %s: %w", vol.name, v, err)
		}
		return true, nil
	}
	return false, nil
}
