package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
