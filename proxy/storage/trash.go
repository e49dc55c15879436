package storage

import (
	"fmt"
	"os"
	"path"
	"strings"
)

// Trash moves v's folder out of sight with one rename, so a deletion
// answers at once however many files the folder holds, and returns the
// name Purge takes. A restart finds what was not purged yet in Trashed.
func (vol *Volume) Trash(v VFID) (string, error) {
	r, err := vol.root()
	if err != nil {
		return "", err
	}
	defer r.Close()
	rel := v.RelPath()
	n, err := checkDirs(r, rel)
	if err != nil {
		return "", fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	if n != strings.Count(rel, "/")+1 {
		return "", fmt.Errorf("%w: %s on volume %q", ErrFolderNotFound, v, vol.Name)
	}
	t, err := vol.internal("trash")
	if err != nil {
		return "", err
	}
	t.Close()
	name := trashName(v)
	if err := r.Rename(rel, path.Join(internalDir, "trash", name)); err != nil {
		return "", fmt.Errorf("volume %q: delete %s: %w", vol.Name, v, err)
	}
	// The layout's <aa>/<bb> parents go when they are left empty, as in
	// Backend.AI; the quota scope stays. A non-empty parent refuses rmdir.
	parent := path.Dir(rel)
	for _, p := range []string{parent, path.Dir(parent)} {
		if r.Remove(p) != nil {
			break
		}
	}
	return name, nil
}

// Purge removes a trashed folder and everything in it. RemoveAll works
// through the trash root and never follows a symlink a user left inside.
func (vol *Volume) Purge(name string) error {
	t, err := vol.internal("trash")
	if err != nil {
		return err
	}
	defer t.Close()
	if err := t.RemoveAll(name); err != nil {
		return fmt.Errorf("volume %q: purge: %w", vol.Name, err)
	}
	return nil
}

// Trashed lists the folders waiting to be purged.
func (vol *Volume) Trashed() ([]string, error) {
	t, err := vol.internal("trash")
	if err != nil {
		return nil, err
	}
	defer t.Close()
	d, err := t.Open(".")
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("volume %q: %w", vol.Name, err)
	}
	return names, nil
}

// trashName names a trashed folder after its vfid, so a purge a restart
// finishes can still tell the manager which folder is gone.
func trashName(v VFID) string {
	kind := v.Scope.Kind
	if kind == "" {
		kind = "legacy"
	}
	return strings.Join([]string{kind, v.Scope.ID.Hex(), v.Folder.Hex(), randomName()[:8]}, "_")
}

// TrashedVFID is the vfid a trash entry was named after.
func TrashedVFID(name string) (VFID, bool) {
	parts := strings.Split(name, "_")
	if len(parts) != 4 {
		return VFID{}, false
	}
	s := parts[0] + ":" + parts[1] + "/" + parts[2]
	if parts[0] == "legacy" {
		s = parts[2]
	}
	v, err := ParseVFID(s)
	return v, err == nil
}

// openRootDir opens the directory "." of r as a file, for *at syscalls.
func openRootDir(r *os.Root) (*os.File, error) { return r.Open(".") }
