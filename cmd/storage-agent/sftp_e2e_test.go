package main

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRandomFile writes size random bytes and returns the file's sha256.
func writeRandomFile(t *testing.T, path string, size int64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// sftpQuote quotes a path for an sftp batch line.
func sftpQuote(p string) string { return `"` + strings.ReplaceAll(p, `"`, `\"`) + `"` }

func TestSFTPRoundTrips(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	vfid, host := d.folder("rt-user", "data")
	s := d.openSession("rt-user", []map[string]any{{"volume": "local", "vfid": vfid, "name": "data"}},
		map[string]any{"ssh_public_keys": []string{key.public}})
	local := t.TempDir()
	cases := []struct {
		name string
		size int64
	}{
		{"empty.bin", 0},
		{"small file with spaces.txt", 1234},
		{"유니코드-ファイル-é.dat", 70_000},
		{"big-100MiB.bin", 100 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := filepath.Join(local, "src-"+c.name)
			want := writeRandomFile(t, src, c.size)
			back := filepath.Join(local, "back-"+c.name)
			batch := "put " + sftpQuote(src) + " " + sftpQuote("/data/"+c.name) + "\n" +
				"get " + sftpQuote("/data/"+c.name) + " " + sftpQuote(back) + "\n"
			if out, errOut, err := d.sftpBatch(t, s, sshAuth{keyFile: key.private}, batch); err != nil {
				t.Fatalf("sftp: %v\n%s\n%s", err, out, errOut)
			}
			if got := fileSum(t, back); got != want {
				t.Fatal("downloaded file differs")
			}
			if got := fileSum(t, filepath.Join(host, c.name)); got != want {
				t.Fatal("stored file differs")
			}
			fi, err := os.Stat(filepath.Join(host, c.name))
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(interface{}); st == nil {
				t.Fatal("no stat")
			}
		})
	}
}

func TestSFTPListsExactlyTheMounts(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	a, _ := d.folder("ls-user", "alpha")
	b, _ := d.folder("ls-user", "beta")
	s := d.openSession("ls-user", []map[string]any{
		{"volume": "local", "vfid": a, "name": "alpha"},
		{"volume": "local", "vfid": b, "name": "beta.folder", "mode": "ro"},
	}, map[string]any{"ssh_public_keys": []string{key.public}})
	out, errOut, err := d.sftpBatch(t, s, sshAuth{keyFile: key.private}, "ls -1 /\ncd ..\nls -1\ncd /alpha/../..\npwd\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, errOut)
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "sftp>") || strings.HasPrefix(line, "Remote working directory") {
			continue
		}
		names = append(names, strings.TrimPrefix(line, "/"))
	}
	want := []string{"alpha", "beta.folder", "alpha", "beta.folder"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Fatalf("listing = %q, want %q\nfull output:\n%s", names, want, out)
	}
	if !strings.Contains(out, "Remote working directory: /\n") {
		t.Fatalf("cd above / did not stay at /:\n%s", out)
	}
}

func TestSFTPReadOnlyMountRefusesWrites(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	vfid, host := d.folder("ro-user", "ref")
	if err := os.WriteFile(filepath.Join(host, "keep.txt"), []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := d.openSession("ro-user", []map[string]any{{"volume": "local", "vfid": vfid, "name": "ref", "mode": "ro"}},
		map[string]any{"ssh_public_keys": []string{key.public}})
	src := filepath.Join(t.TempDir(), "x")
	writeRandomFile(t, src, 100)
	for _, cmd := range []string{
		"put " + src + " /ref/new.txt", "put " + src + " /ref/keep.txt", "rm /ref/keep.txt",
		"mkdir /ref/d", "rename /ref/keep.txt /ref/k2", "chmod 777 /ref/keep.txt", "ln -s x /ref/l",
	} {
		_, errOut, err := d.sftpBatch(t, s, sshAuth{keyFile: key.private}, cmd+"\n")
		if err == nil {
			t.Errorf("%q on a ro mount succeeded", cmd)
		}
		if !strings.Contains(strings.ToLower(errOut), "permission denied") {
			t.Errorf("%q: stderr %q does not say permission denied", cmd, errOut)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(host, "keep.txt")); string(b) != "original" {
		t.Fatalf("ro file changed: %q", b)
	}
	if ents, _ := os.ReadDir(host); len(ents) != 1 {
		t.Fatalf("ro folder now has %d entries", len(ents))
	}
}

func TestSFTPEscapesSeeNothingOfTheHost(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	vfid, host := d.folder("esc-user", "data")
	for name, target := range map[string]string{"passwd": "/etc/passwd", "up": "../..", "upup": "../../../../../../../../etc"} {
		if err := os.Symlink(target, filepath.Join(host, name)); err != nil {
			t.Fatal(err)
		}
	}
	s := d.openSession("esc-user", []map[string]any{{"volume": "local", "vfid": vfid, "name": "data"}},
		map[string]any{"ssh_public_keys": []string{key.public}})
	local := t.TempDir()
	for _, p := range []string{
		"/data/passwd", "/data/up/etc/passwd", "/data/upup/passwd", "/etc/passwd",
		"/proc/1/root/etc/passwd", "/proc/self/environ", "/../etc/passwd", "/data/../../etc/passwd",
		"/dev/.storage-agent-worker", "/tmp",
	} {
		dst := filepath.Join(local, "got")
		os.Remove(dst)
		_, _, err := d.sftpBatch(t, s, sshAuth{keyFile: key.private}, "get "+sftpQuote(p)+" "+dst+"\n")
		if err == nil {
			b, _ := os.ReadFile(dst)
			t.Errorf("get %s succeeded: %.60q", p, b)
		}
	}
	for _, dir := range []string{"/proc", "/proc/1/root", "/data/up", "/data/upup", "/data/up/", "/dev", "/etc"} {
		// cd follows links (ls alone would list the link itself).
		out, _, err := d.sftpBatch(t, s, sshAuth{keyFile: key.private}, "cd "+sftpQuote(dir)+"\nls -la\n")
		if err == nil {
			t.Errorf("cd %s succeeded:\n%s", dir, out)
		}
		if strings.Contains(out, "passwd") || strings.Contains(out, "bin") {
			t.Errorf("cd %s shows host entries:\n%s", dir, out)
		}
	}
}

// TestSFTPNegotiatesLargeRequests checks that stock sftp learns our limits
// (limits@openssh.com, answered by the worker's stream) and moves a file in
// 255 KiB requests, as it does with OpenSSH's sftp-server, intact.
func TestSFTPNegotiatesLargeRequests(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	vfid, host := d.folder("limits-user", "data")
	s := d.openSession("limits-user", []map[string]any{{"volume": "local", "vfid": vfid, "name": "data"}},
		map[string]any{"ssh_public_keys": []string{key.public}})
	local := t.TempDir()
	src, back := filepath.Join(local, "src"), filepath.Join(local, "back")
	want := writeRandomFile(t, src, 3<<20+12345)
	auth, env := authArgs(t, sshAuth{keyFile: key.private})
	args := append(append(append([]string{"-vvv"}, auth...), commonSSHOptions()...), "-P", d.sftpPort, "-b", "-", s.ID+"@127.0.0.1")
	_, errOut, err := runClient(t, time.Minute, env, "put "+src+" /data/f\nget /data/f "+back+"\n", "sftp", args...)
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "server upload/download buffer sizes 261120 / 261120") {
		t.Fatalf("client did not learn the server's limits:\n%s", errOut)
	}
	if fileSum(t, back) != want || fileSum(t, filepath.Join(host, "f")) != want {
		t.Fatal("file changed in transit")
	}
}
