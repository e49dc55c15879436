package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// agentRun is one finished run of the storage-agent binary.
type agentRun struct {
	stdout, stderr string
	code           int
}

// runAgent runs this test binary as storage-agent with args in dir, with
// no STORAGE_AGENT_* environment, and waits (at most 30 s) for it to end.
func runAgent(t *testing.T, dir string, args ...string) agentRun {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STORAGE_AGENT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, daemonEnv+"=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("storage-agent %q still running after 30 s:\n%s\n%s", args, out.String(), errb.String())
	}
	r := agentRun{stdout: out.String(), stderr: errb.String()}
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// freePorts are the flags of a serve that binds free ports only.
var freePorts = []string{"--api.manager.service-addr.port", "0", "--sftp.service-addr.port", "0", "--webfs.service-addr.port", "0"}

// TestSecondServeLeavesTheFirstAlone starts serve again on a live daemon's
// state directory: it must exit naming the first one's pid and touch
// nothing, and the first one's sessions must go on working.
func TestSecondServeLeavesTheFirstAlone(t *testing.T) {
	d := startDaemon(t)
	vfid, _ := d.folder("lock-user", "data")
	s := d.openSession("lock-user", []map[string]any{mount(vfid, "data")}, nil)

	r := runAgent(t, t.TempDir(), append(append([]string{"--agent.var-base-path", d.varDir}, freePorts...), "serve")...)
	want := fmt.Sprintf("in use: %s is used by storage-agent pid %d", d.varDir, d.cmd.Process.Pid)
	if r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Fatalf("second serve: exit %d, stderr %q; want non-zero and %q", r.code, r.stderr, want)
	}
	if strings.Contains(r.stderr, "leftover") || strings.Contains(r.stdout, "serving") {
		t.Fatalf("second serve did more than refuse:\n%s%s", r.stdout, r.stderr)
	}
	if out, errOut, err := d.sftpBatch(t, s, sshAuth{password: s.Token}, "mkdir /data/still-here\nls /data\n"); err != nil || !strings.Contains(out, "still-here") {
		t.Fatalf("the first daemon's session broke: %v\n%s\n%s", err, out, errOut)
	}
	if code, _, body := d.api("GET", "/sessions/"+s.ID, nil, nil); code != 200 {
		t.Fatalf("session gone from the first daemon: %d %s", code, body)
	}
}

// TestMissingVolumePathStopsStartup: a configured volume path that does not
// exist is never created; serve and config both name the key.
func TestMissingVolumePathStopsStartup(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "nfs", "not-mounted")
	varDir := filepath.Join(dir, "var")
	file := filepath.Join(dir, "storage-agent.toml")
	if err := os.WriteFile(file, []byte("[volume.nfs]\npath = \""+missing+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--config", file, "--agent.var-base-path", varDir}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"serve", append(append(append([]string{}, base...), freePorts...), "serve")},
		{"config", append(append([]string{}, base...), "config")},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runAgent(t, dir, c.args...)
			if r.code == 0 || !strings.Contains(r.stderr, "volume.nfs.path") || !strings.Contains(r.stderr, "does not exist") {
				t.Fatalf("exit %d, stderr %q: want non-zero naming volume.nfs.path", r.code, r.stderr)
			}
			for _, p := range []string{filepath.Dir(missing), varDir} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("%s was created (stat: %v)", p, err)
				}
			}
		})
	}
}

// TestUnmountedVolumeRefusesNewSessions unmounts a volume under a running
// daemon: new folders and sessions get 503 volume-unavailable, and nothing
// is written to the empty mount point left behind.
func TestUnmountedVolumeRefusesNewSessions(t *testing.T) {
	requireRoot(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "sa-e2e-volume", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	mounted := true
	umount := func() {
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
			t.Fatalf("umount: %v %s", err, out)
		}
		mounted = false
	}
	t.Cleanup(func() {
		if mounted {
			umount()
		}
	})
	d := startDaemon(t, "--volume.local.path", mnt)
	vfid, _ := d.folder("vol-user", "data")
	s := d.openSession("vol-user", []map[string]any{mount(vfid, "data")}, nil)
	if code, _, body := d.api("DELETE", "/sessions/"+s.ID, nil, nil); code != 204 {
		t.Fatalf("close: %d %s", code, body)
	}
	umount()

	for _, c := range []struct {
		name, path string
		body       any
	}{
		{"new folder", "/folder/create", map[string]any{"volume": "local", "vfid": "user:" + uuidFrom("x") + "/" + uuidFrom("y")}},
		{"new session", "/sessions", map[string]any{"user": "vol-user", "mounts": []map[string]any{mount(vfid, "data")}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, body := d.api("POST", c.path, c.body, nil)
			if code != 503 || !strings.Contains(string(body), "volume-unavailable") || !strings.Contains(string(body), "unmounted") {
				t.Fatalf("%s: %d %s; want 503 volume-unavailable", c.path, code, body)
			}
		})
	}
	if entries, err := os.ReadDir(mnt); err != nil || len(entries) > 0 {
		t.Fatalf("the bare mount point was written into: %v %v", entries, err)
	}
}

// TestHelpExitsZero: --help and -h on the binary and every subcommand print
// the usage on stdout and exit 0; a bad flag is one short error, exit 2.
func TestHelpExitsZero(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Commands:"},
		{[]string{"-h"}, "Commands:"},
		{[]string{"help"}, "Commands:"},
		{[]string{"serve", "--help"}, "Commands:"},
		{[]string{"serve", "-h"}, "Commands:"},
		{[]string{"config", "--help"}, "Commands:"},
		{[]string{"version", "-h"}, "Commands:"},
		{[]string{"session", "--help"}, "session web-login ID"},
		{[]string{"session", "-h"}, "session web-login ID"},
		{[]string{"session", "open", "--help"}, "-folder NAME"},
		{[]string{"session", "list", "-h"}, "session list"},
		{[]string{"session", "close", "--help"}, "session close ID"},
		{[]string{"session", "web-login", "--help"}, "session web-login ID"},
		{[]string{"help", "config"}, "session.max-sessions = 64\n"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := runAgent(t, dir, c.args...)
			if r.code != 0 || !strings.Contains(r.stdout, c.want) || r.stderr != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and %q on stdout", r.code, r.stdout, r.stderr, c.want)
			}
		})
	}
	t.Run("bad flag", func(t *testing.T) {
		r := runAgent(t, dir, "--no-such-key", "1", "serve")
		if r.code != 2 || !strings.Contains(r.stderr, "no-such-key") || strings.Count(r.stderr, "\n") > 3 {
			t.Fatalf("exit %d, stderr %q; want 2 and a short error", r.code, r.stderr)
		}
	})
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("help wrote %v", entries)
	}
}

// TestListenErrorsNameTheKey: a taken port stops serve with the key to
// change (and, on 6022, a word about Backend.AI's storage-proxy); two
// listeners on one port are refused before anything binds.
func TestListenErrorsNameTheKey(t *testing.T) {
	requireRoot(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	// 6022 may be someone's daemon already; either way it is taken then.
	if l, err := net.Listen("tcp", "127.0.0.1:6022"); err == nil {
		defer l.Close()
	}
	for _, c := range []struct {
		name  string
		flags []string
		code  int
		want  []string
	}{
		{"taken sftp port", []string{"--sftp.service-addr.port", takenPort}, 1, []string{"sftp.service-addr", "address already in use", "change sftp.service-addr.port"}},
		{"taken 6022", []string{"--api.manager.service-addr.port", "6022"}, 1, []string{"api.manager.service-addr", "Backend.AI's storage-proxy"}},
		{"one port twice", []string{"--sftp.service-addr.port", "7022", "--webfs.service-addr.port", "7022"}, 2, []string{"webfs.service-addr.port", "also sftp.service-addr.port"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append(append([]string{"--agent.var-base-path", filepath.Join(dir, "var")}, freePorts...), c.flags...)
			r := runAgent(t, dir, append(args, "serve")...)
			for _, w := range c.want {
				if r.code != c.code || !strings.Contains(r.stderr, w) {
					t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, c.code, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "var", "manager.secret")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a start that could not bind wrote its secret (stat: %v)", err)
			}
		})
	}
}
