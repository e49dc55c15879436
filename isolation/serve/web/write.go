package web

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/webproto"
	"golang.org/x/sys/unix"
)

// stage creates a new staging file in the mount's upload area.
func stage(m *sessionfs.Mount, name string) (*os.File, error) {
	if err := m.Root.Mkdir(uploadsDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return m.Root.OpenFile(path.Join(uploadsDir, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// place renames a staged file onto rel, atomically: the final name shows
// either nothing (or the old file) or the complete new one. Without
// replace an existing target is a conflict (RENAME_NOREPLACE).
func place(m *sessionfs.Mount, staged, rel string, replace bool) error {
	if err := m.Root.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return err
	}
	up, err := m.Root.Open(uploadsDir)
	if err != nil {
		return err
	}
	defer up.Close()
	dir, err := m.Root.Open(path.Dir(rel))
	if err != nil {
		return err
	}
	defer dir.Close()
	flags := uint(unix.RENAME_NOREPLACE)
	if replace {
		flags = 0
	}
	if err := unix.Renameat2(int(up.Fd()), staged, int(dir.Fd()), path.Base(rel), flags); err != nil {
		if errors.Is(err, unix.EISDIR) {
			err = fmt.Errorf("a directory is in the way: %w", errWebConflict)
		}
		return &fs.PathError{Op: "rename", Path: rel, Err: err}
	}
	return nil
}

// write stores the request body as Path: staged aside, then renamed into
// place, so a failed or cut upload never leaves a partial file.
func (c *webCall) write() error {
	p, err := c.sfs.resolveWeb(c.req.Path, true)
	if err != nil {
		return err
	}
	if p.rel == "." {
		return sessionfs.ErrVirtual
	}
	fi, err := p.m.Root.Lstat(p.rel)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%s is a directory: %w", p.abs, errWebConflict)
	case err == nil && !c.req.Override && !c.req.Existing:
		return &fs.PathError{Op: "create", Path: p.abs, Err: fs.ErrExist}
	case err != nil && c.req.Existing:
		return err
	}
	name := "w-" + rand.Text() + ".part"
	f, err := stage(p.m, name)
	if err != nil {
		return err
	}
	staged := path.Join(uploadsDir, name)
	_, err = io.CopyBuffer(f, c.body, make([]byte, 1<<20))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = place(p.m, name, p.rel, c.req.Override || c.req.Existing)
	}
	if err != nil {
		_ = p.m.Root.Remove(staged)
		return err
	}
	return c.reply(webproto.WebReply{})
}

// mkdir creates Path and its parents; an existing directory is fine.
func (c *webCall) mkdir() error {
	p, err := c.sfs.resolveWeb(c.req.Path, true)
	if err != nil {
		return err
	}
	if err := p.m.Root.MkdirAll(p.rel, 0o755); err != nil {
		return err
	}
	return c.reply(webproto.WebReply{})
}

// delete removes Path recursively; a mount itself is not the user's.
func (c *webCall) delete() error {
	p, err := c.sfs.resolveWeb(c.req.Path, true)
	if err != nil {
		return err
	}
	if p.rel == "." {
		return sessionfs.ErrVirtual
	}
	if _, err := p.m.Root.Lstat(p.rel); err != nil {
		return err
	}
	if err := p.m.Root.RemoveAll(p.rel); err != nil {
		return err
	}
	return c.reply(webproto.WebReply{})
}
