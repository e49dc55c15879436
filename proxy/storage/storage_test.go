package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseVFID(t *testing.T) {
	for _, tc := range []struct{ in, want, rel string }{
		{"user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3",
			"user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3",
			"6f1b4a6e2f554c1c9a3e2f0f1a2b3c4d/0a/1b/2c3d4e5f4a6b8c7d8e9fa0b1c2d3"},
		{"project:6F1B4A6E2F554C1C9A3E2F0F1A2B3C4D/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3",
			"project:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3",
			"6f1b4a6e2f554c1c9a3e2f0f1a2b3c4d/0a/1b/2c3d4e5f4a6b8c7d8e9fa0b1c2d3"},
		{"0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", "0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", // legacy
			"0a/1b/2c3d4e5f4a6b8c7d8e9fa0b1c2d3"},
		{"group:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", "", ""},
		{"user:../x/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", "", ""},
		{"user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/../../etc", "", ""},
	} {
		v, err := ParseVFID(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseVFID(%q) accepted: %s", tc.in, v)
			}
			continue
		}
		if err != nil || v.String() != tc.want {
			t.Errorf("ParseVFID(%q) = %s, %v; want %s", tc.in, v, err, tc.want)
		}
		if got := v.RelPath(); got != tc.rel {
			t.Errorf("%s: RelPath = %s, want %s", tc.in, got, tc.rel)
		}
		// A trashed folder still names its vfid after a restart.
		if got, ok := TrashedVFID(trashName(v)); !ok || got != v {
			t.Errorf("trash name of %s reads back as %s %v", v, got, ok)
		}
	}
}

// TestOpenFolderLayout: OpenFolder tells a missing folder from a layout
// component that is a file or a symlink (never followed).
func TestOpenFolderLayout(t *testing.T) {
	v, _ := ParseVFID("user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3")
	scope := "6f1b4a6e2f554c1c9a3e2f0f1a2b3c4d"
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, vol string)
		want  error // nil: opens
	}{
		{"folder", func(t *testing.T, vol string) { mkdir(t, vol, v.RelPath()) }, nil},
		{"missing", func(t *testing.T, vol string) { mkdir(t, vol, scope) }, ErrFolderNotFound},
		{"file", func(t *testing.T, vol string) {
			mkdir(t, vol, scope+"/0a/1b")
			if err := os.WriteFile(filepath.Join(vol, v.RelPath()), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrNotDirectory},
		{"symlinked scope", func(t *testing.T, vol string) {
			elsewhere := filepath.Join(vol, "elsewhere")
			mkdir(t, vol, "elsewhere/0a/1b/2c3d4e5f4a6b8c7d8e9fa0b1c2d3")
			if err := os.Symlink(elsewhere, filepath.Join(vol, scope)); err != nil {
				t.Fatal(err)
			}
		}, ErrNotDirectory},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			vol, err := NewVolume("v", dir)
			if err != nil {
				t.Fatal(err)
			}
			f, err := vol.OpenFolder(v)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("OpenFolder = %v", err)
				}
				defer f.Close()
				if want := filepath.Join(dir, v.RelPath()); f.HostPath != want {
					t.Errorf("HostPath = %s, want %s", f.HostPath, want)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("OpenFolder = %v, want %v", err, tc.want)
			}
		})
	}
}

func mkdir(t *testing.T, vol, rel string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(vol, filepath.FromSlash(rel)), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestCleanRel(t *testing.T) {
	for in, want := range map[string]string{
		".": ".", "a/b": "a/b", "./a//b/": "a/b", "a/../b": "b", "": ".",
		"/etc": "", "..": "", "../a": "", "a/../../b": "", "a\x00b": "",
	} {
		got, err := CleanRel(in)
		if (want == "") != (err != nil) || got != want {
			t.Errorf("CleanRel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestPruneUploads(t *testing.T) {
	vol, err := NewVolume("v", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := vol.CreateUpload()
	fresh, _ := vol.CreateUpload()
	dir := filepath.Join(vol.Path, internalDir, "uploads")
	past := time.Now().Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(dir, old), past, past)
	if n, err := vol.PruneUploads(24*time.Hour, time.Now()); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if _, err := vol.OpenUpload(old); err == nil {
		t.Error("the expired upload is still there")
	}
	if f, err := vol.OpenUpload(fresh); err != nil {
		t.Errorf("the fresh upload is gone: %v", err)
	} else {
		f.Close()
	}
	if _, err := vol.OpenUpload("../../etc/passwd"); err == nil {
		t.Error("OpenUpload accepted a path")
	}
}

func TestIsoTime(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 1, 5, 3, 4, 5, 0, time.UTC):                         "2026-01-05T03:04:05+00:00",
		time.Date(2026, 1, 5, 3, 4, 5, 120000000, time.UTC):                 "2026-01-05T03:04:05.120000+00:00",
		time.Date(2026, 1, 5, 12, 4, 5, 999, time.FixedZone("KST", 9*3600)): "2026-01-05T03:04:05+00:00",
	} {
		if got := isoTime(in); got != want {
			t.Errorf("isoTime(%v) = %s, want %s", in, got, want)
		}
	}
}
