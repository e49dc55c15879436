package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/webfs"
)

// TestWebFSFilebrowserFrontend makes the requests Filebrowser's own
// frontend (v2.63) makes where webfs used to fail it.
func TestWebFSFilebrowserFrontend(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-fbfront", map[string]string{"data": "rw"})
	writeFiles(t, hosts["data"], map[string]string{
		"results.out": "epoch 1 loss 0.5\nepoch 2 loss 0.25\n",
		"model.out":   "\x00\x01\x02binary",
		"table.csv":   "a,b\n1,2\n",
		"huge.txt":    strings.Repeat("x", 6<<20),
	})
	os.Chmod(filepath.Join(hosts["data"], "huge.txt"), 0o644)

	// Clicking a column header saves the sorting.
	w.expect(200, "PUT", "/api/users/1", `{"what":"user","which":["sorting"],"data":{"id":1,"sorting":{"by":"size","asc":false}}}`, nil)
	var u struct{ Sorting webfs.Sorting }
	if err := json.Unmarshal(w.expect(200, "GET", "/api/users/1", nil, nil), &u); err != nil || u.Sorting.By != "size" || u.Sorting.Asc {
		t.Fatalf("sorting not kept: %+v %v", u, err)
	}
	w.expect(400, "PUT", "/api/users/1", `{"what":"user","which":["sorting"],"data":{"sorting":{"by":"evil"}}}`, nil)

	// The CSV view reads the raw bytes as application/octet-stream.
	r := w.resp("GET", "/api/resources/data/table.csv", nil, map[string]string{"X-Encoding": "true"})
	r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("X-Encoding: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}

	// One file's type comes from its first bytes when the name says nothing.
	info := func(p string) (typ string, content *string) {
		var it struct {
			Type    string
			Content *string
		}
		if err := json.Unmarshal(w.expect(200, "GET", "/api/resources/data/"+p, nil, nil), &it); err != nil {
			t.Fatal(err)
		}
		return it.Type, it.Content
	}
	if typ, content := info("results.out"); typ != "text" || content == nil || !strings.HasPrefix(*content, "epoch 1") {
		t.Fatalf("results.out: %s", typ)
	}
	if typ, _ := info("model.out"); typ != "blob" {
		t.Fatalf("model.out: %s", typ)
	}
	// A FIFO is never opened to be sniffed (it would wait for a writer).
	if err := syscall.Mkfifo(filepath.Join(hosts["data"], "pipe.out"), 0o644); err != nil {
		t.Fatal(err)
	}
	if typ, _ := info("pipe.out"); typ != "blob" {
		t.Fatalf("pipe.out: %s", typ)
	}
	// Text too big to carry its content is a blob: no editor opens it empty.
	if typ, content := info("huge.txt"); typ != "blob" || content != nil {
		t.Fatalf("huge.txt: %s, content %v", typ, content != nil)
	}
	// Listings still decide by extension alone.
	var dir struct{ Items []struct{ Name, Type string } }
	json.Unmarshal(w.expect(200, "GET", "/api/resources/data/", nil, nil), &dir)
	for _, it := range dir.Items {
		if it.Name == "results.out" && it.Type != "blob" {
			t.Fatalf("listing sniffed results.out: %s", it.Type)
		}
	}
}

// TestWebFSPreview: image previews are scaled in the worker; a file whose
// header claims a giant image is refused without being decoded.
func TestWebFSPreview(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-preview", map[string]string{"data": "rw"})
	img := image.NewRGBA(image.Rect(0, 0, 2000, 1000))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var pic bytes.Buffer
	png.Encode(&pic, img)
	// The bomb: a tiny PNG whose header says 60000 x 60000 pixels.
	var small bytes.Buffer
	png.Encode(&small, image.NewGray(image.Rect(0, 0, 1, 1)))
	bomb := small.Bytes()
	binary.BigEndian.PutUint32(bomb[16:], 60000)
	binary.BigEndian.PutUint32(bomb[20:], 60000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	writeFiles(t, hosts["data"], map[string]string{"pic.png": pic.String(), "bomb.png": string(bomb), "note.txt": "not an image"})

	for size, want := range map[string]image.Point{"thumb": {256, 128}, "big": {1080, 540}} {
		r := w.resp("GET", "/api/preview/"+size+"/data/pic.png", nil, nil)
		got, err := jpeg.Decode(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || err != nil || got.Bounds().Size() != want || r.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %d %v %v", size, r.StatusCode, err, got)
		}
	}
	w.expect(400, "GET", "/api/preview/thumb/data/bomb.png", nil, nil)
	w.expect(400, "GET", "/api/preview/thumb/data/note.txt", nil, nil)
	w.expect(400, "GET", "/api/preview/huge/data/pic.png", nil, nil)
	w.expect(404, "GET", "/api/preview/thumb/data/none.png", nil, nil)
}

// TestWebFSTusOnePatchAtATime: while one PATCH of an upload is still
// writing (a client that resumes before its cut request has drained), a
// second PATCH at the current offset is refused, so bytes never
// interleave.
func TestWebFSTusOnePatchAtATime(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-tuslock", map[string]string{"data": "rw"})
	const size = 8 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	os.Remove(filepath.Join(hosts["data"], "l.bin"))
	w.expect(201, "POST", "/api/tus/data/l.bin?override=true", nil, map[string]string{"Upload-Length": strconv.Itoa(size)})
	hdr := func(off int) map[string]string {
		return map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.Itoa(off), "Tus-Resumable": "1.0.0"}
	}
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("PATCH", w.base+"/api/tus/data/l.bin", pr)
		req.ContentLength = size
		for k, v := range hdr(0) {
			req.Header.Set(k, v)
		}
		req.Header.Set("X-Auth", w.token)
		resp, err := w.http.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	pw.Write(data[:1<<20])
	var off int
	waitFor(t, func() bool {
		r := w.resp("HEAD", "/api/tus/data/l.bin", nil, nil)
		r.Body.Close()
		off, _ = strconv.Atoi(r.Header.Get("Upload-Offset"))
		return off > 0
	}, "the first PATCH never wrote")
	w.expect(409, "PATCH", "/api/tus/data/l.bin", data[off:], hdr(off))
	pw.Write(data[1<<20:])
	pw.Close()
	if code := <-done; code != 204 {
		t.Fatalf("first PATCH: %d", code)
	}
	got, _ := os.ReadFile(filepath.Join(hosts["data"], "l.bin"))
	if !bytes.Equal(got, data) {
		t.Fatalf("upload holds %d bytes, not the data sent", len(got))
	}
}

// TestWebFSListingSorting: a folder lists in the sorting the user saved by
// clicking a column header (the same PUT Filebrowser's frontend sends),
// since that frontend shows items in the server's order.
func TestWebFSListingSorting(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-sorting", map[string]string{"data": "rw"})
	writeFiles(t, hosts["data"], map[string]string{
		"s/b.bin": strings.Repeat("b", 300), "s/A.bin": strings.Repeat("a", 10), "s/c.bin": strings.Repeat("c", 20),
		"s/file10": "x", "s/file2": "xy",
	})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, name := range []string{"c.bin", "file2", "A.bin", "file10", "b.bin"} { // oldest first
		tm := t0.Add(time.Duration(i) * time.Hour)
		if err := os.Chtimes(filepath.Join(hosts["data"], "s", name), tm, tm); err != nil {
			t.Fatal(err)
		}
	}
	list := func() (names []string, sorting webfs.Sorting) {
		var l struct {
			Items   []struct{ Name string }
			Sorting webfs.Sorting
		}
		if err := json.Unmarshal(w.expect(200, "GET", "/api/resources/data/s/", nil, nil), &l); err != nil {
			t.Fatal(err)
		}
		for _, it := range l.Items {
			names = append(names, it.Name)
		}
		return names, l.Sorting
	}
	// Name A→Z (natural, case-insensitive) until the user picks another.
	if got, srt := list(); !slices.Equal(got, []string{"A.bin", "b.bin", "c.bin", "file2", "file10"}) || srt != (webfs.Sorting{By: "name"}) {
		t.Fatalf("default listing %q %+v", got, srt)
	}
	for _, tc := range []struct {
		by   string
		asc  bool
		want []string
	}{
		{"size", false, []string{"b.bin", "c.bin", "A.bin", "file2", "file10"}},
		{"size", true, []string{"file10", "file2", "A.bin", "c.bin", "b.bin"}},
		{"modified", false, []string{"b.bin", "file10", "A.bin", "file2", "c.bin"}},
		{"modified", true, []string{"c.bin", "file2", "A.bin", "file10", "b.bin"}},
		{"name", true, []string{"file10", "file2", "c.bin", "b.bin", "A.bin"}}, // Filebrowser's asc is Z→A for names
		{"name", false, []string{"A.bin", "b.bin", "c.bin", "file2", "file10"}},
	} {
		body := fmt.Sprintf(`{"what":"user","which":["sorting"],"data":{"id":1,"sorting":{"by":%q,"asc":%t}}}`, tc.by, tc.asc)
		w.expect(200, "PUT", "/api/users/1", body, nil)
		if got, srt := list(); !slices.Equal(got, tc.want) || srt != (webfs.Sorting{By: tc.by, Asc: tc.asc}) {
			t.Errorf("%s asc=%t: %q %+v, want %q", tc.by, tc.asc, got, srt, tc.want)
		}
	}
}
