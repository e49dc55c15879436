package proxy

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVFID(t *testing.T) {
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
		v, err := parseVFID(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseVFID(%q) accepted as %s", tt.in, v)
			}
			continue
		}
		if err != nil || v.String() != tt.want {
			t.Errorf("parseVFID(%q) = %s, %v; want %s", tt.in, v, err, tt.want)
		}
	}
	v, _ := parseVFID(testVFID)
	if got, want := v.relPath(), "6f1b4a6e2f554c1c9a3e2f0f1a2b3c4d/0a/1b/2c3d4e5f4a6b8c7d8e9fa0b1c2d3"; got != want {
		t.Errorf("relPath = %s, want %s", got, want)
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
	v, _ := parseVFID("user:" + strings.Repeat("ab", 16) + "/" + folderUUID)
	// <outside>/0a/1b/<rest> exists; the scope directory links to it.
	if err := os.MkdirAll(filepath.Join(outside, "0a", "1b", "2c3d4e5f4a6b8c7d8e9fa0b1c2d3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(cfg.Volume["local"].Path, strings.Repeat("ab", 16))); err != nil {
		t.Fatal(err)
	}
	svc, _ := newFakeService(t, cfg)
	if _, err := svc.volumes["local"].folderDir(v); err == nil {
		t.Fatal("folderDir followed a symlinked scope directory")
	}
	if _, err := svc.volumes["local"].createFolder(v, 1000, 1000, 0o755); err == nil {
		t.Fatal("createFolder went through a symlinked scope directory")
	}
}

func TestCreateFolder(t *testing.T) {
	cfg := testConfig(t)
	cfg.Session.UID, cfg.Session.GID = 1234, 2345
	svc, _ := newFakeService(t, cfg)
	h := svc.Handler()
	vfid := "user:" + scopeUUID + "/" + "44444444-4444-4444-8444-444444444444"

	mode := 0o750
	for range 2 { // the second create finds it and succeeds
		rec := call(t, h, "POST", "/folder/create", map[string]any{"volume": "local", "vfid": vfid, "mode": mode, "options": map[string]any{"quota": nil}}, testSecret)
		if rec.Code != http.StatusNoContent {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	fi, err := os.Stat(folderPath(t, cfg, "local", vfid))
	if err != nil {
		t.Fatal(err)
	}
	uid, gid := ownerOf(fi)
	if !fi.IsDir() || fi.Mode().Perm() != 0o750 || uid != 1234 || gid != 2345 {
		t.Errorf("folder mode %v owner %d:%d", fi.Mode(), uid, gid)
	}
	parent, _ := os.Stat(filepath.Dir(folderPath(t, cfg, "local", vfid)))
	if uid, _ := ownerOf(parent); uid != os.Geteuid() {
		t.Errorf("layout parent owned by %d, want the daemon", uid)
	}
	// A session can now mount it.
	body := openBody("alice")
	body["mounts"] = []map[string]any{{"volume": "local", "vfid": vfid, "name": "new"}}
	mustOpen(t, svc, body)

	bad := []struct {
		body   string
		status int
	}{
		{`{"volume":"local","vfid":"user:x/y"}`, 400},
		{`{"volume":"local","vfid":"` + vfid + `","mode":512}`, 400},
		{`{"volume":"local","vfid":"` + vfid + `","mode":-1}`, 400},
		{`{"volume":"local","vfid":"` + vfid + `","extra":1}`, 400},
		{`{"volume":"nope","vfid":"` + vfid + `"}`, 404},
		{`{"volume":"local","vfid":"` + vfid + `"} {}`, 400},
	}
	for _, b := range bad {
		if rec := call(t, h, "POST", "/folder/create", b.body, testSecret); rec.Code != b.status {
			t.Errorf("%s: %d %s, want %d", b.body, rec.Code, rec.Body, b.status)
		} else {
			problemOf(t, rec)
		}
	}
}

func TestVolumes(t *testing.T) {
	cfg := testConfig(t)
	cfg.Volume["b-vol"] = cfg.Volume["local"]
	svc, _ := newFakeService(t, cfg)
	got := decode[VolumeList](t, call(t, svc.Handler(), "GET", "/volumes", nil, testSecret))
	if len(got.Volumes) != 2 || got.Volumes[0].Name != "b-vol" || got.Volumes[1].Name != "local" {
		t.Fatalf("volumes %+v", got)
	}
	v := got.Volumes[1]
	if v.Backend != "vfs" || v.Path != cfg.Volume["local"].Path || v.FSPrefix != "." || len(v.Capabilities) != 1 || v.Capabilities[0] != "vfolder" {
		t.Errorf("volume %+v", v)
	}
}
