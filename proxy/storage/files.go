package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"
	"time"
)

// CleanRel checks a caller's relative path and cleans it. Absolute paths,
// NUL bytes and paths that lexically climb out of the folder are refused;
// ".." inside the folder and symlinks are left to os.Root, which refuses
// whatever would resolve outside.
func CleanRel(p string) (string, error) {
	switch {
	case strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("%w: %q is absolute", ErrInvalidSubpath, p)
	case strings.ContainsRune(p, 0):
		return "", fmt.Errorf("%w: NUL in %q", ErrInvalidSubpath, p)
	}
	c := path.Clean("./" + p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%w: %q leads out of the folder", ErrInvalidSubpath, p)
	}
	return c, nil
}

// Mkdir makes rel in f: with parents, missing parents too; with existOK,
// an existing directory is no error. New directories belong to the
// folder's owner, so the sessions that mount it can write into them.
func (f *Folder) Mkdir(rel string, parents, existOK bool) error {
	p, err := CleanRel(rel)
	if err != nil {
		return err
	}
	parts := strings.Split(p, "/")
	first := len(parts) - 1
	if parents {
		first = 0
	}
	for i := first; i < len(parts); i++ {
		q := path.Join(parts[:i+1]...)
		err := f.Root.Mkdir(q, 0o755)
		switch {
		case err == nil:
			if err := f.giveToOwner(q); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist) && (i < len(parts)-1 || existOK):
			if fi, serr := f.Root.Stat(q); serr != nil {
				return subpathErr(serr)
			} else if !fi.IsDir() {
				return &fs.PathError{Op: "mkdir", Path: q, Err: syscall.ENOTDIR}
			}
		default:
			return subpathErr(err)
		}
	}
	return nil
}

// giveToOwner hands p to the owner of the folder itself: the daemon runs
// as root, the sessions as the folder's owner.
func (f *Folder) giveToOwner(p string) error {
	uid, gid, err := f.owner()
	if err != nil {
		return err
	}
	return f.Root.Lchown(p, uid, gid)
}

// owner is the uid and gid that own the folder's root directory.
func (f *Folder) owner() (uid, gid int, err error) {
	fi, err := f.Root.Stat(".")
	if err != nil {
		return 0, 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, fmt.Errorf("no owner for %s", f.VFID)
	}
	return int(st.Uid), int(st.Gid), nil
}

// Entry is one item of a listing, shaped as Backend.AI's DirEntry.
type Entry struct {
	Name          string    `json:"name"`
	Path          string    `json:"path"`
	Type          string    `json:"type"` // FILE, DIRECTORY or SYMLINK
	Stat          EntryStat `json:"stat"`
	SymlinkTarget string    `json:"symlink_target"`
}

// EntryStat is an entry's lstat.
type EntryStat struct {
	Inode    uint64 `json:"inode"`
	Size     int64  `json:"size"`
	Mode     uint32 `json:"mode"` // st_mode, type bits included
	Modified string `json:"modified"`
	Created  string `json:"created"`
}

// isoTime writes t as Python's datetime.isoformat() of an aware UTC
// datetime: six fraction digits unless the microseconds are zero.
func isoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}

// List returns at most limit entries of directory rel, each lstat'ed (a
// symlink to a directory is a SYMLINK).
func (f *Folder) List(rel string, limit int) ([]Entry, error) {
	p, err := CleanRel(rel)
	if err != nil {
		return nil, err
	}
	d, err := f.Root.Open(p)
	if err != nil {
		return nil, subpathErr(err)
	}
	defer d.Close()
	des, err := d.ReadDir(limit)
	if err != nil && len(des) == 0 && !errors.Is(err, io.EOF) {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		e := Entry{Name: de.Name(), Path: path.Join(p, de.Name()), Type: "FILE"}
		if st != nil {
			e.Stat = EntryStat{Inode: st.Ino, Size: st.Size, Mode: st.Mode,
				Modified: isoTime(time.Unix(st.Mtim.Unix())), Created: isoTime(time.Unix(st.Ctim.Unix()))}
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			e.Type = "SYMLINK"
			e.SymlinkTarget = f.linkTarget(p, de.Name())
		case fi.IsDir():
			e.Type = "DIRECTORY"
		}
		out = append(out, e)
	}
	return out, nil
}

// linkTarget is the symlink's target relative to dir when it stays
// inside dir, "" otherwise: a listing never reveals where an escaping
// link points.
func (f *Folder) linkTarget(dir, name string) string {
	t, err := f.Root.Readlink(path.Join(dir, name))
	if err != nil || strings.HasPrefix(t, "/") {
		return ""
	}
	c := path.Clean(t)
	if c == ".." || strings.HasPrefix(c, "../") {
		return ""
	}
	return c
}

// Rename gives rel the name newName in the same directory.
func (f *Folder) Rename(rel, newName string) error {
	p, err := CleanRel(rel)
	if err != nil {
		return err
	}
	if newName == "" || newName == "." || newName == ".." || strings.ContainsAny(newName, "/\x00") {
		return fmt.Errorf("%w: new name %q", ErrInvalidSubpath, newName)
	}
	return subpathErr(f.Root.Rename(p, path.Join(path.Dir(p), newName)))
}

// Move moves src to dst with shutil.move's rule: into dst when dst is an
// existing directory.
func (f *Folder) Move(src, dst string) error {
	s, err := CleanRel(src)
	if err != nil {
		return err
	}
	d, err := CleanRel(dst)
	if err != nil {
		return err
	}
	if fi, err := f.Root.Stat(d); err == nil && fi.IsDir() {
		d = path.Join(d, path.Base(s))
	}
	return subpathErr(f.Root.Rename(s, d))
}

// Delete removes each path; a missing path and a directory without
// recursive are skipped, as Backend.AI's vfs does.
func (f *Folder) Delete(rels []string, recursive bool) error {
	for _, rel := range rels {
		p, err := CleanRel(rel)
		if err != nil {
			return err
		}
		if p == "." {
			return fmt.Errorf("%w: cannot delete the folder itself", ErrInvalidSubpath)
		}
		fi, err := f.Root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return subpathErr(err)
		case fi.IsDir() && !recursive:
			continue
		case fi.IsDir():
			err = f.Root.RemoveAll(p)
		default:
			err = f.Root.Remove(p)
		}
		if err != nil {
			return subpathErr(err)
		}
	}
	return nil
}
