package storageapi

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestBackgroundTasks: delete, clone and delete-async answer at once with
// a UUID, and the manager hears how the folder tasks ended.
func TestBackgroundTasks(t *testing.T) {
	e := newEnv(t, nil, nil)
	src := e.create(folderA)
	for i := range 50 {
		write(t, filepath.Join(src, "d", string(rune('a'+i%26))+string(rune('a'+i/26)), "f.txt"), "data")
	}
	os.MkdirAll(filepath.Join(src, "empty"), 0o750)
	os.Symlink("d", filepath.Join(src, "link"))
	os.Lchown(filepath.Join(src, "d", "aa", "f.txt"), 1234, 2345)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(filepath.Join(src, "d", "aa", "f.txt"), old, old)

	m := e.json("POST", "/folder/clone", `{"src_volume":"local","src_vfid":"`+vfidA+`","dst_volume":"local","dst_vfid":"`+vfidB+`"}`, 200)
	if !uuidRE.MatchString(m["bgtask_id"].(string)) {
		t.Errorf("clone bgtask_id %v", m)
	}
	want := []any{"vfolder_clone_success", vfidA, vfidB}
	eventually(t, "the clone event", func() bool {
		return slices.ContainsFunc(e.events.events(), func(ev []any) bool { return slices.Equal(ev, want) })
	})
	dst := e.folderPath(folderB)
	if b, err := os.ReadFile(filepath.Join(dst, "d", "xa", "f.txt")); err != nil || string(b) != "data" {
		t.Errorf("clone content: %q %v", b, err)
	}
	// Owners and times are kept (cp -a), so sessions can write the copy.
	if fi, err := os.Stat(filepath.Join(dst, "d", "aa", "f.txt")); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("clone of times: %v %v", fi, err)
	} else if st := fi.Sys().(*syscall.Stat_t); st.Uid != 1234 || st.Gid != 2345 {
		t.Errorf("clone of owner: %d:%d", st.Uid, st.Gid)
	}
	if fi, err := os.Stat(filepath.Join(dst, "empty")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("clone of an empty dir: %v %v", fi, err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "link")); err != nil || l != "d" {
		t.Errorf("clone of a symlink: %q %v", l, err)
	}

	const vb = `"volume":"local","vfid":"` + vfidB + `"`
	m = e.json("POST", "/folder/file/delete-async", `{`+vb+`,"relpaths":["d","empty"],"recursive":true}`, 202)
	if !uuidRE.MatchString(m["bgtask_id"].(string)) {
		t.Errorf("delete-async bgtask_id %v", m)
	}
	eventually(t, "delete-async", func() bool { _, err := os.Stat(filepath.Join(dst, "d")); return os.IsNotExist(err) })

	// Redis is away for the first tries: the deletion event still arrives.
	e.api.retryDelay = time.Millisecond
	e.events.mu.Lock()
	e.events.failures = 3
	e.events.mu.Unlock()
	m = e.json("POST", "/folder/delete", `{"volume":"local","vfid":"`+vfidA+`"}`, 202)
	if !uuidRE.MatchString(m["bgtask_id"].(string)) {
		t.Errorf("delete bgtask_id %v", m)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Error("the deleted folder is still in place after the answer")
	}
	// Its empty <aa>/<bb> layout parents go too; the quota scope stays.
	if _, err := os.Stat(filepath.Dir(filepath.Dir(src))); !os.IsNotExist(err) {
		t.Errorf("empty layout parents left: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(filepath.Dir(src)))); err != nil {
		t.Errorf("the quota scope went with the folder: %v", err)
	}
	want = []any{"vfolder_deletion_success", vfidA}
	eventually(t, "the deletion event", func() bool {
		return slices.ContainsFunc(e.events.events(), func(ev []any) bool { return slices.Equal(ev, want) })
	})
	e.mu.Lock()
	if !slices.Equal(e.deleted, []string{vfidA}) {
		t.Errorf("BeforeDelete saw %v", e.deleted)
	}
	e.mu.Unlock()
	eventually(t, "the purge", func() bool {
		ents, _ := os.ReadDir(filepath.Join(e.volPath, ".storage-agent", "trash"))
		return len(ents) == 0
	})
	// Deleting it again: 404, which the manager treats as "already gone".
	problem(t, e.json("POST", "/folder/delete", `{"volume":"local","vfid":"`+vfidA+`"}`, 404), "vfolder/not-found", "vfolder_read_not-found")
}

// TestUsageTimeout: a walk past the timeout answers -1/-1, as Backend.AI.
func TestUsageTimeout(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.create(folderA)
	e.api.o.UsageTimeout = time.Nanosecond
	if m := e.json("GET", "/folder/usage", `{"volume":"local","vfid":"`+vfidA+`"}`, 200); m["file_count"] != -1.0 || m["used_bytes"] != -1.0 {
		t.Errorf("usage past the timeout: %v", m)
	}
}
