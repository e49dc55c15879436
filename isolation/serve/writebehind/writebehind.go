// Package writebehind keeps large writes from filling a memory-limited
// cgroup with dirty pages: the SFTP server and the scp sink write every
// user upload through a File. It may import only the standard library and
// golang.org/x/sys.
package writebehind

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// A worker's page cache is charged to its cgroup, so a large upload fills
// the worker's memory limit with dirty pages and every further write stalls
// in reclaim waiting for writeback. Write-behind starts writeback of each
// completed window at once and drops windows that are safely on disk, so
// an upload of any size keeps only a few windows in memory.
const (
	behindWindow = 8 << 20 // writeback is started per window
	behindKeep   = 4       // windows kept cached behind the newest one
)

// File is a file opened for writing by a session user.
type File struct {
	*os.File
	mu        sync.Mutex
	nextStart int64 // first byte of the next window to start writeback for
	nextDrop  int64 // first byte of the next window to drop from the cache
}

// New wraps f, which the File then owns.
func New(f *os.File) *File { return &File{File: f} }

// WriteAt writes p at off, then, when the highest written offset has moved
// past whole windows, starts their writeback and drops old ones.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	if err != nil {
		return n, err
	}
	end := off + int64(n)
	f.mu.Lock()
	defer f.mu.Unlock()
	fd := int(f.Fd())
	for f.nextStart+behindWindow <= end {
		_ = unix.SyncFileRange(fd, f.nextStart, behindWindow, unix.SYNC_FILE_RANGE_WRITE)
		f.nextStart += behindWindow
	}
	for f.nextDrop+behindKeep*behindWindow <= f.nextStart {
		// Wait for this old window's writeback (long started), then drop it.
		_ = unix.SyncFileRange(fd, f.nextDrop, behindWindow,
			unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
		_ = unix.Fadvise(fd, f.nextDrop, behindWindow, unix.FADV_DONTNEED)
		f.nextDrop += behindWindow
	}
	return n, nil
}
