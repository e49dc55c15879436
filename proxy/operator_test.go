package proxy

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSecretNeverCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var")
	if _, err := LoadSecret(SecretFile(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadSecret of a missing file = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadSecret created %s", dir)
	}
	made, err := LoadOrCreateSecret(SecretFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := LoadSecret(SecretFile(dir)); err != nil || got != made {
		t.Fatalf("LoadSecret = %q, %v; want %q", got, err, made)
	}
}

// TestVolumeGoneIsUnavailable: a volume directory that went away (here:
// moved aside, as an unmount leaves another directory) answers 503.
func TestVolumeGoneIsUnavailable(t *testing.T) {
	cfg := testConfig(t)
	svc, _ := newFakeService(t, cfg)
	path := cfg.Volume["local"].Path
	if err := os.Rename(path, path+".gone"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		body any
	}{
		{"/folder/create", map[string]any{"volume": "local", "vfid": testVFID}},
		{"/sessions", map[string]any{"user": "u", "mounts": []map[string]any{{"volume": "local", "vfid": testVFID, "name": "data"}}}},
	} {
		rec := call(t, svc.Handler(), "POST", c.path, c.body, testSecret)
		if p := problemOf(t, rec); rec.Code != http.StatusServiceUnavailable || !strings.HasSuffix(p.Type, "/volume-unavailable") {
			t.Errorf("POST %s with the volume gone: %d %+v", c.path, rec.Code, p)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("the missing volume directory was created")
	}
}

func TestWebLoginLink(t *testing.T) {
	cfg := testConfig(t)
	svc, _ := newFakeService(t, cfg)
	sess := openFake(t, svc, map[string]any{"user": "u", "mounts": []map[string]any{{"volume": "local", "vfid": testVFID, "name": "data"}}})
	for i := range 2 { // each call a new link, each working once
		rec := call(t, svc.Handler(), "POST", "/sessions/"+sess.id+"/web-login", nil, testSecret)
		if rec.Code != http.StatusOK {
			t.Fatalf("web-login: %d %s", rec.Code, rec.Body)
		}
		_, tok, ok := strings.Cut(rec.Body.String(), "token=")
		tok, _, _ = strings.Cut(tok, `"`)
		if !ok {
			t.Fatalf("no token in %s", rec.Body)
		}
		if _, err := svc.RedeemLoginToken(tok); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
		if _, err := svc.RedeemLoginToken(tok); !errors.Is(err, ErrTokenRedeemed) {
			t.Fatalf("link %d reused: %v", i, err)
		}
	}
	if rec := call(t, svc.Handler(), "POST", "/sessions/nope/web-login", nil, testSecret); rec.Code != http.StatusNotFound {
		t.Fatalf("web-login of an unknown session: %d", rec.Code)
	}
	if rec := call(t, svc.Handler(), "POST", "/sessions/"+sess.id+"/web-login", nil, ""); rec.Code != http.StatusForbidden {
		t.Fatalf("web-login without the secret: %d", rec.Code)
	}
}
