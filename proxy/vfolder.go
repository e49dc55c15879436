package proxy

import (
	"errors"
	"fmt"

	"github.com/storage-agent/storage-agent/proxy/storage"
)

// parseMountVFID reads a mount's vfid with the storage package's parser,
// the one source of the vfid rules, and refuses a legacy vfid (a bare
// folder uuid): the session API has always wanted the quota scope, and
// its clients and tests rely on a bare uuid being a 400.
func parseMountVFID(s string) (storage.VFID, error) {
	v, err := storage.ParseVFID(s)
	if err == nil && !v.HasScope() {
		err = fmt.Errorf(`%w: want "<user|project>:<uuid>/<folder uuid>"`, storage.ErrInvalidVFID)
	}
	return v, err
}

// mountVFID is the vfid as the session API writes it (MountInfo.VFID):
// both uuids as 32 lowercase hex digits. It differs from storage's
// String (a dashed quota scope uuid, Backend.AI's str(VFolderID)) because
// session answers have always carried this form and clients compare it.
func mountVFID(v storage.VFID) string {
	return v.Scope.Kind + ":" + v.Scope.ID.Hex() + "/" + v.Folder.Hex()
}

// volume is one configured volume with its path made absolute at start-up,
// so later changes of the working directory cannot move it.
type volume struct {
	name    string
	backend string
	store   *storage.Volume // holds the absolute path; notices an unmount
}

// openVolume describes the volume at path as it is now.
func openVolume(name, backend, path string) (volume, error) {
	store, err := storage.NewVolume(name, path)
	if err != nil {
		return volume{}, err
	}
	return volume{name: name, backend: backend, store: store}, nil
}

// available fails with ErrVolumeUnavailable when vol is unmounted or gone.
func (vol volume) available() error { return vol.store.Available() }

// folderDir checks, through storage's OpenFolder (every layout component
// Lstat'ed under an os.Root, no symlink followed), that v's directory
// exists on vol, and returns its absolute host path for the bind mount.
// Where the storage API answers a layout component that is a file or a
// symlink with a plain error, a session open has always answered it 404,
// like a missing folder: for a mount, the folder is not there.
func (vol volume) folderDir(v storage.VFID) (string, error) {
	f, err := vol.store.OpenFolder(v)
	switch {
	case errors.Is(err, storage.ErrFolderNotFound):
		return "", fmt.Errorf("%w: %s on volume %q", ErrFolderNotFound, mountVFID(v), vol.name)
	case errors.Is(err, storage.ErrNotDirectory):
		return "", fmt.Errorf("%w: %s on volume %q (not a directory)", ErrFolderNotFound, mountVFID(v), vol.name)
	case err != nil:
		return "", err
	}
	defer f.Close()
	return f.HostPath, nil
}
