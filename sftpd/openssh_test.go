package sftpd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestOpenSSHRoundTrip logs in each supported way and moves a file up and
// back down with the real sftp client, comparing checksums on both sides.
func TestOpenSSHRoundTrip(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-rt")
	keyFile, pub := genKey(t)
	s.keys = []ssh.PublicKey{pub}
	ts := startServer(t, Options{}, s)

	data := make([]byte, 5<<20+12345) // several windows and an odd tail
	rand.Read(data)
	want := sha256.Sum256(data)

	for _, tc := range []struct {
		name  string
		login login
	}{
		{"password", tokenLogin(t, s.token, "password")},
		{"keyboard-interactive", tokenLogin(t, s.token, "keyboard-interactive")},
		// OpenSSH's own cipher order wins the negotiation (chacha20 first),
		// so AES-GCM is asked for explicitly here to cover it.
		{"publickey aes128-gcm", withOpts(keyLogin(keyFile), "-o", "Ciphers=aes128-gcm@openssh.com")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			local := t.TempDir()
			up, down := filepath.Join(local, "up.bin"), filepath.Join(local, "down.bin")
			if err := os.WriteFile(up, data, 0o600); err != nil {
				t.Fatal(err)
			}
			remote := strings.ReplaceAll(tc.name, " ", "-") + ".bin"
			// SetEnv sends an "env" request, which is refused; sftp must
			// not mind.
			l := withOpts(tc.login, "-o", "SetEnv=LC_TEST=1")
			batch := "put " + up + " " + remote + "\nget " + remote + " " + down + "\n"
			r := run(t, context.Background(), "sftp", l, []byte(batch), ts.sftpArgs(s.id, l)...)
			if r.err != nil {
				t.Fatalf("sftp failed: %v\n%s", r.err, r.stderr)
			}
			for _, path := range []string{filepath.Join(s.root, remote), down} {
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(got) != want {
					t.Errorf("%s: checksum differs (%d bytes, want %d)", path, len(got), len(data))
				}
			}
		})
	}
	// OpenSSH 9's scp speaks the sftp protocol by default, so it works
	// already; scp -O (the legacy protocol) needs Exec, a later issue.
	t.Run("scp", func(t *testing.T) {
		local := t.TempDir()
		up, down := filepath.Join(local, "up.bin"), filepath.Join(local, "down.bin")
		if err := os.WriteFile(up, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l := keyLogin(keyFile)
		remote := s.id + "@127.0.0.1:scp.bin"
		for _, args := range [][]string{{up, remote}, {remote, down}} {
			full := append(append(append(baseOpts(), l.opts...), "-P", ts.port), args...)
			if r := run(t, context.Background(), "scp", l, nil, full...); r.err != nil {
				t.Fatalf("scp %s: %v", args, r.err)
			}
		}
		if got, err := os.ReadFile(down); err != nil || sha256.Sum256(got) != want {
			t.Errorf("scp round trip: checksum differs or %v", err)
		}
	})
	waitFor(t, "holds released", func() bool { return s.heldCount() == 0 })
}

// TestOpenSSHLoginRefused checks that bad credentials and unknown sessions
// fail the same way and never reach a worker.
func TestOpenSSHLoginRefused(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-ref")
	_, pub := genKey(t)
	s.keys = []ssh.PublicKey{pub}
	otherKey, _ := genKey(t)
	ts := startServer(t, Options{}, s)

	for _, tc := range []struct {
		name, user string
		login      login
	}{
		{"wrong token", s.id, tokenLogin(t, "not-the-token", "password")},
		{"wrong token k-i", s.id, tokenLogin(t, "not-the-token", "keyboard-interactive")},
		{"unknown session", "no-such-session", tokenLogin(t, s.token, "password")},
		{"unregistered key", s.id, keyLogin(otherKey)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, context.Background(), "sftp", tc.login, []byte("pwd\n"), ts.sftpArgs(tc.user, tc.login)...)
			if r.err == nil {
				t.Fatal("login succeeded")
			}
			if !strings.Contains(r.stderr, "Permission denied") {
				t.Errorf("stderr = %q, want Permission denied", r.stderr)
			}
		})
	}
	if len(s.opened) != 0 {
		t.Errorf("a refused login opened %d sftp streams", len(s.opened))
	}
}

// TestOpenSSHShellRefused checks the one-line refusal of shells. A forced
// pty (-tt) is refused too, which OpenSSH itself treats as fatal.
func TestOpenSSHShellRefused(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-shell")
	ts := startServer(t, Options{}, s)
	l := tokenLogin(t, s.token, "password")
	for _, tc := range []struct {
		flags  []string
		code   int
		stderr string
	}{
		{[]string{"-T"}, 1, msgNoShell + "\n"},
		{nil, 1, msgNoShell + "\n"},
		{[]string{"-tt"}, 255, "PTY allocation request failed"},
	} {
		t.Run(strings.Join(append([]string{"ssh"}, tc.flags...), " "), func(t *testing.T) {
			r := run(t, context.Background(), "ssh", l, nil, ts.sshArgs(s.id, l, tc.flags...)...)
			exact := tc.code == 1 // the refusal must be exactly one line
			if r.exitCode != tc.code || !strings.Contains(r.stderr, tc.stderr) || exact && r.stderr != tc.stderr {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.exitCode, r.stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestOpenSSHExec checks that exec output and exit status reach the client
// and that refused commands exit non-zero with one explaining line.
func TestOpenSSHExec(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-exec")
	ts := startServer(t, Options{}, s)
	l := tokenLogin(t, s.token, "password")
	for _, tc := range []struct {
		command, stdout, stderr string
		code                    int
	}{
		{"echo hello", "hello\n", "", 0},
		{"exit 3", "", "", 3},
		{"ls -la /", "", `storage-agent: command not supported: "ls -la /"` + "\n", 1},
	} {
		t.Run(tc.command, func(t *testing.T) {
			args := append(ts.sshArgs(s.id, l, "-T"), tc.command)
			r := run(t, context.Background(), "ssh", l, nil, args...)
			if r.exitCode != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderr {
				t.Errorf("got exit %d, stdout %q, stderr %q; want %d, %q, %q",
					r.exitCode, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// waitFor polls cond for a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("timed out waiting for %s", what)
}
