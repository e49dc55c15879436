package serve

import (
	"io"
	"io/fs"
	"os"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"golang.org/x/sys/unix"
)

// listerAt serves a fixed, small list of entries.
type listerAt []fs.FileInfo

// ListAt copies entries from offset; io.EOF marks the end.
func (l listerAt) ListAt(buf []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(buf, l[off:])
	if n < len(buf) || off+int64(n) == int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

// dirLister streams a directory: it reads only as many entries as the
// client asks for per READDIR, so a huge directory never sits in memory,
// and it lstats entries relative to the open directory (fstatat), never
// through a path string.
type dirLister struct {
	dir  *os.File
	next int64 // offset of the next entry the client will ask for
}

// ListAt returns the next entries; pkg/sftp asks with increasing offsets.
func (d *dirLister) ListAt(buf []fs.FileInfo, off int64) (int, error) {
	if off != d.next {
		return 0, unix.EINVAL // SFTP READDIR only ever continues where it stopped
	}
	entries, err := d.dir.ReadDir(len(buf))
	n := 0
	for _, e := range entries {
		var st unix.Stat_t
		if unix.Fstatat(int(d.dir.Fd()), e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue // removed since readdir
		}
		buf[n] = sessionfs.StatInfo(e.Name(), &st)
		n++
	}
	d.next += int64(n)
	if err == io.EOF || (err == nil && len(entries) == 0) {
		return n, io.EOF
	}
	return n, err
}

// Close releases the directory.
func (d *dirLister) Close() error { return d.dir.Close() }

// renamedInfo shows a mount's root directory under the mount's name.
type renamedInfo struct {
	fs.FileInfo
	name string
}

func (r renamedInfo) Name() string { return r.name }
