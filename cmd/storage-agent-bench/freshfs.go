package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// freshFS is an ext4 filesystem made for one bench run on a loop device,
// mounted over the work directory: both servers' folders and the sources
// live on it, and it is thrown away at the end.
//
// ext4 does not reuse an inode deleted in the last minute (five, while its
// inode table block is dirty), and allocating next to many of them means
// checking each: with 100,000 files of an earlier run just deleted on the
// host's filesystem, every 10,000-file push took 4.2-4.7 s instead of
// 0.5-0.9 s, for either server, and the ratio measured ext4.
type freshFS struct {
	image, loop, mount string
}

// freshFSSize is the image's size; it is sparse, so only what the bench
// writes takes space.
const freshFSSize = 24 << 30

// newFreshFS makes and mounts the filesystem on dir. It needs root and
// e2fsprogs; without them the bench runs on the host's filesystem.
func newFreshFS(dir string) (*freshFS, error) {
	f := &freshFS{image: dir + ".img", mount: dir}
	img, err := os.Create(f.image)
	if err != nil {
		return nil, err
	}
	err = img.Truncate(freshFSSize)
	img.Close()
	if err != nil {
		f.close()
		return nil, err
	}
	// Inode tables and journal are written now, not by a kernel thread
	// in the middle of a measurement.
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", f.image).CombinedOutput(); err != nil {
		f.close()
		return nil, fmt.Errorf("mkfs.ext4: %v: %s", err, out)
	}
	// Direct I/O: the image's pages are not cached a second time on the
	// host's filesystem.
	out, err := exec.Command("losetup", "--find", "--show", "--direct-io=on", f.image).CombinedOutput()
	if err != nil {
		f.close()
		return nil, fmt.Errorf("losetup: %v: %s", err, out)
	}
	f.loop = strings.TrimSpace(string(out))
	if out, err := exec.Command("mount", f.loop, f.mount).CombinedOutput(); err != nil {
		f.close()
		return nil, fmt.Errorf("mount: %v: %s", err, out)
	}
	return f, nil
}

// close unmounts and removes the filesystem; what was on it is gone.
func (f *freshFS) close() {
	if f.loop != "" {
		_ = exec.Command("umount", "-l", f.mount).Run()
		_ = exec.Command("losetup", "-d", f.loop).Run()
	}
	os.Remove(f.image)
}

// describe says where the bench's files live, for its log.
func (f *freshFS) describe() string {
	if f == nil {
		return "the host's filesystem"
	}
	return fmt.Sprintf("a fresh ext4 on %s (%s)", f.loop, filepath.Base(f.image))
}
