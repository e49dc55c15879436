package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestConfigErrorsStopStartup(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[session]\nmax-sesions = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty-dist")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	fb := "--webfs.filebrowser-frontend"
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"frontend missing", []string{fb, filepath.Join(dir, "no-dist"), "config"}, nil, "webfs.filebrowser-frontend: unusable filebrowser frontend"},
		{"frontend without index", []string{fb, empty, "config"}, nil, "holds no public/index.html or index.html"},
		{"frontend is a file", []string{fb, bad, "config"}, nil, "not a directory"},
		{"unknown key in file", []string{"--config", bad, "serve"}, nil, "session.max-sesions"},
		{"bad value in flag", []string{"--session.max-sessions", "lots", "serve"}, nil, "session.max-sessions"},
		{"unknown key in env", []string{"serve"}, []string{"STORAGE_AGENT_SESSION__COLOUR=red"}, "session.colour"},
		{"bad duration in env", []string{"serve"}, []string{"STORAGE_AGENT_SESSION__IDLE_TIMEOUT=soon"}, "session.idle-timeout"},
		{"root uid", []string{"--session.uid", "0", "serve"}, nil, "session.uid"},
		{"missing config file", []string{"--config", filepath.Join(dir, "nope.toml"), "serve"}, nil, "nope.toml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), c.args, c.env, &out, &errb)
			if code == 0 || !strings.Contains(errb.String(), c.want) {
				t.Fatalf("exit %d, stderr %q: want non-zero and %q named", code, errb.String(), c.want)
			}
		})
	}
}

func TestConfigCommandMasksSecrets(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--api.manager.secret", "hunter2-very-secret", "--session.max-sessions", "7", "config"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "hunter2") || !strings.Contains(out.String(), "max-sessions = 7") {
		t.Fatalf("config output:\n%s", out.String())
	}
}

// TestServeRefusesWithoutSandbox runs serve as an unprivileged user: it must
// refuse to start and say why, not run sessions unconfined, and write
// nothing (no state directory, secret or volume) before it refuses.
func TestServeRefusesWithoutSandbox(t *testing.T) {
	requireRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary may sit in a directory nobody can enter; copy it out.
	dir, err := os.MkdirTemp("", "sa-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "storage-agent")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--agent.var-base-path", filepath.Join(dir, "var"),
		"--api.manager.service-addr.port", "0", "--sftp.service-addr.port", "0", "--webfs.service-addr.port", "0", "serve")
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started as uid 65534:\n%s", out)
	}
	if !strings.Contains(string(out), "must run as root") {
		t.Fatalf("no reason given:\n%s", out)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 {
		t.Fatalf("a refused start wrote %v (%v); want only the binary", entries, err)
	}
}
