package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
)

// Usage is what /folder/usage reports.
type Usage struct {
	FileCount int64 `json:"file_count"` // every entry, directories too
	UsedBytes int64 `json:"used_bytes"` // sum of lstat sizes
}

// Usage walks the folder: entries counted (not the folder itself), lstat
// sizes summed, and blocks (for du-style used bytes) summed.
func (f *Folder) Usage(ctx context.Context) (u Usage, blockBytes int64, err error) {
	err = fs.WalkDir(f.Root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			blockBytes += st.Blocks * 512
		}
		if p == "." {
			return nil
		}
		u.FileCount++
		u.UsedBytes += fi.Size()
		return nil
	})
	if err != nil {
		return Usage{}, 0, fmt.Errorf("usage of %s: %w", f.VFID, err)
	}
	return u, blockBytes, nil
}

// Clone copies the whole tree of src into dst (an empty folder): files
// through copy_file_range (io.Copy between two *os.File uses it, so the
// bytes never cross user space and reflink-capable file systems share
// extents), directories and symlinks recreated, permission bits, owners
// and file times kept, as cp -a keeps them: the sessions that mount the
// copy must be able to write what they could write in the original.
// progress is called after each entry with the count done so far.
func Clone(ctx context.Context, src, dst *Folder, progress func(done int64)) error {
	var done int64
	return fs.WalkDir(src.Root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if p == "." {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			err = dst.Root.Mkdir(p, fi.Mode().Perm()|0o700)
			if err == nil {
				err = dst.Root.Chmod(p, fi.Mode().Perm())
			}
		case d.Type()&fs.ModeSymlink != 0:
			var target string
			if target, err = src.Root.Readlink(p); err == nil {
				err = dst.Root.Symlink(target, p)
			}
		case d.Type().IsRegular():
			err = sessionfs.CopyFile(src.Root, p, dst.Root, p, fi.Mode().Perm())
		default:
			return nil // devices, fifos, sockets: not user data
		}
		if err == nil {
			err = keepOwnerAndTimes(dst.Root, p, d, fi)
		}
		if err != nil {
			return fmt.Errorf("clone %s: %w", p, err)
		}
		done++
		if progress != nil {
			progress(done)
		}
		return nil
	})
}

// keepOwnerAndTimes gives p in dst the owner of fi (and a file its
// times; a directory's mtime changes again as it fills).
func keepOwnerAndTimes(dst *os.Root, p string, d fs.DirEntry, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if err := dst.Lchown(p, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if d.Type().IsRegular() {
		return dst.Chtimes(p, time.Unix(st.Atim.Unix()), fi.ModTime())
	}
	return nil
}

// OpenRegular opens rel for reading and checks it is a regular file
// (ErrNotRegular otherwise), returning its stat.
func (f *Folder) OpenRegular(rel string) (*os.File, fs.FileInfo, error) {
	p, err := CleanRel(rel)
	if err != nil {
		return nil, nil, err
	}
	fd, err := f.Root.Open(p)
	if err != nil {
		return nil, nil, subpathErr(err)
	}
	fi, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		fd.Close()
		return nil, fi, fmt.Errorf("%w: %s", ErrNotRegular, rel)
	}
	return fd, fi, nil
}
