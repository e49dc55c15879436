package web

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// listing is the part of a Filebrowser directory object the tests read.
type listing struct {
	Name  string `json:"name"`
	Items []struct {
		Name  string `json:"name"`
		Path  string `json:"path"`
		IsDir bool   `json:"isDir"`
	} `json:"items"`
	NumDirs  int `json:"numDirs"`
	NumFiles int `json:"numFiles"`
}

func TestListingOrderAndHiddenUploads(t *testing.T) {
	tree, _ := newTree(t, map[string]string{
		"m/b.txt": "b", "m/A": "A", "m/a": "a", "m/c/": "", "m/.webfs-uploads/t-x.part": "", "m/c/.webfs-uploads": "kept",
	})
	rep, body := call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: "/m"}, "")
	wantStatus(t, "info /m", rep, 200)
	var l listing
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("listing %s: %v", body, err)
	}
	var names []string
	for _, it := range l.Items {
		names = append(names, it.Name)
	}
	if want := []string{"c", "A", "a", "b.txt"}; !slices.Equal(names, want) || l.Name != "m" || l.NumDirs != 1 || l.NumFiles != 3 {
		t.Errorf("listing of /m: %q (%s, %d dirs, %d files), want %q (Filebrowser's default order) without the upload area", names, l.Name, l.NumDirs, l.NumFiles, want)
	}
	// Only the mount's own upload area is hidden.
	_, body = call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: "/m/c"}, "")
	if err := json.Unmarshal(body, &l); err != nil || len(l.Items) != 1 {
		t.Errorf("listing of /m/c: %s", body)
	}
	for _, p := range []string{"/m/.webfs-uploads", "/m/.webfs-uploads/t-x.part"} {
		rep, _ := call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: p}, "")
		wantStatus(t, "info "+p, rep, 404)
	}

	rep, body = call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: "/"}, "")
	wantStatus(t, "info /", rep, 200)
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, it := range l.Items {
		names = append(names, it.Path)
	}
	if want := []string{"/m", "/n", "/ro"}; !slices.Equal(names, want) {
		t.Errorf("listing of /: %q, want %q", names, want)
	}
}

func TestInfoOfAFile(t *testing.T) {
	tree, dirs := newTree(t, map[string]string{"m/d/notes.txt": "hello"})
	if err := os.Symlink("notes.txt", filepath.Join(dirs["m"], "d", "link")); err != nil {
		t.Fatal(err)
	}
	rep, body := call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: "/m/d/notes.txt", Checksum: "sha256", Content: true}, "")
	wantStatus(t, "info", rep, 200)
	var it webItem
	if err := json.Unmarshal(body, &it); err != nil {
		t.Fatal(err)
	}
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if it.Name != "notes.txt" || it.Path != "/m/d/notes.txt" || it.Size != 5 || it.Extension != ".txt" ||
		it.Type != "text" || it.Content == nil || *it.Content != "hello" || it.Checksums["sha256"] != sum {
		t.Errorf("info: %+v", it)
	}
	_, body = call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: "/m/d/link"}, "")
	if err := json.Unmarshal(body, &it); err != nil || !it.IsSymlink || it.Size != 5 || it.IsDir {
		t.Errorf("info of a link: %s", body)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebStat, Path: "/m/d"}, "")
	if rep.Status != 200 || !rep.IsDir {
		t.Errorf("stat of a directory: %+v", rep)
	}
	rep, body = call(t, tree, webproto.WebRequest{Op: webproto.WebRead, Path: "/m/d/notes.txt", Offset: 1, Length: 3}, "")
	if rep.Status != 200 || string(body) != "ell" {
		t.Errorf("read [1,4): %+v %q", rep, body)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: "/m/missing"}, "")
	wantStatus(t, "info of a missing file", rep, 404)
}

func TestCopyAndMoveConflicts(t *testing.T) {
	tree, dirs := newTree(t, map[string]string{"m/a.txt": "A", "m/b.txt": "B", "m/d/x": "x", "ro/r": "r"})
	for _, tc := range []struct {
		name      string
		req       webproto.WebRequest
		status    int
		path      string // where it landed
		check     string // host path (below the temp base) ...
		wantCheck string // ... and its content afterwards
	}{
		{"copy onto an existing file", webproto.WebRequest{Op: webproto.WebCopy, Path: "/m/a.txt", Dest: "/m/b.txt"}, 409, "", "m/b.txt", "B"},
		{"copy with rename", webproto.WebRequest{Op: webproto.WebCopy, Path: "/m/a.txt", Dest: "/m/b.txt", Rename: true}, 200, "/m/b(1).txt", "m/b(1).txt", "A"},
		{"copy with rename again", webproto.WebRequest{Op: webproto.WebCopy, Path: "/m/a.txt", Dest: "/m/b.txt", Rename: true}, 200, "/m/b(2).txt", "m/b(2).txt", "A"},
		{"copy with override", webproto.WebRequest{Op: webproto.WebCopy, Path: "/m/a.txt", Dest: "/m/b.txt", Override: true}, 200, "/m/b.txt", "m/b.txt", "A"},
		{"move onto itself with override", webproto.WebRequest{Op: webproto.WebMove, Path: "/m/a.txt", Dest: "/m/a.txt", Override: true}, 200, "/m/a.txt", "m/a.txt", "A"},
		{"move into itself", webproto.WebRequest{Op: webproto.WebMove, Path: "/m/d", Dest: "/m/d/e"}, 400, "", "m/d/x", "x"},
		{"move across mounts", webproto.WebRequest{Op: webproto.WebMove, Path: "/m/d", Dest: "/n/d"}, 200, "/n/d", "n/d/x", "x"},
		{"move out of a read-only mount", webproto.WebRequest{Op: webproto.WebMove, Path: "/ro/r", Dest: "/m/r"}, 403, "", "m/r", "<missing>"},
		{"copy into a read-only mount", webproto.WebRequest{Op: webproto.WebCopy, Path: "/m/a.txt", Dest: "/ro/a.txt"}, 403, "", "ro/a.txt", "<missing>"},
		{"copy out of a read-only mount", webproto.WebRequest{Op: webproto.WebCopy, Path: "/ro/r", Dest: "/m/r"}, 200, "/m/r", "m/r", "r"},
		{"copy onto the root", webproto.WebRequest{Op: webproto.WebCopy, Path: "/m/a.txt", Dest: "/x"}, 403, "", "m/a.txt", "A"},
	} {
		rep, _ := call(t, tree, tc.req, "")
		wantStatus(t, tc.name, rep, tc.status)
		if rep.Path != tc.path {
			t.Errorf("%s: landed at %q, want %q", tc.name, rep.Path, tc.path)
		}
		if got := readHost(t, filepath.Join(filepath.Dir(dirs["m"]), tc.check)); got != tc.wantCheck {
			t.Errorf("%s: %s holds %q, want %q", tc.name, tc.check, got, tc.wantCheck)
		}
	}
	if _, err := os.Stat(filepath.Join(dirs["m"], "d")); !os.IsNotExist(err) {
		t.Errorf("moved directory still at its source: %v", err)
	}
}

func TestTusStagingAndSweep(t *testing.T) {
	tree, dirs := newTree(t, nil)
	up := filepath.Join(dirs["m"], uploadsDir)
	rep, _ := call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/up.bin", Length: 10}, "")
	wantStatus(t, "create", rep, 201)
	staged, _ := filepath.Glob(filepath.Join(up, "t-*"))
	if len(staged) != 2 {
		t.Fatalf("staged files: %q, want a .part and a .json", staged)
	}
	if _, err := os.Stat(filepath.Join(dirs["m"], "up.bin")); !os.IsNotExist(err) {
		t.Errorf("an incomplete upload is visible: %v", err)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusPatch, Path: "/m/up.bin", Offset: 0}, "12345")
	if rep.Status != 200 || rep.Offset != 5 || rep.Length != 10 {
		t.Errorf("first chunk: %+v", rep)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusHead, Path: "/m/up.bin"}, "")
	if rep.Offset != 5 || rep.Length != 10 {
		t.Errorf("head: %+v", rep)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusPatch, Path: "/m/up.bin", Offset: 3}, "xx")
	if rep.Status != 409 || rep.Offset != 5 {
		t.Errorf("chunk at a wrong offset: %+v", rep)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusPatch, Path: "/m/up.bin", Offset: 5}, "67890!")
	wantStatus(t, "chunk past Upload-Length", rep, 413)
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusPatch, Path: "/m/up.bin", Offset: 5}, "67890")
	if rep.Status != 200 || rep.Offset != 10 {
		t.Errorf("last chunk: %+v", rep)
	}
	if got := readHost(t, filepath.Join(dirs["m"], "up.bin")); got != "1234567890" {
		t.Errorf("completed upload holds %q", got)
	}
	if staged, _ := filepath.Glob(filepath.Join(up, "t-*")); len(staged) != 0 {
		t.Errorf("staged files left after completion: %q", staged)
	}

	// An idle upload is swept when another one starts; a fresh one is kept.
	call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/old", Length: 4}, "")
	old, _ := filepath.Glob(filepath.Join(up, "t-*"))
	past := time.Now().Add(-2 * time.Hour)
	for _, p := range old {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/fresh", Length: 4}, "")
	call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/new", Length: 4, MaxAge: 3600}, "")
	left, _ := filepath.Glob(filepath.Join(up, "t-*"))
	if len(left) != 4 || slices.ContainsFunc(old, func(p string) bool { return slices.Contains(left, p) }) {
		t.Errorf("after the sweep: %q (swept %q)", left, old)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusHead, Path: "/m/old"}, "")
	wantStatus(t, "head of a swept upload", rep, 404)
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusDelete, Path: "/m/fresh"}, "")
	wantStatus(t, "delete", rep, 204)
}

func TestEntryName(t *testing.T) {
	for in, want := range map[string]string{
		"a/b": "a/b", `a\b`: "a_b", `..\x`: ".._x", "/abs": "", "../up": "", "..": "", ".": "", "a/../b": "", "a//b": "", "": "",
	} {
		got, ok := entryName(in)
		if got != want || ok != (want != "") {
			t.Errorf("entryName(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestArchiveEntryNames(t *testing.T) {
	tree, dirs := newTree(t, map[string]string{"m/top/a.txt": "a", `m/top/back\slash`: "b", "m/top/sub/c": "c", "n/other": "o"})
	if err := os.Symlink("/etc/passwd", filepath.Join(dirs["m"], "top", "link")); err != nil {
		t.Fatal(err)
	}
	names := func(req webproto.WebRequest) []string {
		t.Helper()
		req.Op, req.Format = webproto.WebArchive, "zip"
		rep, body := call(t, tree, req, "")
		wantStatus(t, "archive "+req.Path, rep, 200)
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range zr.File {
			got = append(got, f.Name)
		}
		slices.Sort(got)
		return got
	}
	if got, want := names(webproto.WebRequest{Path: "/m/top"}), []string{"top/", "top/a.txt", "top/back_slash", "top/sub/", "top/sub/c"}; !slices.Equal(got, want) {
		t.Errorf("archive of a folder: %q, want %q (no link)", got, want)
	}
	if got, want := names(webproto.WebRequest{Path: "/m/top", Files: []string{"a.txt", "../../sub/c"}}), []string{"a.txt", "sub/c"}; !slices.Equal(got, want) {
		t.Errorf("archive of a selection: %q, want %q", got, want)
	}
	if got, want := names(webproto.WebRequest{Path: "/"}), []string{"m/", "m/top/", "m/top/a.txt", "m/top/back_slash", "m/top/sub/", "m/top/sub/c", "n/", "n/other", "ro/"}; !slices.Equal(got, want) {
		t.Errorf("archive of the root: %q, want %q", got, want)
	}
}
