package web

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// archiveSource is one tree to put into an archive under prefix.
type archiveSource struct {
	p      webPath
	prefix string
}

// archiveSink is what zip and tar writers have in common for us.
type archiveSink interface {
	add(name string, fi fs.FileInfo, r io.Reader) error
	close() error
}

// archive streams Path (or the selected Files within it) as a zip, tar
// or tar.gz built on the fly: nothing is staged in memory or on disk.
// Entry names are relative, never contain ".." and use "/" only.
func (c *webCall) archive() error {
	base, err := c.sfs.resolveWeb(c.req.Path, false)
	if err != nil {
		return err
	}
	var srcs []archiveSource
	switch {
	case len(c.req.Files) > 0:
		for _, f := range c.req.Files {
			rel := strings.TrimPrefix(path.Clean("/"+f), "/")
			if rel == "" || strings.Contains(f, "\x00") {
				return fmt.Errorf("file %q: %w", f, errWebBadRequest)
			}
			p, err := c.sfs.resolveWeb(path.Join(base.abs, rel), false)
			if err != nil {
				return err
			}
			if p.m == nil {
				return sessionfs.ErrVirtual
			}
			srcs = append(srcs, archiveSource{p: p, prefix: rel})
		}
	case base.m == nil:
		for _, name := range c.sfs.Names() {
			srcs = append(srcs, archiveSource{p: webPath{m: c.sfs.Mount(name), rel: ".", abs: "/" + name}, prefix: name})
		}
	default:
		srcs = append(srcs, archiveSource{p: base, prefix: path.Base(base.abs)})
	}
	for _, s := range srcs {
		if _, err := s.p.m.Root.Lstat(s.p.rel); err != nil {
			return err
		}
	}
	if _, known := tarCompressors[c.req.Format]; !known && c.req.Format != "zip" && c.req.Format != "tar" {
		return fmt.Errorf("archive format %q: %w", c.req.Format, errWebBadRequest)
	}
	if err := c.reply(webproto.WebReply{}); err != nil {
		return nil
	}
	bw := bufio.NewWriterSize(c.conn, 256<<10)
	var sink archiveSink
	switch c.req.Format {
	case "zip":
		zw := zip.NewWriter(bw)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
		sink = zipSink{zw}
	case "tar":
		sink = tarSink{tw: tar.NewWriter(bw)}
	default:
		z, err := tarCompressors[c.req.Format](bw)
		if err != nil {
			return nil // the cut stream tells the client
		}
		sink = tarSink{tw: tar.NewWriter(z), z: z}
	}
	for _, s := range srcs {
		if err := addTree(sink, s); err != nil {
			return nil // the cut stream tells the client
		}
	}
	if sink.close() == nil {
		_ = bw.Flush()
	}
	return nil
}

// entryName makes a safe archive name: backslashes (separators to some
// unpackers) become "_", and nothing absolute or with ".." gets through.
func entryName(name string) (string, bool) {
	name = strings.ReplaceAll(name, `\`, "_")
	clean := path.Clean(name)
	if clean != name || clean == "." || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false
	}
	return clean, true
}

// addTree adds a file or a directory tree; symlinks and special files are
// left out, so nothing outside the mount can be pulled in.
func addTree(sink archiveSink, s archiveSource) error {
	fi, err := s.p.m.Root.Lstat(s.p.rel)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return addFile(sink, s.p, s.p.rel, s.prefix, fi)
	}
	if name, ok := entryName(s.prefix); ok {
		if err := sink.add(name+"/", fi, nil); err != nil {
			return err
		}
	}
	return walk(s.p, func(rel string, d fs.DirEntry) error {
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		name, ok := entryName(path.Join(s.prefix, rel))
		if !ok {
			return nil
		}
		if d.IsDir() {
			return sink.add(name+"/", fi, nil)
		}
		return addFile(sink, s.p, path.Join(s.p.rel, rel), name, fi)
	})
}

func addFile(sink archiveSink, p webPath, rel, name string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return nil
	}
	name, ok := entryName(name)
	if !ok {
		return nil
	}
	f, err := p.m.Root.Open(rel)
	if err != nil {
		return nil // vanished or unreadable: leave it out
	}
	defer f.Close()
	return sink.add(name, fi, f)
}

type zipSink struct{ zw *zip.Writer }

func (z zipSink) add(name string, fi fs.FileInfo, r io.Reader) error {
	h, err := zip.FileInfoHeader(fi)
	if err != nil {
		return err
	}
	h.Name = name
	if r == nil {
		h.Method = zip.Store
	} else {
		h.Method = zip.Deflate
	}
	w, err := z.zw.CreateHeader(h)
	if err != nil || r == nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

func (z zipSink) close() error { return z.zw.Close() }

type tarSink struct {
	tw *tar.Writer
	z  io.WriteCloser // the compressor, if any
}

func (t tarSink) add(name string, fi fs.FileInfo, r io.Reader) error {
	h, err := tar.FileInfoHeader(fi, "")
	if err != nil {
		return err
	}
	h.Name, h.Uname, h.Gname = name, "", ""
	if err := t.tw.WriteHeader(h); err != nil || r == nil {
		return err
	}
	_, err = io.CopyN(t.tw, r, h.Size)
	return err
}

func (t tarSink) close() error {
	err := t.tw.Close()
	if t.z != nil && err == nil {
		err = t.z.Close()
	}
	return err
}
