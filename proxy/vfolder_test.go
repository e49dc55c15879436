package proxy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseMountVFID: a mount's vfid is storage's, minus the legacy form,
// and session answers write it with both uuids as 32 hex digits.
func TestParseMountVFID(t *testing.T) {
	const canon = "user:6f1b4a6e2f554c1c9a3e2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"
	tests := []struct {
		in   string
		want string // "" means refused
	}{
		{testVFID, canon},
		{canon, canon},
		{"user:{6F1B4A6E-2F55-4C1C-9A3E-2F0F1A2B3C4D}/urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3", canon},
		{"project:" + scopeUUID + "/" + folderUUID, "project:" + canon[len("user:"):]},
		{"", ""},
		{"user:" + scopeUUID, ""},
		{folderUUID, ""}, // legacy: storage accepts it, sessions do not
		{strings.ReplaceAll(folderUUID, "-", ""), ""},
		{"User:" + scopeUUID + "/" + folderUUID, ""},
		{"group:" + scopeUUID + "/" + folderUUID, ""},
		{scopeUUID + "/" + folderUUID, ""},
		{"user:" + scopeUUID + "/" + folderUUID + "/x", ""},
		{"user:" + scopeUUID + "/../" + folderUUID, ""},
		{"user:../" + folderUUID, ""},
		{"user:" + scopeUUID + "/" + strings.Replace(folderUUID, "-", "", 1), ""}, // dashes misplaced
		{"user:" + scopeUUID + "/" + strings.Repeat("g", 32), ""},
		{"user:" + scopeUUID + "/" + strings.Repeat("a", 31), ""},
		{"user:" + scopeUUID + "/" + strings.Repeat("a", 33), ""},
		{"user:" + scopeUUID + "/" + "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d\x00", ""},
	}
	for _, tt := range tests {
		v, err := parseMountVFID(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseMountVFID(%q) accepted as %s", tt.in, mountVFID(v))
			}
			continue
		}
		if err != nil || mountVFID(v) != tt.want {
			t.Errorf("parseMountVFID(%q) = %s, %v; want %s", tt.in, mountVFID(v), err, tt.want)
		}
	}
}

func TestCheckMountName(t *testing.T) {
	for _, ok := range []string{"data", "d", "0", "my-data_2.v1", "a..b", "PROC", "Etc", strings.Repeat("x", 64)} {
		if err := CheckMountName(ok); err != nil {
			t.Errorf("CheckMountName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", ".", "..", "a/b", "/", "proc", "dev", "tmp", "etc", "usr", "lib64", "a\x00b", "a\nb", "\x7f",
		strings.Repeat("x", 65), "\xff", "--daemon", "-e", " ", "my data", "données", ".hidden", "_x",
		"a b", "a\\b", "a:b", "a*", "$(id)", "a;b", "\u202ename",
	} {
		if err := CheckMountName(bad); err == nil {
			t.Errorf("CheckMountName(%q) accepted", bad)
		}
	}
}

// TestFolderDirRefusesSymlinkedParent: a symlink anywhere on the layout
// path, even one pointing at a real folder, is not followed.
func TestFolderDirRefusesSymlinkedParent(t *testing.T) {
	cfg := testConfig(t)
	outside := t.TempDir()
	v, _ := parseMountVFID("user:" + strings.Repeat("ab", 16) + "/" + folderUUID)
	// <outside>/0a/1b/<rest> exists; the scope directory links to it.
	if err := os.MkdirAll(filepath.Join(outside, "0a", "1b", "2c3d4e5f4a6b8c7d8e9fa0b1c2d3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(cfg.Volume["local"].Path, strings.Repeat("ab", 16))); err != nil {
		t.Fatal(err)
	}
	svc, _ := newFakeService(t, cfg)
	_, err := svc.volumes["local"].folderDir(v)
	if err == nil {
		t.Fatal("folderDir followed a symlinked scope directory")
	}
	// The session API answers it 404, as a missing folder.
	if !errors.Is(err, ErrFolderNotFound) {
		t.Errorf("folderDir = %v, want ErrFolderNotFound", err)
	}
}
