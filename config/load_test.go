package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeTOML writes content to a fresh storage-agent.toml and returns its path.
func writeTOML(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "storage-agent.toml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLoadDefaultsWithoutFile(t *testing.T) {
	t.Parallel()
	got, err := Load("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Agent.VarBasePath = mustAbs(t, "var")
	want.Volume["local"] = VolumeConfig{Backend: "vfs", Path: mustAbs(t, "var/volumes/local")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() = %+v\nwant %+v", got, want)
	}
}

func TestDefaultIsDesign(t *testing.T) {
	t.Parallel()
	d := Default()
	for _, c := range []struct {
		key       string
		got, want any
	}{
		{"agent.id", d.Agent.ID, "storage-agent-1"},
		{"agent.public-host", d.Agent.PublicHost, "127.0.0.1"},
		{"agent.var-base-path", d.Agent.VarBasePath, "./var"},
		{"api.manager.service-addr", d.API.Manager.ServiceAddr, HostPort{"127.0.0.1", 6022}},
		{"api.manager.secret", d.API.Manager.Secret, ""},
		{"sftp.service-addr", d.SFTP.ServiceAddr, HostPort{"0.0.0.0", 2022}},
		{"webfs.service-addr", d.WebFS.ServiceAddr, HostPort{"0.0.0.0", 8443}},
		{"webfs.ssl-cert", d.WebFS.SSLCert, ""},
		{"webfs.ssl-privkey", d.WebFS.SSLPrivKey, ""},
		{"session.max-sessions", d.Session.MaxSessions, 64},
		{"session.max-sessions-per-user", d.Session.MaxSessionsPerUser, 2},
		{"session.cpu", d.Session.CPU, 1.0},
		{"session.memory", d.Session.Memory, ByteSize(1 << 30)},
		{"session.pids", d.Session.Pids, int64(64)},
		{"session.idle-timeout", d.Session.IdleTimeout, Duration(30 * time.Minute)},
		{"session.max-ttl", d.Session.MaxTTL, Duration(24 * time.Hour)},
		{"session.uid", d.Session.UID, 1000},
		{"session.gid", d.Session.GID, 1000},
		{"volume", d.Volume, map[string]VolumeConfig{"local": {Backend: "vfs", Path: "./var/volumes/local"}}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.key, c.got, c.want)
		}
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestLoadLayers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		file      string // TOML content; "" = no file
		env       []string
		overrides map[string]string
		check     func(t *testing.T, c *Config, base string) // base: the file's directory or the working directory
	}{
		{
			name: "file overrides defaults",
			file: `
[agent]
id = "node-7"
public-host = "storage7.example.org"

[api.manager]
service-addr = { host = "10.0.0.7", port = 16022 }
secret = "s3cret"

[sftp.service-addr]
port = 22022

[webfs]
ssl-cert = "/etc/sa/cert.pem"
ssl-privkey = "/etc/sa/key.pem"

[session]
max-sessions = 10
cpu = 2
memory = 2147483648
idle-timeout = "5m"
`,
			check: func(t *testing.T, c *Config, base string) {
				want := Default()
				want.Agent.ID, want.Agent.PublicHost = "node-7", "storage7.example.org"
				want.API.Manager = ManagerAPIConfig{ServiceAddr: HostPort{"10.0.0.7", 16022}, Secret: "s3cret"}
				want.SFTP.ServiceAddr.Port = 22022
				want.WebFS.SSLCert, want.WebFS.SSLPrivKey = "/etc/sa/cert.pem", "/etc/sa/key.pem"
				want.Session.MaxSessions, want.Session.CPU = 10, 2
				want.Session.Memory = 2 << 30
				want.Session.IdleTimeout = Duration(5 * time.Minute)
				want.Agent.VarBasePath = filepath.Join(base, "var")
				want.Volume["local"] = VolumeConfig{Backend: "vfs", Path: filepath.Join(base, "var/volumes/local")}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got  %+v\nwant %+v", c, want)
				}
			},
		},
		{
			name: "environment with the documented names",
			env: []string{
				"STORAGE_AGENT_SESSION__MAX_SESSIONS=8",
				"STORAGE_AGENT_API__MANAGER__SECRET=from-env",
				"STORAGE_AGENT_SFTP__SERVICE_ADDR__PORT=2222",
				"STORAGE_AGENT_SFTP__SERVICE_ADDR__HOST=::",
				"STORAGE_AGENT_SESSION__MEMORY=512M",
				"STORAGE_AGENT_SESSION__CPU=0.5",
				"STORAGE_AGENT_SESSION__MAX_TTL=8h",
				"STORAGE_AGENT_AGENT__PUBLIC_HOST=sa.example.org",
				// Not ours: ignored, however they look.
				"PATH=/usr/bin",
				"STORAGE_AGENTX=1",
				"storage_agent_session__cpu=99",
				"NO_EQUALS_SIGN",
			},
			check: func(t *testing.T, c *Config, base string) {
				s := c.Session
				if s.MaxSessions != 8 || s.Memory != 512<<20 || s.CPU != 0.5 || s.MaxTTL != Duration(8*time.Hour) {
					t.Errorf("session = %+v", s)
				}
				if c.API.Manager.Secret != "from-env" {
					t.Errorf("secret = %q", c.API.Manager.Secret)
				}
				if c.SFTP.ServiceAddr != (HostPort{"::", 2222}) {
					t.Errorf("sftp.service-addr = %+v", c.SFTP.ServiceAddr)
				}
				if c.Agent.PublicHost != "sa.example.org" {
					t.Errorf("public-host = %q", c.Agent.PublicHost)
				}
			},
		},
		{
			name:      "flag beats env beats file",
			file:      "[session]\nmax-sessions = 10\nmax-sessions-per-user = 3\npids = 100\n",
			env:       []string{"STORAGE_AGENT_SESSION__MAX_SESSIONS=20", "STORAGE_AGENT_SESSION__MAX_SESSIONS_PER_USER=4"},
			overrides: map[string]string{"session.max-sessions": "30"},
			check: func(t *testing.T, c *Config, base string) {
				s := c.Session
				if s.MaxSessions != 30 || s.MaxSessionsPerUser != 4 || s.Pids != 100 || s.UID != 1000 {
					t.Errorf("session = %+v, want max-sessions 30 (flag), per-user 4 (env), pids 100 (file), uid 1000 (default)", s)
				}
			},
		},
		{
			name:      "flags of every type",
			overrides: map[string]string{"session.idle-timeout": "90s", "session.memory": "64MiB", "webfs.service-addr.port": "0", "session.uid": "2000", "session.cpu": "1.5"},
			check: func(t *testing.T, c *Config, base string) {
				s := c.Session
				if s.IdleTimeout != Duration(90*time.Second) || s.Memory != 64<<20 || s.UID != 2000 || s.CPU != 1.5 || c.WebFS.ServiceAddr.Port != 0 {
					t.Errorf("session = %+v, webfs = %+v", s, c.WebFS)
				}
			},
		},
		{
			name: "var-base-path moves the default volume",
			env:  []string{"STORAGE_AGENT_AGENT__VAR_BASE_PATH=/srv/storage-agent"},
			check: func(t *testing.T, c *Config, base string) {
				want := map[string]VolumeConfig{"local": {Backend: "vfs", Path: "/srv/storage-agent/volumes/local"}}
				if !reflect.DeepEqual(c.Volume, want) || c.Agent.VarBasePath != "/srv/storage-agent" {
					t.Errorf("var-base-path %q, volume = %+v, want %+v", c.Agent.VarBasePath, c.Volume, want)
				}
			},
		},
		{
			name: "relative var-base-path is taken from the file's directory",
			file: "[agent]\nvar-base-path = \"state\"\n",
			check: func(t *testing.T, c *Config, base string) {
				if c.Agent.VarBasePath != filepath.Join(base, "state") || c.Volume["local"].Path != filepath.Join(base, "state/volumes/local") {
					t.Errorf("var-base-path %q, volume %+v", c.Agent.VarBasePath, c.Volume)
				}
			},
		},
		{
			name: "explicit volume replaces the default",
			file: "[volume.fast]\nbackend = \"vfs\"\npath = \"/data/fast\"\n\n[volume.\"nfs.slow\"]\npath = \"/data/slow\"\n",
			check: func(t *testing.T, c *Config, base string) {
				want := map[string]VolumeConfig{
					"fast":     {Backend: "vfs", Path: "/data/fast"},
					"nfs.slow": {Backend: "vfs", Path: "/data/slow"}, // backend defaults to vfs
				}
				if !reflect.DeepEqual(c.Volume, want) {
					t.Errorf("volume = %+v, want %+v", c.Volume, want)
				}
			},
		},
		{
			name:      "volume from env and flag",
			env:       []string{"STORAGE_AGENT_VOLUME__BIG_DISK__PATH=/data/big"},
			overrides: map[string]string{"volume.nfs.slow.path": "/data/slow"},
			check: func(t *testing.T, c *Config, base string) {
				want := map[string]VolumeConfig{
					"big-disk": {Backend: "vfs", Path: "/data/big"},
					"nfs.slow": {Backend: "vfs", Path: "/data/slow"},
				}
				if !reflect.DeepEqual(c.Volume, want) {
					t.Errorf("volume = %+v, want %+v", c.Volume, want)
				}
			},
		},
		{
			name: "empty file and empty tables",
			file: "[agent]\n[volume]\n",
			check: func(t *testing.T, c *Config, base string) {
				if len(c.Volume) != 1 || c.Volume["local"].Backend != "vfs" {
					t.Errorf("volume = %+v, want the default local", c.Volume)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path, base := "", mustAbs(t, ".")
			if tt.file != "" {
				path = writeTOML(t, tt.file)
				base = filepath.Dir(path)
			}
			c, err := Load(path, tt.env, tt.overrides)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c, base)
		})
	}
}

// loadCase is one failing Load: the error must be a *KeyError of kind want
// whose message contains every string of msg.
type loadCase struct {
	name      string
	file      string
	env       []string
	overrides map[string]string
	want      error // ErrUnknownKey or ErrInvalid
	msg       []string
}

func runFailing(t *testing.T, tests []loadCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if tt.file != "" {
				path = writeTOML(t, tt.file)
			}
			c, err := Load(path, tt.env, tt.overrides)
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error", c)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.want)
			}
			if _, ok := errors.AsType[*KeyError](err); !ok {
				t.Errorf("error %v holds no *KeyError", err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	runFailing(t, []loadCase{
		{name: "file", file: "[session]\nmax-session = 8\n", want: ErrUnknownKey,
			msg: []string{`config: unknown key "session.max-session"`, "storage-agent.toml"}},
		{name: "file top level", file: "debug = true\n", want: ErrUnknownKey, msg: []string{`unknown key "debug"`}},
		{name: "file nested address", file: "[sftp.service-addr]\nhots = \"::\"\n", want: ErrUnknownKey,
			msg: []string{`unknown key "sftp.service-addr.hots"`}},
		{name: "file volume field", file: "[volume.x]\npath = \"/x\"\nreadonly = true\n", want: ErrUnknownKey,
			msg: []string{`unknown key "volume.x.readonly"`}},
		{name: "env", env: []string{"STORAGE_AGENT_SESSION__MAX_SESSION=8"}, want: ErrUnknownKey,
			msg: []string{`config: unknown key "session.max-session"`, "env STORAGE_AGENT_SESSION__MAX_SESSION"}},
		{name: "env single underscore between levels", env: []string{"STORAGE_AGENT_SESSION_MAX_SESSIONS=8"}, want: ErrUnknownKey,
			msg: []string{`unknown key "session-max-sessions"`}},
		{name: "env below a leaf", env: []string{"STORAGE_AGENT_SESSION__CPU__MAX=8"}, want: ErrUnknownKey,
			msg: []string{`unknown key "session.cpu.max"`}},
		{name: "override", overrides: map[string]string{"session.max-session": "8"}, want: ErrUnknownKey,
			msg: []string{`config: unknown key "session.max-session"`, "override"}},
		{name: "override section", overrides: map[string]string{"metrics.addr": ":9090"}, want: ErrUnknownKey,
			msg: []string{`unknown key "metrics.addr"`}},
	})
}

func TestLoadRejectsBadValues(t *testing.T) {
	t.Parallel()
	runFailing(t, []loadCase{
		// Decoding.
		{name: "non-integer port in file", file: "[sftp]\nservice-addr = { host = \"::\", port = \"ssh\" }\n", want: ErrInvalid,
			msg: []string{`config: sftp.service-addr.port: "ssh" is not an integer`}},
		{name: "non-integer port in env", env: []string{"STORAGE_AGENT_SFTP__SERVICE_ADDR__PORT=ssh"}, want: ErrInvalid,
			msg: []string{`config: sftp.service-addr.port: "ssh" is not an integer`, "STORAGE_AGENT_SFTP__SERVICE_ADDR__PORT"}},
		{name: "non-integer max-sessions flag", overrides: map[string]string{"session.max-sessions": "abc"}, want: ErrInvalid,
			msg: []string{`config: session.max-sessions: "abc" is not an integer`}},
		{name: "float for integer", file: "[session]\npids = 8.5\n", want: ErrInvalid,
			msg: []string{"session.pids: must be an integer, got 8.5"}},
		{name: "bad memory", env: []string{"STORAGE_AGENT_SESSION__MEMORY=1x"}, want: ErrInvalid,
			msg: []string{`config: session.memory: "1x" is not a size`}},
		{name: "negative memory in file", file: "[session]\nmemory = -1\n", want: ErrInvalid,
			msg: []string{"session.memory: must be a size"}},
		{name: "bad duration", overrides: map[string]string{"session.idle-timeout": "soon"}, want: ErrInvalid,
			msg: []string{`config: session.idle-timeout: "soon" is not a duration`}},
		{name: "integer duration in file", file: "[session]\nmax-ttl = 3600\n", want: ErrInvalid,
			msg: []string{"session.max-ttl: must be a duration"}},
		{name: "number for string", file: "[api.manager]\nsecret = 12345\n", want: ErrInvalid,
			msg: []string{"api.manager.secret: must be a string, got 12345"}},
		{name: "bad cpu", env: []string{"STORAGE_AGENT_SESSION__CPU=lots"}, want: ErrInvalid,
			msg: []string{`session.cpu: "lots" is not a number`}},
		{name: "value for table", env: []string{"STORAGE_AGENT_SESSION=8"}, want: ErrInvalid,
			msg: []string{`session: must be a table, got "8"`}},
		{name: "table for value", file: "[session.cpu]\nmax = 1\n", want: ErrInvalid,
			msg: []string{"session.cpu: must be a number, got a table"}},
		{name: "array of tables", file: "[[volume]]\npath = \"/x\"\n", want: ErrInvalid,
			msg: []string{"volume: must be a table, got an array"}},
		// Validation.
		{name: "port out of range", overrides: map[string]string{"webfs.service-addr.port": "70000"}, want: ErrInvalid,
			msg: []string{"config: webfs.service-addr.port: 70000 is out of range"}},
		{name: "max-sessions 0", file: "[session]\nmax-sessions = 0\n", want: ErrInvalid,
			msg: []string{"config: session.max-sessions: must be at least 1"}},
		{name: "memory below minimum", overrides: map[string]string{"session.memory": "64KiB"}, want: ErrInvalid,
			msg: []string{"config: session.memory: must be at least 16m, got 64k"}},
		{name: "backend ceph", file: "[volume.local]\nbackend = \"ceph\"\npath = \"/data\"\n", want: ErrInvalid,
			msg: []string{`config: volume.local.backend: unsupported backend "ceph"`}},
		{name: "volume without path", file: "[volume.x]\n", want: ErrInvalid,
			msg: []string{"config: volume.x.path: must not be empty"}},
		{name: "all problems at once",
			env:       []string{"STORAGE_AGENT_SESSION__PIDS=1", "STORAGE_AGENT_SESSION__CPU=0"},
			overrides: map[string]string{"agent.id": "a b"},
			want:      ErrInvalid,
			msg:       []string{"session.pids:", "session.cpu:", "agent.id:"}},
		{name: "decode problems of all sources at once",
			file:      "[session]\npids = \"x\"\n",
			env:       []string{"STORAGE_AGENT_SESSION__CPU=x"},
			overrides: map[string]string{"session.uid": "x"},
			want:      ErrInvalid,
			msg:       []string{"session.pids:", "session.cpu:", "session.uid:"}},
	})
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.toml")
	if _, err := Load(missing, nil, nil); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist naming %s", err, missing)
	}
	bad := writeTOML(t, "[session]\nmax-sessions = \n")
	if _, err := Load(bad, nil, nil); err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Errorf("syntax error: err = %v, want the file and line", err)
	}
}

// TestKeysAreSettable checks that the command can turn every key of Keys
// into a flag: each one, set to its default value, loads.
func TestKeysAreSettable(t *testing.T) {
	t.Parallel()
	flat := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, sub := range m {
				walk(strings.TrimPrefix(prefix+"."+k, "."), sub)
			}
			return
		}
		flat[prefix] = v
	}
	walk("", encode(reflect.ValueOf(*Default())))

	keys := Keys()
	if len(keys) != len(flat) {
		t.Errorf("Keys() has %d keys, Default() %d leaves", len(keys), len(flat))
	}
	for i, k := range keys {
		if i > 0 && keys[i-1] >= k {
			t.Errorf("Keys() not sorted at %q", k)
		}
		v, ok := flat[k]
		if !ok {
			t.Errorf("Keys() has %q, not a leaf of Default()", k)
			continue
		}
		s, _ := v.(string)
		if !ok || s == "" {
			s = strings.Trim(show(v), `"`)
		}
		// A configured volume needs a path, so give the volume keys one.
		overrides := map[string]string{"volume.local.path": "/data", k: s}
		if _, err := Load("", nil, overrides); err != nil {
			t.Errorf("override %s=%q: %v", k, s, err)
		}
	}
	for _, k := range []string{"session.max-sessions", "api.manager.secret", "sftp.service-addr.port", "volume.local.path"} {
		if _, ok := flat[k]; !ok {
			t.Errorf("Keys() lacks %q", k)
		}
	}
}
