// Package writebehind keeps large writes from filling a memory-limited
// cgroup with dirty pages: the SFTP server and the scp sink write every
// user upload through a File. The client API's tus upload writes through
// one too, so that the fsync closing each chunk finds the chunk already
// mostly on disk. It may import only the standard library and
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
	// DefaultWindow is the window of New: writeback is started per window.
	DefaultWindow = 8 << 20
	behindKeep    = 4 // windows kept cached, the one being written included
)

// File is a file opened for writing by a session user.
type File struct {
	*os.File
	window    int64
	mu        sync.Mutex
	nextStart int64 // first byte of the next window to start writeback for
	nextDrop  int64 // first byte of the next window to drop from the cache
}

// New wraps f, written from its start, which the File then owns.
func New(f *os.File) *File { return NewAt(f, 0, DefaultWindow) }

// NewAt wraps f, written from off on, starting writeback every window
// bytes (a multiple of the page size). A smaller window keeps the disk
// busier while the writer still receives, at the cost of more
// sync_file_range calls. Windows lie on multiples of window whatever off
// is: the cache is dropped in whole pages, so a window boundary inside a
// page would keep that page cached.
func NewAt(f *os.File, off, window int64) *File {
	base := off - off%window
	return &File{File: f, window: window, nextStart: base, nextDrop: base}
}

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
	for f.nextStart+f.window <= end {
		_ = unix.SyncFileRange(fd, f.nextStart, f.window, unix.SYNC_FILE_RANGE_WRITE)
		f.nextStart += f.window
	}
	for f.nextDrop+behindKeep*f.window <= f.nextStart {
		// Wait for this old window's writeback (long started), then drop it.
		_ = unix.SyncFileRange(fd, f.nextDrop, f.window,
			unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
		_ = unix.Fadvise(fd, f.nextDrop, f.window, unix.FADV_DONTNEED)
		f.nextDrop += f.window
	}
	return n, nil
}
