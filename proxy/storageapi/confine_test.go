package storageapi

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSymlinksNeverLeadOut plants symlinks to a host directory in the
// folder; no manager route reads, writes, lists or deletes through them.
func TestSymlinksNeverLeadOut(t *testing.T) {
	e := newEnv(t, nil, nil)
	dir := e.create(folderA)
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret"), "host secret")
	os.Symlink(outside, filepath.Join(dir, "out"))
	os.Symlink("../../../../../../../../.."+outside, filepath.Join(dir, "up"))
	write(t, filepath.Join(dir, "a.txt"), "a")
	const va = `"volume":"local","vfid":"` + vfidA + `"`
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"/folder/file/list", `{` + va + `,"relpath":"out"}`, 400},
		{"/folder/file/list", `{` + va + `,"relpath":"up"}`, 400},
		{"/folder/file/fetch", `{` + va + `,"relpath":"out/secret"}`, 400},
		{"/folder/file/mkdir", `{` + va + `,"relpath":["out/x"],"exist_ok":false}`, 422},
		{"/folder/file/rename", `{` + va + `,"relpath":"out/secret","new_name":"s2"}`, 400},
		{"/folder/file/move", `{` + va + `,"src_relpath":"a.txt","dst_relpath":"out/a.txt"}`, 400},
		{"/folder/file/move", `{` + va + `,"src_relpath":"out/secret","dst_relpath":"stolen"}`, 400},
		{"/folder/file/delete", `{` + va + `,"relpaths":["out/secret"],"recursive":true}`, 400},
	} {
		code, _, b := e.do("POST", tc.path, tc.body)
		if code != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.path, tc.body, code, b, tc.status)
		}
	}
	if m := e.json("GET", "/folder/mount", `{`+va+`,"subpath":"out"}`, 400); m["msg"] != "Invalid vfolder subpath" {
		t.Errorf("mount through a symlink: %v", m)
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 1 || ents[0].Name() != "secret" {
		t.Errorf("the host directory changed: %v", ents)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err != nil {
		t.Errorf("a.txt: %v", err)
	}
	// Deleting a symlink removes the link, not its target.
	e.json("POST", "/folder/file/delete", `{`+va+`,"relpaths":["out"],"recursive":true}`, 200)
	if _, err := os.Stat(filepath.Join(outside, "secret")); err != nil {
		t.Errorf("deleting a link removed its target: %v", err)
	}
}
