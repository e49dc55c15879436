package web

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/webproto"
	"golang.org/x/sys/unix"
)

// stat answers with size, mtime and kind; a symlink is followed (inside
// its mount only).
func (c *webCall) stat() error {
	p, err := c.sfs.resolveWeb(c.req.Path, false)
	if err != nil {
		return err
	}
	if p.m == nil {
		return c.reply(webproto.WebReply{IsDir: true, ModTime: time.Now()})
	}
	fi, err := p.m.Root.Stat(p.rel)
	if err != nil {
		return err
	}
	return c.reply(webproto.WebReply{Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir()})
}

// read sends bytes [Offset, Offset+Length) of a regular file; the kernel
// moves them from the file into the stream (sendfile).
func (c *webCall) read() error {
	_, f, fi, err := c.openRegular()
	if err != nil {
		return err
	}
	defer f.Close()
	off, n := c.req.Offset, c.req.Length
	if off < 0 || off > fi.Size() {
		return fmt.Errorf("offset %d: %w", off, errWebBadRequest)
	}
	if n < 0 || off+n > fi.Size() {
		n = fi.Size() - off
	}
	if err := c.reply(webproto.WebReply{Size: n, ModTime: fi.ModTime()}); err != nil {
		return nil
	}
	if c.pipe != nil {
		_ = spliceToPipe(c.pipe, f, off, n)
		return nil
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil
	}
	_, _ = io.Copy(c.conn, io.LimitReader(f, n))
	return nil
}

// spliceToPipe moves n bytes of f from off into pipe by reference
// (splice(2)): the file's pages are not copied here; the daemon's read of
// the pipe is the only copy. A reader gone away (EPIPE) just ends it.
func spliceToPipe(pipe, f *os.File, off, n int64) error {
	rc, err := pipe.SyscallConn()
	if err != nil {
		return fmt.Errorf("data pipe: %w", err)
	}
	ffd := int(f.Fd())
	var spliceErr error
	// Write calls the func again once the pipe is writable whenever it
	// returns false (EAGAIN); no thread blocks meanwhile.
	err = rc.Write(func(pfd uintptr) bool {
		for n > 0 {
			moved, err := unix.Splice(ffd, &off, int(pfd), nil, int(min(n, webproto.DataPipeSize)),
				unix.SPLICE_F_MOVE|unix.SPLICE_F_MORE|unix.SPLICE_F_NONBLOCK)
			switch {
			case errors.Is(err, unix.EINTR):
				continue
			case errors.Is(err, unix.EAGAIN):
				return false
			case err != nil:
				spliceErr = fmt.Errorf("splice: %w", err)
				return true
			case moved == 0:
				spliceErr = io.ErrUnexpectedEOF // the file shrank under us
				return true
			}
			n -= moved
		}
		return true
	})
	if spliceErr != nil {
		return spliceErr
	}
	return err
}

// usage reports the filesystem holding Path (the first mount for "/").
func (c *webCall) usage() error {
	p, err := c.sfs.resolveWeb(c.req.Path, false)
	if err != nil {
		return err
	}
	if p.m == nil {
		if len(c.sfs.Names()) == 0 {
			return c.reply(webproto.WebReply{})
		}
		p.m, p.rel = c.sfs.Mount(c.sfs.Names()[0]), "."
	}
	f, err := p.m.Root.Open(p.rel)
	if err != nil {
		return err
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return &fs.PathError{Op: "statfs", Path: p.abs, Err: err}
	}
	total := int64(st.Blocks) * st.Bsize
	used := int64(st.Blocks-st.Bfree) * st.Bsize
	if err := c.reply(webproto.WebReply{}); err != nil {
		return nil
	}
	_, _ = fmt.Fprintf(c.conn, `{"total":%d,"used":%d}`, total, used)
	return nil
}

// openDir opens a directory below a mount for listing.
func openDir(p webPath) (*os.File, error) {
	f, err := p.m.Root.Open(p.rel)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "opendir", Path: p.abs, Err: unix.ENOTDIR}
	}
	return f, nil
}

// openRegular opens the request's path for reading; anything but a
// regular file (a folder, a device, the session root) is refused.
func (c *webCall) openRegular() (webPath, *os.File, fs.FileInfo, error) {
	p, err := c.sfs.resolveWeb(c.req.Path, false)
	if err != nil {
		return p, nil, nil, err
	}
	if p.m == nil {
		return p, nil, nil, sessionfs.ErrVirtual
	}
	f, err := p.m.Root.Open(p.rel)
	if err != nil {
		return p, nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file: %w", p.abs, errWebBadRequest)
	}
	if err != nil {
		f.Close()
		return p, nil, nil, err
	}
	return p, f, fi, nil
}
