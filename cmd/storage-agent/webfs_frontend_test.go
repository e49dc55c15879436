package main

import (
	"encoding/json"
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
