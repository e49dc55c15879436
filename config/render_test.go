package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTOMLRoundTrip(t *testing.T) {
	t.Parallel()
	loaded, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	custom := Default()
	custom.Agent = AgentConfig{ID: "node.7_a-b", PublicHost: "sa.example.org", VarBasePath: "/srv/sa"}
	custom.API.Manager = ManagerAPIConfig{ServiceAddr: HostPort{"::1", 0}, Secret: "quote\" back\\slash\nnewline\ttab\x00nul é"}
	custom.WebFS.SSLCert, custom.WebFS.SSLPrivKey = "/etc/sa/cert.pem", "/etc/sa/key.pem"
	custom.Session = SessionConfig{
		MaxSessions: 1, MaxSessionsPerUser: 1, CPU: 0.25, Memory: 1<<30 + 512, Pids: 8,
		IdleTimeout: Duration(90 * time.Second), MaxTTL: Duration(36*time.Hour + 1500*time.Millisecond),
		UID: 1, GID: 65534, MaxWebRequests: 1, MaxSSHConnections: 1024, MaxChannelsPerConnection: 3, MaxSSHChannels: 7,
	}
	custom.Volume = map[string]VolumeConfig{
		"fast":     {Backend: "vfs", Path: "/data/fast"},
		"nfs.slow": {Backend: "vfs", Path: "/data/with space/and\"quote"},
	}

	for name, c := range map[string]*Config{"defaults": loaded, "custom": custom} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			text, err := c.TOML()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Load(writeTOML(t, string(text)), nil, nil)
			if err != nil {
				t.Fatalf("Load(TOML()) = %v\n%s", err, text)
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("round trip changed the config\n got %+v\nwant %+v\nTOML:\n%s", back, c, text)
			}
		})
	}
}

func TestTOMLShape(t *testing.T) {
	t.Parallel()
	text, err := Default().TOML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(text)
	// The sections and spellings of DESIGN.md, in its order.
	want := []string{
		"[agent]\n", `id = "storage-agent-1"`, `var-base-path = "./var"`,
		"[api.manager]\n", `service-addr = { host = "127.0.0.1", port = 6022 }`,
		"[sftp]\n", "[webfs]\n", `ssl-privkey = ""`,
		"[session]\n", "cpu = 1.0\n", `memory = "1g"`, `idle-timeout = "30m"`, `max-ttl = "24h"`,
		"[volume.local]\n", `path = "./var/volumes/local"`,
	}
	at := 0
	for _, w := range want {
		i := strings.Index(s[at:], w)
		if i < 0 {
			t.Fatalf("TOML lacks %q after offset %d:\n%s", w, at, s)
		}
		at += i
	}
	if strings.Contains(s, "[api]\n") {
		t.Errorf("TOML has an empty [api] header:\n%s", s)
	}
}

func TestMasked(t *testing.T) {
	t.Parallel()
	c := Default()
	c.API.Manager.Secret = "s3cret"
	m := c.Masked()
	if m.API.Manager.Secret != "********" {
		t.Errorf("masked secret = %q", m.API.Manager.Secret)
	}
	if c.API.Manager.Secret != "s3cret" {
		t.Errorf("Masked changed the original: %q", c.API.Manager.Secret)
	}
	text, err := m.TOML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "s3cret") {
		t.Errorf("masked TOML shows the secret:\n%s", text)
	}
	// A deep copy: changing the copy's volumes leaves the original alone.
	m.Volume["other"] = VolumeConfig{}
	if _, ok := c.Volume["other"]; ok {
		t.Error("Masked shares the volume map with the original")
	}
	// An empty secret stays empty: it means "generate one".
	if got := Default().Masked().API.Manager.Secret; got != "" {
		t.Errorf("masked empty secret = %q, want empty", got)
	}
}
