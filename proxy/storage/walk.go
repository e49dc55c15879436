package storage

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"syscall"
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
