package proxy

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var")
	file := SecretFile(dir)
	s1, err := LoadOrCreateSecret(file)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(s1); err != nil || len(b) != 32 {
		t.Fatalf("secret %q is not 32 hex bytes", s1)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", fi.Mode())
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", fi.Mode())
	}
	s2, err := LoadOrCreateSecret(file)
	if err != nil || s2 != s1 {
		t.Fatalf("reload: %q, %v; want %q", s2, err, s1)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSecret(file); err == nil {
		t.Fatal("accepted a world-readable secret file")
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := LoadOrCreateSecret(empty); err == nil {
		t.Fatal("accepted an empty secret file")
	}
}

// TestLoadOrCreateRace: concurrent first starts agree on one secret.
func TestLoadOrCreateRace(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x", "manager.secret")
	got := make([]string, 16)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			s, err := LoadOrCreateSecret(file)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatalf("racing creators disagree: %q", got)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	file := TokenKeyFile(dir)
	k1, err := LoadOrCreateKey(file)
	if err != nil || len(k1) != 32 {
		t.Fatalf("key %x, %v", k1, err)
	}
	k2, err := LoadOrCreateKey(file)
	if err != nil || string(k1) != string(k2) {
		t.Fatal("key changed on reload")
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	if _, err := LoadOrCreateKey(short); err == nil {
		t.Error("accepted a 2-byte key")
	}
	nothex := filepath.Join(dir, "nothex")
	os.WriteFile(nothex, []byte("zz"), 0o600)
	if _, err := LoadOrCreateKey(nothex); err == nil {
		t.Error("accepted a non-hex key")
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	cfg := testConfig(t)
	fs := &fakeSandbox{}
	noSecret := *cfg
	noSecret.API.Manager.Secret = ""
	for name, opts := range map[string]Options{
		"no config":  {Sandbox: fs, TokenKey: testKey},
		"no sandbox": {Config: cfg, TokenKey: testKey},
		"no secret":  {Config: &noSecret, Sandbox: fs, TokenKey: testKey},
		"short key":  {Config: cfg, Sandbox: fs, TokenKey: testKey[:16]},
	} {
		if _, err := New(t.Context(), opts); err == nil {
			t.Errorf("%s: New accepted", name)
		}
	}
}
