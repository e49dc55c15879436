package storage

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// describe maps every entry below root to its type, mode, owner, size,
// content (files), target (links) and mtime (files).
func describe(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		s := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			s += " -> " + target
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			s += fmt.Sprintf(" %q %d", b, fi.ModTime().UnixNano())
		}
		out[rel] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func openTestFolder(t *testing.T, dir string) *Folder {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &Folder{Root: r}
}

// TestCloneKeepsTheTree: files, directories (a read-only one too),
// symlinks (relative, absolute, dangling) arrive as cp -a makes them, with
// modes, owners and file times; FIFOs are skipped.
func TestCloneKeepsTheTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 600, time.UTC)
	files := map[string]os.FileMode{"a.txt": 0o644, "run.sh": 0o755, "secret": 0o600,
		"d/e/f.bin": 0o640, "ro/inside": 0o444, "sp ace/유니코드": 0o644}
	for i := range 300 { // more entries than one ReadDir batch
		files[fmt.Sprintf("many/f%03d", i)] = 0o644
	}
	for name, mode := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+name), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		os.Chtimes(p, mtime, mtime)
	}
	for link, target := range map[string]string{"l-rel": "a.txt", "l-abs": "/etc/passwd", "d/l-dangling": "../nope"} {
		if err := os.Symlink(target, filepath.Join(src, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 { // owners are kept, as cp -a does as root
		os.Lchown(filepath.Join(src, "secret"), 1234, 5678)
		os.Lchown(filepath.Join(src, "l-rel"), 1234, 5678)
		os.Lchown(filepath.Join(src, "d"), 1234, 5678)
	}
	os.Chmod(filepath.Join(src, "ro"), 0o555)
	defer os.Chmod(filepath.Join(src, "ro"), 0o755)
	defer os.Chmod(filepath.Join(dst, "ro"), 0o755)

	var last int64
	if err := Clone(context.Background(), openTestFolder(t, src), openTestFolder(t, dst), func(n int64) { last = n }); err != nil {
		t.Fatal(err)
	}
	want := describe(t, src)
	delete(want, "fifo")
	got := describe(t, dst)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %s, want %s", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s", k)
		}
	}
	if last != int64(len(want)) {
		t.Errorf("progress reached %d, want %d entries", last, len(want))
	}
}

// TestCloneIntoNonEmptyFails: a clone never merges into what exists.
func TestCloneIntoNonEmptyFails(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "x"), []byte("new"), 0o644)
	os.WriteFile(filepath.Join(dst, "x"), []byte("old"), 0o644)
	if err := Clone(context.Background(), openTestFolder(t, src), openTestFolder(t, dst), nil); err == nil {
		t.Fatal("clone over an existing file succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "x")); string(b) != "old" {
		t.Fatalf("existing file changed: %q", b)
	}
}
