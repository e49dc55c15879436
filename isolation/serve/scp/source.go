package scp

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/storage-agent/storage-agent/isolation/serve/execio"
	"github.com/storage-agent/storage-agent/isolation/sessionfs"
)

// sourceMain sends the named files and trees (`scp -f`).
func (c *scpConn) sourceMain() error {
	if err := c.response(); err != nil { // the sink's go-ahead
		return nil // the sink went away or refused before anything began
	}
	for _, w := range c.o.args {
		for _, p := range glob(c.x.Tree, w) {
			if err := c.send(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// send sends one file or, with -r, one tree. It returns only fatal errors.
func (c *scpConn) send(p string) error {
	m, rel, err := c.x.Tree.Resolve(p)
	if err == nil && m == nil {
		err = fmt.Errorf("%w", sessionfs.ErrVirtual)
	}
	if err != nil {
		c.runErr("%s: %s", p, execio.ErrText(err))
		return nil
	}
	// Stat follows symlinks, as OpenSSH's scp does, but only inside the
	// mount: the root refuses a link that leads out of it.
	fi, err := m.Root.Stat(rel)
	if err != nil {
		c.runErr("%s: %s", p, execio.ErrText(err))
		return nil
	}
	name := path.Base(path.Clean("/" + p))
	if fi.IsDir() {
		if !c.o.recursive {
			c.runErr("%s: not a regular file", p)
			return nil
		}
		return c.sendDir(m, rel, p, name, fi)
	}
	if !fi.Mode().IsRegular() {
		c.runErr("%s: not a regular file", p)
		return nil
	}
	f, err := m.Root.Open(rel)
	if err != nil {
		c.runErr("%s: %s", p, execio.ErrText(err))
		return nil
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		c.runErr("%s: %s", p, execio.ErrText(err))
		return nil
	}
	if err := c.sendTimes(fi); err != nil {
		return ignoreRefusal(err)
	}
	fmt.Fprintf(c.x.Out, "C%04o %d %s\n", fi.Mode().Perm(), fi.Size(), name)
	if err := c.response(); err != nil {
		return ignoreRefusal(err)
	}
	if err := c.x.Out.Flush(); err != nil {
		return err
	}
	// The stream is a socket: io.CopyN lets the kernel move the file
	// (sendfile) without it passing through this process.
	n, err := io.CopyN(c.x.Conn, f, fi.Size())
	if n < fi.Size() {
		if _, werr := io.CopyN(c.x.Out, zeroReader{}, fi.Size()-n); werr != nil {
			return werr
		}
		c.runErr("%s: %s", p, execio.ErrText(err))
	} else if err := c.ack(); err != nil {
		return err
	}
	return ignoreRefusal(c.response())
}

// sendDir sends a directory with -r: D line, its entries, E line.
func (c *scpConn) sendDir(m *sessionfs.Mount, rel, p, name string, fi fs.FileInfo) error {
	dir, err := m.Root.Open(rel)
	if err != nil {
		c.runErr("%s: %s", p, execio.ErrText(err))
		return nil
	}
	defer dir.Close()
	if err := c.sendTimes(fi); err != nil {
		return ignoreRefusal(err)
	}
	fmt.Fprintf(c.x.Out, "D%04o %d %s\n", fi.Mode().Perm(), 0, name)
	if err := c.response(); err != nil {
		return ignoreRefusal(err)
	}
	for {
		// Read in batches, in directory order: a huge directory never
		// sits in memory.
		entries, err := dir.ReadDir(1024)
		for _, e := range entries {
			if err := c.send(path.Join(p, e.Name())); err != nil {
				return err
			}
		}
		if err != nil || len(entries) == 0 {
			break
		}
	}
	fmt.Fprint(c.x.Out, "E\n")
	return ignoreRefusal(c.response())
}

// sendTimes sends a T line with -p.
func (c *scpConn) sendTimes(fi fs.FileInfo) error {
	if !c.o.preserve {
		return nil
	}
	mtime := fi.ModTime().Unix()
	atime := mtime
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		atime = st.Atim.Sec
	}
	fmt.Fprintf(c.x.Out, "T%d 0 %d 0\n", mtime, atime)
	return c.response()
}

// ignoreRefusal turns an error line from the peer into "skip this one".
func ignoreRefusal(err error) error {
	if errors.Is(err, errPeerRefused) {
		return nil
	}
	return err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// glob expands a word with unquoted wildcards in its last element the way
// the remote shell of OpenSSH's scp would; a word without wildcards, or one
// that matches nothing, stays as it is.
func glob(s *sessionfs.FS, w execio.Word) []string {
	if !w.Glob {
		return []string{w.Text}
	}
	dir, pattern := path.Split(w.Text)
	if _, err := path.Match(pattern, ""); err != nil || strings.ContainsAny(dir, "*?[") {
		return []string{w.Text}
	}
	var names []string
	if m, rel, err := s.Resolve(dir); err == nil && m == nil {
		names = slices.Clone(s.Names())
	} else if err == nil {
		f, err := m.Root.Open(rel)
		if err == nil {
			names, _ = f.Readdirnames(-1)
			f.Close()
		}
	}
	var out []string
	for _, n := range names {
		if ok, _ := path.Match(pattern, n); ok && (!strings.HasPrefix(n, ".") || strings.HasPrefix(pattern, ".")) {
			out = append(out, dir+n)
		}
	}
	if len(out) == 0 {
		return []string{w.Text}
	}
	slices.Sort(out)
	return out
}
