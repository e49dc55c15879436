package sftpd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func noSessions(string) (Session, bool) { return nil, false }

// TestHostKeysStable checks that keys are generated once, in OpenSSH's
// format with private modes, and reused by the next New.
func TestHostKeysStable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	first, err := New(Options{HostKeyDir: dir, Lookup: noSessions})
	if err != nil {
		t.Fatal(err)
	}
	fps := first.HostKeyFingerprints()
	if len(fps) != 3 || len(slices.Compact(slices.Sorted(slices.Values(fps)))) != 3 {
		t.Fatalf("fingerprints %q; want three distinct", fps)
	}
	second, err := New(Options{HostKeyDir: dir, Lookup: noSessions})
	if err != nil {
		t.Fatal(err)
	}
	if got := second.HostKeyFingerprints(); !slices.Equal(got, fps) {
		t.Errorf("fingerprints changed across New: %q then %q", fps, got)
	}

	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir: %v, %v; want mode 0700", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(hostKeySpecs) {
		t.Errorf("dir holds %d entries, want %d (no temporary files left)", len(entries), len(hostKeySpecs))
	}
	for i, spec := range hostKeySpecs {
		path := filepath.Join(dir, spec.file)
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", spec.file, fi.Mode(), err)
		}
		// OpenSSH itself must read the file and agree on the fingerprint.
		out, err := exec.Command(requireTool(t, "ssh-keygen"), "-l", "-E", "sha256", "-f", path).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen -l %s: %v: %s", spec.file, err, out)
		}
		if !strings.Contains(string(out), fps[i]) {
			t.Errorf("ssh-keygen -l %s = %q, want fingerprint %s", spec.file, out, fps[i])
		}
		data, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(data), "-----BEGIN OPENSSH PRIVATE KEY-----") {
			t.Errorf("%s is not in OpenSSH format", spec.file)
		}
	}
	if bits := keyBits(t, filepath.Join(dir, "ssh_host_rsa_key")); bits != "3072" {
		t.Errorf("rsa key has %s bits, want 3072", bits)
	}
}

// keyBits returns the bit count ssh-keygen reports for a key file.
func keyBits(t *testing.T, path string) string {
	out, err := exec.Command(requireTool(t, "ssh-keygen"), "-l", "-f", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}

// TestHostKeyProblems checks that New refuses bad input and never replaces a
// key it cannot read.
func TestHostKeyProblems(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{Lookup: noSessions}); !errors.Is(err, ErrNoHostKeyDir) {
		t.Errorf("no dir: %v", err)
	}
	if _, err := New(Options{HostKeyDir: t.TempDir()}); !errors.Is(err, ErrNoLookup) {
		t.Errorf("no lookup: %v", err)
	}

	dir := t.TempDir()
	broken := filepath.Join(dir, "ssh_host_ecdsa_key")
	if err := os.WriteFile(broken, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{HostKeyDir: dir, Lookup: noSessions}); !errors.Is(err, ErrHostKey) {
		t.Errorf("corrupt key: %v, want ErrHostKey", err)
	}
	if data, _ := os.ReadFile(broken); string(data) != "not a key" {
		t.Error("corrupt key file was overwritten")
	}

	// A key of the wrong type under a known name is refused too.
	dir = t.TempDir()
	if _, err := New(Options{HostKeyDir: dir, Lookup: noSessions}); err != nil {
		t.Fatal(err)
	}
	ed, _ := os.ReadFile(filepath.Join(dir, "ssh_host_ed25519_key"))
	os.WriteFile(filepath.Join(dir, "ssh_host_rsa_key"), ed, 0o600)
	if _, err := New(Options{HostKeyDir: dir, Lookup: noSessions}); !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), ssh.KeyAlgoRSA) {
		t.Errorf("wrong key type: %v, want ErrHostKey naming %s", err, ssh.KeyAlgoRSA)
	}
}
