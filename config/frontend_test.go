package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFrontend(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	mk := func(files ...string) string {
		d, err := os.MkdirTemp(base, "dist")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			p := filepath.Join(d, f)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("<html>"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	for _, tc := range []struct {
		name, dir, err string
	}{
		{"unset", "", ""},
		{"filebrowser dist", mk("public/index.html", "assets/index.js"), ""},
		{"flat copy", mk("index.html"), ""},
		{"missing", filepath.Join(base, "none"), "does not exist"},
		{"a file", filepath.Join(mk("index.html"), "index.html"), "is not a directory"},
		{"no index", mk("assets/index.js"), "holds no public/index.html or index.html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{WebFS: WebFSConfig{FilebrowserFrontend: tc.dir}}
			err := c.CheckFrontend()
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != "webfs.filebrowser-frontend" || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want a webfs.filebrowser-frontend error saying %q", err, tc.err)
			}
		})
	}
}
