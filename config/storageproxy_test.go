package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStorageProxyKeys reads the keys an operator brings over from
// Backend.AI's storage-proxy.toml, in every source.
func TestStorageProxyKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "storage-agent.toml")
	toml := `
[api.client]
service-addr = { host = "127.0.0.1", port = 16021 }
ssl-enabled = false

[storage-proxy]
secret = "s3cret"
session-expire = "1d"
max-upload-size = "10g"
scandir-limit = 5000
allow-auto-quota-scope-creation = false

[redis]
addr = "127.0.0.1:6379"
event-format = "json"
`
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file, []string{"STORAGE_AGENT_REDIS__DB=7"}, map[string]string{"api.client.ssl-enabled": "true"})
	if err != nil {
		t.Fatal(err)
	}
	sp := cfg.StorageProxy
	switch {
	case cfg.API.Client.ServiceAddr.Port != 16021 || !cfg.API.Client.SSLEnabled:
		t.Errorf("api.client = %+v", cfg.API.Client)
	case sp.Secret != "s3cret" || time.Duration(sp.SessionExpire) != 24*time.Hour || sp.MaxUploadSize != 10*gib ||
		sp.ScandirLimit != 5000 || sp.AllowAutoQuotaScopeCreation:
		t.Errorf("storage-proxy = %+v", sp)
	case cfg.Redis.Addr != "127.0.0.1:6379" || cfg.Redis.DB != 7 || cfg.Redis.EventFormat != "json":
		t.Errorf("redis = %+v", cfg.Redis)
	}
	out, err := cfg.Masked().TOML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cret") || !strings.Contains(string(out), "ssl-enabled = true") {
		t.Errorf("rendered config:\n%s", out)
	}
}

func TestStorageProxyBadValues(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"redis.event-format", "yaml", "redis.event-format"},
		{"api.client.ssl-enabled", "maybe", "api.client.ssl-enabled"},
		{"storage-proxy.scandir-limit", "0", "storage-proxy.scandir-limit"},
		{"storage-proxy.session-expire", "0s", "storage-proxy.session-expire"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			_, err := Load("", nil, map[string]string{tc.key: tc.value})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}
