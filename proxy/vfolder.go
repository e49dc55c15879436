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

	"github.com/storage-agent/storage-agent/proxy/storage"
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

// parseUUID accepts the spellings Python's uuid.UUID accepts in practice;
// the storage proxy's parser is the one source of that rule.
func parseUUID(s string) ([16]byte, error) {
	u, err := storage.ParseUUID(s)
	return [16]byte(u), err
}

// volume is one configured volume with its path made absolute at start-up,
// so later changes of the working directory cannot move it.
type volume struct {
	name    string
	backend string
	path    string
	store   *storage.Volume // notices an unmount; see available
}

// openVolume describes the volume at path as it is now.
func openVolume(name, backend, path string) (volume, error) {
	store, err := storage.NewVolume(name, path)
	if err != nil {
		return volume{}, err
	}
	return volume{name: name, backend: backend, path: store.Path, store: store}, nil
}

// available fails with ErrVolumeUnavailable when vol is unmounted or gone.
func (vol volume) available() error { return vol.store.Available() }

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
