package storage

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseVFID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3",
			"user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"},
		{"project:6F1B4A6E2F554C1C9A3E2F0F1A2B3C4D/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3",
			"project:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"},
		{"0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", "0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"}, // legacy
		{"group:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", ""},
		{"user:../x/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", ""},
		{"user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/../../etc", ""},
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
		// A trashed folder still names its vfid after a restart.
		if got, ok := TrashedVFID(trashName(v)); !ok || got != v {
			t.Errorf("trash name of %s reads back as %s %v", v, got, ok)
		}
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
