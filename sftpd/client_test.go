package sftpd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// clientTimeout bounds every OpenSSH client run, so a hang fails the test
// instead of stalling the suite.
const clientTimeout = 60 * time.Second

// requireTool returns the path of an OpenSSH tool. These tests exist to
// check the real clients, so a missing one is a failure, not a skip.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required for these tests (apt-get install openssh-client): %v", name, err)
	}
	return path
}

// baseOpts makes the clients hermetic: no user or system config, no host key
// pinning, no chatter on stderr.
func baseOpts() []string {
	return []string{
		"-F", "/dev/null",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null",
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR",
		"-o", "ConnectTimeout=10",
	}
}

// login is how a client proves itself: extra options and environment.
type login struct {
	opts []string
	env  []string
}

// tokenLogin logs in with the session token through SSH_ASKPASS, with
// method "password" or "keyboard-interactive". BatchMode=no must come before
// sftp's -b, which otherwise adds BatchMode=yes and with it disables every
// prompt; ssh keeps the first value it is given for an option.
func tokenLogin(t *testing.T, token, method string) login {
	t.Helper()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	askpass := filepath.Join(dir, "askpass")
	script := "#!/bin/sh\ncat '" + tokenFile + "'\necho\n"
	if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return login{
		opts: []string{
			"-o", "BatchMode=no",
			"-o", "PreferredAuthentications=" + method,
			"-o", "PubkeyAuthentication=no",
			"-o", "NumberOfPasswordPrompts=1",
		},
		env: []string{"SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force"},
	}
}

// keyLogin logs in with a private key file and nothing else.
func keyLogin(keyFile string) login {
	return login{opts: []string{
		"-i", keyFile,
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none",
		"-o", "PreferredAuthentications=publickey",
		"-o", "BatchMode=yes",
	}}
}

// withOpts returns l with more client options.
func withOpts(l login, opts ...string) login {
	l.opts = append(append([]string(nil), l.opts...), opts...)
	return l
}

// result is what a client run left behind.
type result struct {
	stdout, stderr string
	err            error
	exitCode       int
}

// run runs an OpenSSH tool with stdin and waits for it.
func run(t *testing.T, ctx context.Context, tool string, l login, stdin []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireTool(t, tool), args...)
	cmd.Env = append(os.Environ(), l.env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), err: err, exitCode: cmd.ProcessState.ExitCode()}
	t.Logf("%s %q: exit %d, stderr %q", tool, args, r.exitCode, r.stderr)
	return r
}

// sftpArgs builds an `sftp -b -` command line: options, then -b, then the
// destination.
func (ts *testServer) sftpArgs(user string, l login) []string {
	args := append(baseOpts(), l.opts...)
	return append(args, "-P", ts.port, "-b", "-", user+"@127.0.0.1")
}

// sshArgs builds an ssh command line ending in the remote command, if any.
func (ts *testServer) sshArgs(user string, l login, extra ...string) []string {
	args := append(baseOpts(), l.opts...)
	args = append(args, "-p", ts.port)
	args = append(args, extra...)
	return append(args, user+"@127.0.0.1")
}

// genKey makes an ed25519 key pair with ssh-keygen and returns the private
// key file and the parsed public key.
func genKey(t *testing.T) (string, ssh.PublicKey) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	out, err := exec.Command(requireTool(t, "ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", keyFile).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pubText, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	return keyFile, pub
}
