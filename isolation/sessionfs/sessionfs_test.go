package sessionfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// newTree opens a tree of two writable mounts (b, a) and one read-only
// mount (ro) on temporary directories, next to an "outside" directory
// that no path of the tree may reach. It returns the tree and the host
// directories by mount name (and "outside").
func newTree(t *testing.T) (*FS, map[string]string) {
	t.Helper()
	base := t.TempDir()
	dirs := map[string]string{}
	for _, n := range []string{"a", "b", "ro", "outside"} {
		dirs[n] = filepath.Join(base, n)
		if err := os.Mkdir(dirs[n], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dirs["outside"], "secret"), []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirs["a"], "f"), []byte("in a"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := Open([]Spec{{Name: "b", Dir: dirs["b"]}, {Name: "a", Dir: dirs["a"]}, {Name: "ro", Dir: dirs["ro"], ReadOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tree.Close() })
	return tree, dirs
}

func TestResolve(t *testing.T) {
	tree, _ := newTree(t)
	for _, tc := range []struct {
		path, mount, rel string
		err              error
	}{
		{"/", "", "", nil},
		{"", "", "", nil},
		{".", "", "", nil},
		{"/..", "", "", nil},
		{"/a", "a", ".", nil},
		{"a/", "a", ".", nil},
		{"/a/x/../f", "a", "f", nil},
		{"/../../a/f", "a", "f", nil},
		{"/a/../b/g", "b", "g", nil},
		{"/a/d/e", "a", "d/e", nil},
		{"/nope", "", "", fs.ErrNotExist},
		{"/proc/self", "", "", fs.ErrNotExist},
	} {
		m, rel, err := tree.Resolve(tc.path)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("Resolve(%q): error %v, want %v", tc.path, err, tc.err)
			continue
		}
		name := ""
		if m != nil {
			name = m.Name
		}
		if name != tc.mount || rel != tc.rel {
			t.Errorf("Resolve(%q) = %q, %q; want %q, %q", tc.path, name, rel, tc.mount, tc.rel)
		}
	}
}

func TestVirtualRoot(t *testing.T) {
	tree, _ := newTree(t)
	if got := tree.Names(); !slices.Equal(got, []string{"a", "b", "ro"}) {
		t.Errorf("Names() = %v, want sorted mounts", got)
	}
	if tree.Mount("a") == nil || tree.Mount("outside") != nil {
		t.Error("Mount finds what is not a mount, or misses one")
	}
	for _, p := range []string{"/", "/.."} {
		if _, _, err := tree.ResolveWritable(p); !errors.Is(err, ErrVirtual) || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("ResolveWritable(%q): %v, want ErrVirtual (a permission error)", p, err)
		}
	}
	if _, _, _, err := tree.ResolvePair("/a/f", "/"); !errors.Is(err, ErrVirtual) {
		t.Errorf("rename onto the root: %v, want ErrVirtual", err)
	}
}

func TestReadOnlyMount(t *testing.T) {
	tree, dirs := newTree(t)
	for _, p := range []string{"/ro", "/ro/new", "/ro/../ro/x"} {
		if _, _, err := tree.ResolveWritable(p); !errors.Is(err, ErrReadOnly) || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("ResolveWritable(%q): %v, want ErrReadOnly", p, err)
		}
	}
	if _, _, _, err := tree.ResolvePair("/a/f", "/ro/f"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("rename into a read-only mount: %v, want ErrReadOnly", err)
	}
	// Reading stays allowed.
	if err := os.WriteFile(filepath.Join(dirs["ro"], "r"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, rel, err := tree.Resolve("/ro/r")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := m.Root.ReadFile(rel); err != nil || string(b) != "x" {
		t.Errorf("read below a read-only mount: %q, %v", b, err)
	}
}

func TestRenameAcrossMounts(t *testing.T) {
	tree, dirs := newTree(t)
	if _, _, _, err := tree.ResolvePair("/a/f", "/b/f"); !errors.Is(err, ErrCrossDev) {
		t.Errorf("rename across mounts: %v, want ErrCrossDev", err)
	}
	m, from, to, err := tree.ResolvePair("/a/f", "/a/sub/../g")
	if err != nil || m.Name != "a" || from != "f" || to != "g" {
		t.Fatalf("ResolvePair in one mount = %v, %q, %q, %v", m, from, to, err)
	}
	if err := m.Root.Rename(from, to); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dirs["a"], "g")); err != nil {
		t.Errorf("renamed file not in place: %v", err)
	}
}

// TestSymlinksCannotEscape plants the links a user could make (absolute,
// relative with "..", a chain) and checks that every access through the
// mount's Root is refused, while a link inside the mount still works.
func TestSymlinksCannotEscape(t *testing.T) {
	tree, dirs := newTree(t)
	a := dirs["a"]
	links := map[string]string{
		"abs":   dirs["outside"],
		"up":    "../outside",
		"deep":  "../../../../../../../../" + dirs["outside"],
		"chain": "up",
		"inner": "f",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(a, name)); err != nil {
			t.Fatal(err)
		}
	}
	m := tree.Mount("a")
	for _, rel := range []string{"abs/secret", "up/secret", "deep/secret", "chain/secret", "../outside/secret", "sub/../../outside/secret"} {
		t.Run(rel, func(t *testing.T) {
			if b, err := m.Root.ReadFile(rel); err == nil {
				t.Errorf("read %s through the mount: %q", rel, b)
			}
			if err := m.Root.WriteFile(rel, []byte("x"), 0o644); err == nil {
				t.Errorf("wrote %s through the mount", rel)
			}
		})
	}
	// The session path is cleaned first: ".." cannot leave "/" either.
	if mm, rel, err := tree.Resolve("/a/../../outside/secret"); err == nil {
		t.Errorf("Resolve led outside: %v %q", mm, rel)
	}
	if b, err := m.Root.ReadFile("inner"); err != nil || string(b) != "in a" {
		t.Errorf("a link inside the mount: %q, %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs["outside"], "secret")); string(b) != "host" {
		t.Errorf("outside file changed: %q", b)
	}
}

func TestOpenRefusesBadMounts(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open([]Spec{{Name: "x", Dir: dir}, {Name: "x", Dir: dir}}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("duplicate name: %v, want ErrExist", err)
	}
	if _, err := Open([]Spec{{Name: "x", Dir: filepath.Join(dir, "missing")}}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v, want ErrNotExist", err)
	}
}

func TestStatInfo(t *testing.T) {
	tree, dirs := newTree(t)
	if err := os.Symlink("f", filepath.Join(dirs["a"], "l")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dirs["a"], "d"), 0o750); err != nil {
		t.Fatal(err)
	}
	d, err := tree.Mount("a").Root.Open(".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for name, want := range map[string]fs.FileMode{"f": 0o644, "l": fs.ModeSymlink | 0o777, "d": fs.ModeDir | 0o750} {
		var st unix.Stat_t
		if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
		fi := StatInfo(name, &st)
		if fi.Name() != name || fi.Mode()&^0o022 != want&^0o022 || fi.IsDir() != want.IsDir() {
			t.Errorf("StatInfo(%s): %v %v, want mode %v", name, fi.Name(), fi.Mode(), want)
		}
	}
}

func TestIsEscape(t *testing.T) {
	tree, dirs := newTree(t)
	if err := os.Symlink(dirs["outside"], filepath.Join(dirs["a"], "out")); err != nil {
		t.Fatal(err)
	}
	root := tree.Mount("a").Root
	_, upErr := root.Open("../outside/secret")
	linkErr := root.MkdirAll("out/new/deeper", 0o755)
	_, missing := root.Open("missing")
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"..":              {upErr, true},
		"symlink, nested": {linkErr, true},
		"wrapped":         {fmt.Errorf("upload: %w", upErr), true},
		"missing":         {missing, false},
		"nil":             {nil, false},
	} {
		if got := IsEscape(tc.err); got != tc.want {
			t.Errorf("%s: IsEscape(%v) = %v, want %v", name, tc.err, got, tc.want)
		}
	}
}

func TestCopyFile(t *testing.T) {
	tree, dirs := newTree(t)
	a, b := tree.Mount("a").Root, tree.Mount("b").Root
	if err := CopyFile(a, "f", b, "g", 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dirs["b"], "g")); string(got) != "in a" {
		t.Errorf("copied %q", got)
	}
	if fi, _ := os.Stat(filepath.Join(dirs["b"], "g")); fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("copy's mode: %v", fi)
	}
	if err := CopyFile(a, "f", b, "g", 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("copy onto an existing file: %v, want ErrExist", err)
	}
	if err := os.Symlink(filepath.Join(dirs["outside"], "secret"), filepath.Join(dirs["a"], "out")); err != nil {
		t.Fatal(err)
	}
	if err := CopyFile(a, "out", b, "stolen", 0o600); !IsEscape(err) {
		t.Errorf("copy of a link out of the mount: %v, want an escape refusal", err)
	}
}
