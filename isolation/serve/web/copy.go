package web

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// copyMove copies or moves Path to Dest (PATCH action=copy|rename).
func (c *webCall) copyMove() error {
	move := c.req.Op == webproto.WebMove
	src, err := c.sfs.resolveWeb(c.req.Path, move)
	if err != nil {
		return err
	}
	dst, err := c.sfs.resolveWeb(c.req.Dest, true)
	if err != nil {
		return err
	}
	if src.m == nil || dst.rel == "." || (move && src.rel == ".") {
		return sessionfs.ErrVirtual
	}
	if _, err := src.m.Root.Lstat(src.rel); err != nil {
		return err
	}
	if src.m == dst.m && (src.rel == "." || strings.HasPrefix(dst.rel, src.rel+"/")) {
		return fmt.Errorf("into itself: %w", errWebBadRequest)
	}
	if _, err := dst.m.Root.Lstat(dst.rel); err == nil {
		switch {
		case c.req.Rename:
			if dst.rel, err = freeName(dst.m, dst.rel); err != nil {
				return err
			}
			dst.abs = path.Join(path.Dir(dst.abs), path.Base(dst.rel))
		case c.req.Override && !(src.m == dst.m && src.rel == dst.rel):
			if err := dst.m.Root.RemoveAll(dst.rel); err != nil {
				return err
			}
		case c.req.Override:
			return c.reply(webproto.WebReply{Path: dst.abs}) // onto itself: nothing to do
		default:
			return &fs.PathError{Op: c.req.Op, Path: dst.abs, Err: fs.ErrExist}
		}
	}
	if err := dst.m.Root.MkdirAll(path.Dir(dst.rel), 0o755); err != nil {
		return err
	}
	switch {
	case move && src.m == dst.m:
		err = src.m.Root.Rename(src.rel, dst.rel)
	case move:
		if err = copyTree(src.m, src.rel, dst.m, dst.rel); err == nil {
			err = src.m.Root.RemoveAll(src.rel)
		}
	default:
		err = copyTree(src.m, src.rel, dst.m, dst.rel)
	}
	if err != nil {
		return err
	}
	return c.reply(webproto.WebReply{Path: dst.abs})
}

// freeName returns "name(N).ext" next to rel for the first free N.
func freeName(m *sessionfs.Mount, rel string) (string, error) {
	dir, base := path.Dir(rel), path.Base(rel)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 1; i < 10000; i++ {
		cand := path.Join(dir, fmt.Sprintf("%s(%d)%s", stem, i, ext))
		if _, err := m.Root.Lstat(cand); errors.Is(err, fs.ErrNotExist) {
			return cand, nil
		}
	}
	return "", fmt.Errorf("no free name for %s: %w", base, errWebConflict)
}

// copyTree copies a file, symlink or directory tree. Files go through
// copy_file_range where the kernel can (io.Copy between *os.File).
func copyTree(sm *sessionfs.Mount, srel string, dm *sessionfs.Mount, drel string) error {
	fi, err := sm.Root.Lstat(srel)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := sm.Root.Readlink(srel)
		if err != nil {
			return err
		}
		return dm.Root.Symlink(target, drel)
	case fi.IsDir():
		if err := dm.Root.Mkdir(drel, fi.Mode().Perm()|0o700); err != nil {
			return err
		}
		d, err := sm.Root.Open(srel)
		if err != nil {
			return err
		}
		names, err := d.Readdirnames(-1)
		d.Close()
		if err != nil {
			return err
		}
		slices.Sort(names)
		for _, n := range names {
			if hidden(srel, n) {
				continue
			}
			if err := copyTree(sm, path.Join(srel, n), dm, path.Join(drel, n)); err != nil {
				return err
			}
		}
		return nil
	case fi.Mode().IsRegular():
		return sessionfs.CopyFile(sm.Root, srel, dm.Root, drel, fi.Mode().Perm())
	}
	return nil // devices, fifos, sockets: not copied
}
