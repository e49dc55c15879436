package sandboxtest

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles writes files (slash-separated name -> content) below dir,
// making the directories they need, and gives dir and everything below it
// to uid:uid, as files a session's user made themselves would be.
func WriteFiles(t testing.TB, dir string, files map[string]string, uid int) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Chown(t, dir, uid)
}

// Chown gives dir and everything below it (links themselves, not their
// targets) to uid:uid.
func Chown(t testing.TB, dir string, uid int) {
	t.Helper()
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	}); err != nil {
		t.Fatal(err)
	}
}
