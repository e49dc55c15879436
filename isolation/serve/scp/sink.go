package scp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/storage-agent/storage-agent/isolation/serve/execio"
	"github.com/storage-agent/storage-agent/isolation/serve/writebehind"
	"github.com/storage-agent/storage-agent/isolation/sessionfs"
)

// scpTimes are the times of a T line, applied to the next file or directory.
type scpTimes struct{ mtime, atime time.Time }

// sinkMain receives into the one target (`scp -t [-d] [-r] [-p] target`).
func (c *scpConn) sinkMain() error {
	if len(c.o.args) != 1 {
		return errors.New("ambiguous target")
	}
	targ := c.o.args[0].Text
	fi, err := statFollow(c.x.Tree, targ)
	isDir := err == nil && fi.IsDir()
	if c.o.targetDir && !isDir {
		if err == nil {
			err = syscall.ENOTDIR
		}
		return fmt.Errorf("%s: %s", targ, execio.ErrText(err))
	}
	return c.sink(targ, isDir)
}

// sink answers the records of one directory level until its E line (or,
// at the top, until the source closes the stream). It returns only fatal
// errors; per-file failures go to the peer as error lines.
func (c *scpConn) sink(targ string, targIsDir bool) error {
	if err := c.ack(); err != nil {
		return err
	}
	var times *scpTimes
	for first := true; ; first = false {
		line, err := c.readLine()
		if errors.Is(err, io.EOF) {
			return nil // the source is done
		}
		if err != nil {
			return err
		}
		if line == "" {
			return fmt.Errorf("empty control line: %w", errSCPProtocol)
		}
		switch line[0] {
		case 1, 2: // the source reports an error of its own
			// The client has printed it already; it only counts here.
			c.errs++
			if line[0] == 2 {
				return nil
			}
			continue
		case 'E':
			return c.ack()
		case 'T':
			if times, err = parseSCPTimes(line); err != nil {
				return err
			}
			if err := c.ack(); err != nil {
				return err
			}
			continue
		case 'C', 'D':
		default:
			if first {
				return fmt.Errorf("%s", strings.ToValidUTF8(line, "?"))
			}
			return fmt.Errorf("expected control record: %w", errSCPProtocol)
		}
		mode, size, name, err := parseSCPEntry(line)
		if err != nil {
			return err
		}
		np := targ
		if targIsDir {
			np = path.Join(targ, name)
		}
		if line[0] == 'D' {
			err = c.sinkDir(np, mode, times)
		} else {
			err = c.sinkFile(np, mode, size, times)
		}
		if err != nil {
			return err
		}
		times = nil
	}
}

// parseSCPEntry parses "C0644 <size> <name>" or "D0755 0 <name>" and
// refuses names a receiver must never accept (as OpenSSH's scp does): empty,
// ".", "..", or with a "/" that could lead the file elsewhere.
func parseSCPEntry(line string) (fs.FileMode, int64, string, error) {
	modeStr, rest, ok1 := strings.Cut(line[1:], " ")
	sizeStr, name, ok2 := strings.Cut(rest, " ")
	mode, err1 := strconv.ParseUint(modeStr, 8, 32)
	size, err2 := strconv.ParseInt(sizeStr, 10, 64)
	if !ok1 || !ok2 || len(modeStr) != 4 || err1 != nil || err2 != nil || size < 0 || sizeStr[0] == '+' {
		return 0, 0, "", fmt.Errorf("bad control line %q: %w", clipLine(line), errSCPProtocol)
	}
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return 0, 0, "", fmt.Errorf("error: unexpected filename: %s", clipLine(name))
	}
	return fs.FileMode(mode) & fs.ModePerm, size, name, nil
}

func parseSCPTimes(line string) (*scpTimes, error) {
	f := strings.Fields(line[1:])
	if len(f) != 4 {
		return nil, fmt.Errorf("mtime.sec not delimited: %w", errSCPProtocol)
	}
	mt, err1 := strconv.ParseInt(f[0], 10, 64)
	at, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("bad times %q: %w", clipLine(line), errSCPProtocol)
	}
	return &scpTimes{mtime: time.Unix(mt, 0), atime: time.Unix(at, 0)}, nil
}

func clipLine(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// sinkDir creates (or enters) a directory and receives its entries.
func (c *scpConn) sinkDir(np string, mode fs.FileMode, times *scpTimes) error {
	if !c.o.recursive {
		return fmt.Errorf("received directory without -r: %w", errSCPProtocol)
	}
	m, rel, err := c.x.Tree.ResolveWritable(np)
	created := false
	if err == nil {
		var fi fs.FileInfo
		if fi, err = m.Root.Stat(rel); err == nil {
			if !fi.IsDir() {
				err = syscall.ENOTDIR
			} else if c.o.preserve {
				err = m.Root.Chmod(rel, mode)
			}
		} else if errors.Is(err, fs.ErrNotExist) {
			// Owner-writable while we fill it; the final mode comes after.
			err = m.Root.Mkdir(rel, mode|0o700)
			created = err == nil
		}
	}
	if err != nil {
		c.runErr("%s: %s", np, execio.ErrText(err))
		return nil
	}
	if err := c.sink(np, true); err != nil {
		return err
	}
	if times != nil {
		if err := m.Root.Chtimes(rel, times.atime, times.mtime); err != nil {
			c.runErr("%s: set times: %s", np, execio.ErrText(err))
		}
	}
	if created {
		_ = m.Root.Chmod(rel, mode)
	}
	return nil
}

// sinkFile receives one file. The data goes to a temporary name in the
// target's directory and is renamed over the target only once all of it
// has arrived and the source has confirmed it, so an interrupted or bad
// upload never leaves a half file under the final name.
func (c *scpConn) sinkFile(np string, mode fs.FileMode, size int64, times *scpTimes) error {
	m, rel, err := c.x.Tree.ResolveWritable(np)
	var perm fs.FileMode
	if err == nil {
		perm, err = targetPerm(m, rel, mode, c.o.preserve)
	}
	var tmp string
	var f *os.File
	if err == nil {
		tmp, f, err = createTemp(m, rel)
	}
	if err != nil {
		c.runErr("%s: %s", np, execio.ErrText(err))
		return nil
	}
	ok := false
	defer func() {
		f.Close()
		if !ok {
			_ = m.Root.Remove(tmp)
		}
	}()
	if err := c.ack(); err != nil {
		return err
	}
	wf := writebehind.New(f)
	var wrErr error
	for off := int64(0); off < size; {
		n, err := io.ReadFull(c.x.In, c.buf[:min(int64(len(c.buf)), size-off)])
		if err != nil {
			return fmt.Errorf("%s: connection lost after %d of %d bytes", np, off+int64(n), size)
		}
		if wrErr == nil {
			// After a failed write keep reading: the stream must stay in step.
			_, wrErr = wf.WriteAt(c.buf[:n], off)
		}
		off += int64(n)
	}
	if err := c.response(); err != nil {
		if errors.Is(err, errPeerRefused) {
			return nil // the source could not read its file: drop ours
		}
		return err
	}
	if wrErr == nil {
		wrErr = f.Chmod(perm)
	}
	if wrErr == nil && times != nil {
		wrErr = f.Close()
		if wrErr == nil {
			wrErr = m.Root.Chtimes(tmp, times.atime, times.mtime)
		}
	}
	if wrErr == nil {
		wrErr = m.Root.Rename(tmp, rel)
	}
	if wrErr != nil {
		c.runErr("%s: %s", np, execio.ErrText(wrErr))
		return nil
	}
	ok = true
	return c.ack()
}

// targetPerm is the mode the received file ends with: the sent mode with
// -p; otherwise an existing file keeps its mode and a new one gets the sent
// mode less the usual umask, as OpenSSH's receiver would leave them.
func targetPerm(m *sessionfs.Mount, rel string, mode fs.FileMode, preserve bool) (fs.FileMode, error) {
	fi, err := m.Root.Stat(rel)
	switch {
	case err == nil && fi.IsDir():
		return 0, syscall.EISDIR
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return 0, err
	case preserve:
		return mode, nil
	case err == nil:
		return fi.Mode().Perm(), nil
	}
	return mode &^ 0o022, nil
}

// createTemp creates an empty, private temporary file next to rel.
func createTemp(m *sessionfs.Mount, rel string) (string, *os.File, error) {
	var b [6]byte
	for range 5 {
		_, _ = rand.Read(b[:])
		tmp := path.Join(path.Dir(rel), ".scp-upload-"+hex.EncodeToString(b[:]))
		f, err := m.Root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return tmp, f, err
		}
	}
	return "", nil, fs.ErrExist
}

// statFollow stats a session path, following symlinks inside its mount;
// the session root is a read-only directory.
func statFollow(s *sessionfs.FS, p string) (fs.FileInfo, error) {
	m, rel, err := s.Resolve(p)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return sessionfs.RootInfo(), nil
	}
	return m.Root.Stat(rel)
}
