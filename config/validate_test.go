package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *Config)
		key    string // "" = valid
		reason string
	}{
		{"defaults", func(c *Config) {}, "", ""},
		{"port 0 picks a free port", func(c *Config) { c.SFTP.ServiceAddr.Port = 0 }, "", ""},
		{"port 65535", func(c *Config) { c.WebFS.ServiceAddr.Port = 65535 }, "", ""},
		{"uid 0", func(c *Config) { c.Session.UID = 0 }, "session.uid", "non-root"},
		{"gid 0", func(c *Config) { c.Session.GID = 0 }, "session.gid", "non-root"},
		{"both tls files", func(c *Config) { c.WebFS.SSLCert, c.WebFS.SSLPrivKey = "c.pem", "k.pem" }, "", ""},
		{"port too large", func(c *Config) { c.SFTP.ServiceAddr.Port = 70000 }, "sftp.service-addr.port", "out of range"},
		{"unknown cipher", func(c *Config) { c.SFTP.Ciphers = "aes128-gcm@openssh.com,rot13" }, "sftp.ciphers", "rot13"},
		{"gcm only", func(c *Config) { c.SFTP.Ciphers = "aes128-gcm@openssh.com" }, "", ""},
		{"negative port", func(c *Config) { c.API.Manager.ServiceAddr.Port = -1 }, "api.manager.service-addr.port", "out of range"},
		{"max-sessions 0", func(c *Config) { c.Session.MaxSessions = 0 }, "session.max-sessions", "at least 1"},
		{"per-user 0", func(c *Config) { c.Session.MaxSessionsPerUser = 0 }, "session.max-sessions-per-user", "at least 1"},
		{"cpu 0", func(c *Config) { c.Session.CPU = 0 }, "session.cpu", "positive"},
		{"memory small", func(c *Config) { c.Session.Memory = 15 << 20 }, "session.memory", "at least 16m"},
		{"pids small", func(c *Config) { c.Session.Pids = 7 }, "session.pids", "at least 8"},
		{"idle-timeout 0", func(c *Config) { c.Session.IdleTimeout = 0 }, "session.idle-timeout", "positive"},
		{"max-ttl negative", func(c *Config) { c.Session.MaxTTL = -1 }, "session.max-ttl", "positive"},
		{"uid negative", func(c *Config) { c.Session.UID = -1 }, "session.uid", "non-root"},
		{"gid negative", func(c *Config) { c.Session.GID = -1 }, "session.gid", "non-root"},
		{"empty id", func(c *Config) { c.Agent.ID = "" }, "agent.id", "empty"},
		{"id with slash", func(c *Config) { c.Agent.ID = "a/b" }, "agent.id", "invalid id"},
		{"empty public-host", func(c *Config) { c.Agent.PublicHost = "" }, "agent.public-host", "empty"},
		{"empty var-base-path", func(c *Config) { c.Agent.VarBasePath = "" }, "agent.var-base-path", "empty"},
		{"no volume", func(c *Config) { c.Volume = nil }, "volume", "at least one"},
		{"bad volume name", func(c *Config) { c.Volume["a b"] = VolumeConfig{"vfs", "/x"} }, "volume.a b", "letters, digits"},
		{"dot-dot volume name", func(c *Config) { c.Volume[".."] = VolumeConfig{"vfs", "/x"} }, "volume...", "invalid volume name"},
		{"backend ceph", func(c *Config) { c.Volume["local"] = VolumeConfig{"ceph", "/x"} }, "volume.local.backend", `"ceph"`},
		{"empty path", func(c *Config) { c.Volume["local"] = VolumeConfig{"vfs", ""} }, "volume.local.path", "empty"},
		{"two listeners on one port", func(c *Config) { c.WebFS.ServiceAddr.Port = 2022 }, "webfs.service-addr.port", "also sftp.service-addr.port"},
		{"one port on two hosts", func(c *Config) {
			c.SFTP.ServiceAddr.Host, c.WebFS.ServiceAddr = "10.0.0.1", HostPort{"10.0.0.2", 2022}
		}, "", ""},
		{"two listeners on port 0", func(c *Config) { c.SFTP.ServiceAddr.Port, c.WebFS.ServiceAddr.Port = 0, 0 }, "", ""},
		{"cert without key", func(c *Config) { c.WebFS.SSLCert = "c.pem" }, "webfs.ssl-cert", "together"},
		{"key without cert", func(c *Config) { c.WebFS.SSLPrivKey = "k.pem" }, "webfs.ssl-cert", "together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.change(c)
			err := c.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			ke, ok := errors.AsType[*KeyError](err)
			if !ok || ke.Key != tt.key || !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate() = %v, want a *KeyError for %q", err, tt.key)
			}
			if want := "config: " + tt.key + ": "; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Validate() = %q, want it to contain %q and %q", err, want, tt.reason)
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Session.MaxSessions, c.Session.Pids, c.Agent.ID = 0, 0, ""
	err := c.Validate()
	for _, key := range []string{"session.max-sessions", "session.pids", "agent.id"} {
		if err == nil || !strings.Contains(err.Error(), "config: "+key+":") {
			t.Errorf("Validate() = %v, want a problem with %s", err, key)
		}
	}
}
