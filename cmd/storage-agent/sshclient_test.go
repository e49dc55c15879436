package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clientKey is one ed25519 key pair made with the real ssh-keygen.
type clientKey struct {
	private string // path
	public  string // authorized_keys line
}

var (
	keyOnce sync.Once
	keyDir  string
	keyErr  error
)

// testKey returns a key pair shared by the package's tests.
func testKey(t *testing.T) clientKey {
	t.Helper()
	requireTool(t, "ssh-keygen")
	keyOnce.Do(func() {
		keyDir, keyErr = os.MkdirTemp("", "sa-key-")
		if keyErr == nil {
			keyErr = exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(keyDir, "id")).Run()
		}
	})
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	pub, err := os.ReadFile(filepath.Join(keyDir, "id.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return clientKey{private: filepath.Join(keyDir, "id"), public: strings.TrimSpace(string(pub))}
}

// sshAuth says how a client logs in: with a key file or a password (token).
type sshAuth struct {
	keyFile  string
	password string
}

// commonSSHOptions are the options every real client run uses.
func commonSSHOptions() []string {
	return []string{
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		"-o", "Ciphers=aes128-gcm@openssh.com",
	}
}

// authArgs and authEnv set up key or password login for OpenSSH clients.
// Passwords go through SSH_ASKPASS (forced), never a terminal.
func authArgs(t *testing.T, a sshAuth) (args, env []string) {
	t.Helper()
	if a.keyFile != "" {
		return []string{"-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
			"-o", "KbdInteractiveAuthentication=no", "-i", a.keyFile}, nil
	}
	script := filepath.Join(t.TempDir(), "askpass")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(a.password), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte("#!/bin/sh\ncat '"+pw+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	args = []string{"-o", "BatchMode=no", "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
		"-o", "PreferredAuthentications=password,keyboard-interactive"}
	env = []string{"SSH_ASKPASS=" + script, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=none"}
	return args, env
}

// runClient runs a real OpenSSH client binary with a deadline and returns
// its stdout, stderr and error.
func runClient(t *testing.T, timeout time.Duration, env []string, stdin string, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireTool(t, name), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// sftpBatch runs `sftp -b -` with the given batch commands against session s.
func (d *daemon) sftpBatch(t *testing.T, s sessionInfo, a sshAuth, batch string) (string, string, error) {
	t.Helper()
	auth, env := authArgs(t, a)
	args := append(append(append([]string{}, auth...), commonSSHOptions()...), "-P", d.sftpPort, "-b", "-", s.ID+"@127.0.0.1")
	return runClient(t, 5*time.Minute, env, batch, "sftp", args...)
}
