package main

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// TestWebFSArchiveFormats: every format of Filebrowser's download prompt
// streams a tar that unpacks to the files (bzip2 read back with Go's own
// decoder, the others with their libraries' readers).
func TestWebFSArchiveFormats(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-archive", map[string]string{"data": "rw"})
	want := map[string]string{"d/a.txt": strings.Repeat("alpha ", 5000), "d/sub/b #?.bin": "beta"}
	writeFiles(t, hosts["data"], want)
	readers := map[string]func(io.Reader) (io.Reader, error){
		"targz":  func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		"tarbz2": func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil },
		"tarxz":  func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) },
		"tarlz4": func(r io.Reader) (io.Reader, error) { return lz4.NewReader(r), nil },
		"tarsz":  func(r io.Reader) (io.Reader, error) { return snappy.NewReader(r), nil },
		"tarbr":  func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
		"tarzst": func(r io.Reader) (io.Reader, error) { return zstd.NewReader(r) },
	}
	for algo, open := range readers {
		t.Run(algo, func(t *testing.T) {
			body := w.expect(200, "GET", "/api/raw/data/d?algo="+algo, nil, nil)
			zr, err := open(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			tr := tar.NewReader(zr)
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if h.Typeflag == tar.TypeReg {
					b, _ := io.ReadAll(tr)
					got[h.Name] = string(b)
				}
			}
			for name, content := range want {
				if got[name] != content {
					t.Fatalf("%s: %q has %d bytes, want %d (entries %d)", algo, name, len(got[name]), len(content), len(got))
				}
			}
		})
	}
	w.expect(400, "GET", "/api/raw/data/d?algo=rar", nil, nil)
}
