package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWebFSResources(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-res", map[string]string{"data": "rw", "ref": "ro"})
	if err := os.WriteFile(filepath.Join(hosts["ref"], "keep.txt"), []byte("read only"), 0o644); err != nil {
		t.Fatal(err)
	}
	chownTree(t, hosts["ref"])

	// mkdir -p, create, conflict, override.
	w.expect(200, "POST", "/api/resources/data/a/b/", nil, nil)
	w.expect(200, "POST", "/api/resources/data/a/f.txt", "one", nil)
	w.expect(409, "POST", "/api/resources/data/a/f.txt", "two", nil)
	w.expect(200, "POST", "/api/resources/data/a/f.txt?override=true", "two", nil)
	if b, _ := os.ReadFile(filepath.Join(hosts["data"], "a/f.txt")); string(b) != "two" {
		t.Fatalf("override wrote %q", b)
	}
	// PUT: only existing files.
	w.expect(404, "PUT", "/api/resources/data/a/nope.txt", "x", nil)
	w.expect(200, "PUT", "/api/resources/data/a/f.txt", "three", nil)

	// Info: content for text, checksums, bad algorithm, X-Encoding.
	var info struct {
		Name      string            `json:"name"`
		Type      string            `json:"type"`
		Content   string            `json:"content"`
		Checksums map[string]string `json:"checksums"`
	}
	json.Unmarshal(w.expect(200, "GET", "/api/resources/data/a/f.txt?checksum=sha256", nil, nil), &info)
	if info.Content != "three" || info.Type != "text" || info.Checksums["sha256"] != "8b5b9db0c13db24256c829aa364aa90c6d2eba318b9232a4ab9313b954d3555f" {
		t.Fatalf("info: %+v", info)
	}
	w.expect(400, "GET", "/api/resources/data/a/f.txt?checksum=crc32", nil, nil)
	if b := w.expect(200, "GET", "/api/resources/data/a/f.txt", nil, map[string]string{"X-Encoding": "true"}); string(b) != "three" {
		t.Fatalf("X-Encoding: %q", b)
	}
	w.expect(404, "GET", "/api/resources/data/missing", nil, nil)

	// Listing.
	var list struct {
		Items []struct {
			Name  string `json:"name"`
			IsDir bool   `json:"isDir"`
		} `json:"items"`
		NumDirs  int `json:"numDirs"`
		NumFiles int `json:"numFiles"`
	}
	json.Unmarshal(w.expect(200, "GET", "/api/resources/data/a/", nil, nil), &list)
	if list.NumDirs != 1 || list.NumFiles != 1 || list.Items[0].Name != "b" {
		t.Fatalf("listing: %+v", list)
	}

	// Copy, rename, override, rename=true, into itself, "/".
	w.expect(200, "PATCH", "/api/resources/data/a/f.txt?action=copy&destination=%2Fdata%2Fg.txt", nil, nil)
	w.expect(409, "PATCH", "/api/resources/data/a/f.txt?action=copy&destination=%2Fdata%2Fg.txt", nil, nil)
	w.expect(200, "PATCH", "/api/resources/data/a/f.txt?action=copy&destination=%2Fdata%2Fg.txt&rename=true", nil, nil)
	if _, err := os.Stat(filepath.Join(hosts["data"], "g(1).txt")); err != nil {
		t.Fatalf("rename=true: %v", err)
	}
	w.expect(200, "PATCH", "/api/resources/data/g(1).txt?action=rename&destination=%2Fdata%2Fg.txt&override=true", nil, nil)
	w.expect(200, "PATCH", "/api/resources/data/a?action=rename&destination=%2Fdata%2Fmoved", nil, nil)
	w.expect(400, "PATCH", "/api/resources/data/moved?action=copy&destination=%2Fdata%2Fmoved%2Fb%2Fx", nil, nil)
	w.expect(403, "PATCH", "/api/resources/data/moved?action=rename&destination=%2F", nil, nil)
	w.expect(403, "PATCH", "/api/resources/?action=copy&destination=%2Fdata%2Fx", nil, nil)
	w.expect(200, "PATCH", "/api/resources/ref/keep.txt?action=copy&destination=%2Fdata%2Fkeep.txt", nil, nil)
	w.expect(400, "PATCH", "/api/resources/data/g.txt?action=chmod&destination=%2Fdata%2Fh", nil, nil)

	// Read-only mount and the virtual root refuse writes.
	w.expect(403, "POST", "/api/resources/ref/new.txt", "x", nil)
	w.expect(403, "POST", "/api/resources/ref/dir/", nil, nil)
	w.expect(403, "DELETE", "/api/resources/ref/keep.txt", nil, nil)
	w.expect(403, "PATCH", "/api/resources/data/g.txt?action=copy&destination=%2Fref%2Fg.txt", nil, nil)
	w.expect(403, "POST", "/api/resources/newtop/", nil, nil)
	w.expect(403, "POST", "/api/resources/newtop.txt", "x", nil)
	w.expect(403, "DELETE", "/api/resources/", nil, nil)
	w.expect(403, "DELETE", "/api/resources/data", nil, nil)

	// Recursive listing, search, usage.
	var rec []struct {
		Path  string `json:"path"`
		IsDir bool   `json:"isDir"`
	}
	json.Unmarshal(w.expect(200, "GET", "/api/resources/recursive/data/", nil, nil), &rec)
	if len(rec) != 5 { // moved, moved/b, moved/f.txt, g.txt, keep.txt
		t.Fatalf("recursive: %+v", rec)
	}
	out := w.expect(200, "GET", "/api/search/data/?query=F.TXT", nil, nil)
	sc := bufio.NewScanner(bytes.NewReader(out))
	var hits []string
	for sc.Scan() {
		var h struct {
			Dir  bool   `json:"dir"`
			Path string `json:"path"`
		}
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatalf("search line %q: %v", sc.Text(), err)
		}
		hits = append(hits, h.Path)
	}
	if strings.Join(hits, ",") != "moved/f.txt" {
		t.Fatalf("search: %q", out)
	}
	if b := w.expect(200, "GET", "/api/search/data/?query=F.TXT%20case:sensitive", nil, nil); len(b) != 0 {
		t.Fatalf("case-sensitive search: %q", b)
	}
	var usage struct{ Total, Used int64 }
	json.Unmarshal(w.expect(200, "GET", "/api/usage/data/", nil, nil), &usage)
	if usage.Total <= 0 || usage.Used <= 0 {
		t.Fatalf("usage: %+v", usage)
	}

	// Delete.
	w.expect(204, "DELETE", "/api/resources/data/moved", nil, nil)
	w.expect(404, "DELETE", "/api/resources/data/moved", nil, nil)
	if _, err := os.Stat(filepath.Join(hosts["data"], "moved")); !os.IsNotExist(err) {
		t.Fatalf("delete left %v", err)
	}
}

// TestWebFSBigListing lists 100,000 entries in one directory.
func TestWebFSBigListing(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-big", map[string]string{"data": "rw"})
	dir := filepath.Join(hosts["data"], "many")
	os.Mkdir(dir, 0o755)
	const n = 100_000
	for i := range n {
		f, err := os.Create(filepath.Join(dir, "f"+strings.Repeat("0", 6-len(itoa(i)))+itoa(i)+".dat"))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	var list struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
		NumFiles int `json:"numFiles"`
	}
	if err := json.Unmarshal(w.expect(200, "GET", "/api/resources/data/many/", nil, nil), &list); err != nil {
		t.Fatal(err)
	}
	if list.NumFiles != n || len(list.Items) != n || list.Items[0].Name != "f000000.dat" || list.Items[n-1].Name != "f099999.dat" {
		t.Fatalf("listing of %d: got %d items, numFiles %d", n, len(list.Items), list.NumFiles)
	}
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		if i /= 10; i == 0 {
			return string(b[p:])
		}
	}
}
