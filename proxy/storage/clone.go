package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// cloneWorkers is how many directories a clone copies at once. Copying
// many small files is bound by system calls, not by the disk; two cores'
// worth of them in flight beat cp -a, which copies one file at a time.
const cloneWorkers = 4

// Clone copies the whole tree of src into dst (an empty folder): files
// through copy_file_range (the bytes never cross user space, and
// reflink-capable file systems share extents), directories and symlinks
// recreated, permission bits, owners and file times kept, as cp -a keeps
// them: the sessions that mount the copy must be able to write what they
// could write in the original. Devices, FIFOs and sockets are skipped.
// progress is called after each entry with the count done so far (from
// several goroutines, never at once).
//
// The walk holds a directory descriptor on each side and names entries by
// the single components readdir returned, opened with O_NOFOLLOW: no path
// is resolved twice, and nothing a session swaps in meanwhile (a symlink
// for a directory) can lead either side out of its folder.
func Clone(ctx context.Context, src, dst *Folder, progress func(done int64)) error {
	srcDir, err := src.Root.Open(".")
	if err != nil {
		return fmt.Errorf("clone: %w", err)
	}
	defer srcDir.Close()
	dstDir, err := dst.Root.Open(".")
	if err != nil {
		return fmt.Errorf("clone: %w", err)
	}
	defer dstDir.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c := &cloner{ctx: ctx, cancel: cancel, progress: progress, slots: make(chan struct{}, cloneWorkers-1)}
	c.dir(int(srcDir.Fd()), int(dstDir.Fd()), ".")
	c.wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// cloner is one Clone in progress.
type cloner struct {
	ctx      context.Context
	cancel   context.CancelCauseFunc // the first error ends the clone
	progress func(int64)
	slots    chan struct{} // extra goroutines that may copy directories
	wg       sync.WaitGroup
	done     atomic.Int64
	mu       sync.Mutex // serializes progress calls
}

func (c *cloner) fail(p string, err error) {
	c.cancel(fmt.Errorf("clone %s: %w", p, err))
}

func (c *cloner) count() {
	n := c.done.Add(1)
	if c.progress != nil {
		c.mu.Lock()
		c.progress(n)
		c.mu.Unlock()
	}
}

// dir copies the entries of the open directory src into the open
// directory dst; p names it, for errors. It owns neither descriptor.
func (c *cloner) dir(src, dst int, p string) {
	f := os.NewFile(uintptr(dupCloexec(src)), p)
	if f == nil {
		c.fail(p, unix.EBADF)
		return
	}
	defer f.Close()
	for {
		ents, err := f.ReadDir(1024)
		for _, e := range ents {
			if c.ctx.Err() != nil {
				return
			}
			name := e.Name()
			if err := c.entry(src, dst, joinRel(p, name), name); err != nil {
				c.fail(joinRel(p, name), err)
				return
			}
		}
		if err != nil { // io.EOF at the end
			return
		}
	}
}

// entry copies one directory entry; subdirectories may go to another
// goroutine.
func (c *cloner) entry(src, dst int, p, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil // removed meanwhile
		}
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return c.subdir(src, dst, p, name, &st)
	case unix.S_IFLNK:
		target, err := readlinkat(src, name)
		if err == nil {
			err = unix.Symlinkat(target, dst, name)
		}
		if err == nil {
			err = unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW)
		}
		if err == nil {
			c.count()
		}
		return err
	case unix.S_IFREG:
		if err := copyRegular(src, dst, name, &st); err != nil {
			return err
		}
		c.count()
	}
	return nil // devices, FIFOs, sockets: not user data
}

// subdir makes the directory name in dst, copies into it (on another
// goroutine when one is free) and then gives it its mode and owner.
func (c *cloner) subdir(src, dst int, p, name string, st *unix.Stat_t) error {
	if err := unix.Mkdirat(dst, name, 0o700); err != nil {
		return err
	}
	sfd, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	dfd, err := unix.Openat(dst, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(sfd)
		return err
	}
	finish := func() {
		defer unix.Close(sfd)
		defer unix.Close(dfd)
		c.dir(sfd, dfd, p)
		if c.ctx.Err() != nil {
			return
		}
		// After its entries: a directory without write permission could
		// not have been filled.
		err := unix.Fchmod(dfd, st.Mode&0o7777)
		if err == nil {
			err = unix.Fchown(dfd, int(st.Uid), int(st.Gid))
		}
		if err != nil {
			c.fail(p, err)
			return
		}
		c.count()
	}
	select {
	case c.slots <- struct{}{}:
		c.wg.Go(func() {
			defer func() { <-c.slots }()
			finish()
		})
	default:
		finish()
	}
	return nil
}

// copyRegular copies the regular file name from src to dst with its mode,
// owner and times.
func copyRegular(src, dst int, name string, st *unix.Stat_t) error {
	in, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(in)
	out, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer unix.Close(out)
	for remaining := st.Size; remaining > 0; {
		n, err := unix.CopyFileRange(in, nil, out, nil, int(min(remaining, 1<<30)), 0)
		if err != nil {
			return err
		}
		if n == 0 {
			break // the file shrank meanwhile
		}
		remaining -= int64(n)
	}
	if err := unix.Fchown(out, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	// After chown, which clears set-id bits.
	if err := unix.Fchmod(out, st.Mode&0o7777); err != nil {
		return err
	}
	return unix.UtimesNanoAt(dst, name, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW)
}

func readlinkat(dir int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dir, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

func dupCloexec(fd int) int {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return nfd
}

func joinRel(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}
