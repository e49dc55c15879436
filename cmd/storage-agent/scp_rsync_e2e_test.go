package main

import (
	"encoding/hex"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// xfer is one session reached by the real scp, rsync and ssh clients with
// key login.
type xfer struct {
	d    *daemon
	s    sessionInfo
	key  clientKey
	host string // the folder "data" on the host
}

// newXfer opens a session with a rw folder "data" (and, if ro is set, a
// read-only folder "ro" holding one file).
func newXfer(t *testing.T, d *daemon, user string, ro bool) (*xfer, string) {
	t.Helper()
	key := testKey(t)
	vfid, host := d.folder(user, "data")
	mounts := []map[string]any{mount(vfid, "data")}
	var roHost string
	if ro {
		rvfid, rh := d.folder(user, "ro")
		roHost = rh
		if err := os.WriteFile(filepath.Join(rh, "keep.txt"), []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		m := mount(rvfid, "ro")
		m["mode"] = "ro"
		mounts = append(mounts, m)
	}
	s := d.openSession(user, mounts, map[string]any{"ssh_public_keys": []string{key.public}})
	return &xfer{d: d, s: s, key: key, host: host}, roHost
}

func (x *xfer) remote(p string) string { return x.s.ID + "@127.0.0.1:" + p }

func (x *xfer) sshOpts(t *testing.T) []string {
	auth, _ := authArgs(t, sshAuth{keyFile: x.key.private})
	return append(auth, commonSSHOptions()...)
}

// scp runs the real scp; legacy adds -O (the scp protocol, not sftp).
func (x *xfer) scp(t *testing.T, legacy bool, args ...string) (string, error) {
	t.Helper()
	full := append(x.sshOpts(t), "-P", x.d.sftpPort)
	if legacy {
		full = append(full, "-O")
	}
	out, errOut, err := runClient(t, 5*time.Minute, nil, "", "scp", append(full, args...)...)
	return out + errOut, err
}

// rsync runs the real rsync over the real ssh.
func (x *xfer) rsync(t *testing.T, args ...string) (string, error) {
	t.Helper()
	rsh := "ssh " + strings.Join(x.sshOpts(t), " ") + " -p " + x.d.sftpPort
	out, errOut, err := runClient(t, 5*time.Minute, nil, "", "rsync", append([]string{"-e", rsh}, args...)...)
	return out + errOut, err
}

// exec runs one remote command line through the real ssh with stdin.
func (x *xfer) exec(t *testing.T, stdin, command string) (string, string, error) {
	t.Helper()
	args := append(x.sshOpts(t), "-p", x.d.sftpPort, "-T", x.s.ID+"@127.0.0.1", command)
	return runClient(t, time.Minute, nil, stdin, "ssh", args...)
}

// makeTree writes the tree every transfer test moves: nesting, empty files
// and directories, unicode and spaces, and symlinks (relative, to a
// directory, dangling and pointing out of the folder).
func makeTree(t *testing.T, root string) {
	t.Helper()
	files := map[string]int{
		"a.txt": 100, "empty": 0, "dir with space/b c.bin": 70_000,
		"유니코드/ファイル é.dat": 3000, "deep/1/2/3/4/leaf": 5, "deep/1/empty file": 0,
	}
	for name, size := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeSeeded(t, p, int64(size), uint64(size))
	}
	for _, d := range []string{"empty dir", "deep/1/2/empty"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"link-to-a": "a.txt", "deep/link-up": "../dir with space", "dangling": "no/such", "outside": "/etc/passwd",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
}

// writeSeeded writes size pseudo-random bytes (fast, reproducible).
func writeSeeded(t *testing.T, path string, size int64, seed uint64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 7})
	if _, err := io.CopyN(f, src, size); err != nil {
		t.Fatal(err)
	}
}

// describeTree maps each path below root to "dir", "file <sha256>" or
// "link <target>"; with follow, links are described by what they lead to.
func describeTree(t *testing.T, root string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." || slices.Contains(skip, rel) {
			return nil
		}
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case e.IsDir():
			out[rel] = "dir"
		default:
			out[rel] = "file " + hex.EncodeToString(sumOf(t, p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sumOf(t *testing.T, p string) []byte {
	s := fileSum(t, p)
	return s[:]
}

func diffTrees(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q is %q, want %q", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %q (%s)", what, k, v)
		}
	}
}

// TestSCPTrees copies a tree up and back with scp in both protocols.
// scp follows symlinks (both OpenSSH's and ours), so links arrive as
// files; on the way back a link on the server that leads out of its
// folder is refused, never followed.
func TestSCPTrees(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "scp-tree-user", false)
	src := t.TempDir()
	makeTree(t, src)
	// What scp makes of the tree: links followed, broken ones skipped.
	want := describeTree(t, src, "link-to-a", "deep/link-up", "dangling", "outside")
	want["link-to-a"] = want["a.txt"]
	want["deep/link-up"] = "dir"
	want["deep/link-up/b c.bin"] = want["dir with space/b c.bin"]
	want["outside"] = "file " + hex.EncodeToString(sumOf(t, "/etc/passwd"))
	for _, legacy := range []bool{false, true} {
		name := map[bool]string{false: "sftp protocol", true: "legacy -O"}[legacy]
		dir := map[bool]string{false: "sftp", true: "legacy"}[legacy]
		t.Run(name, func(t *testing.T) {
			want := maps.Clone(want)
			if !legacy {
				// OpenSSH's sftp-based scp skips links to directories.
				delete(want, "deep/link-up")
				delete(want, "deep/link-up/b c.bin")
			}
			out, err := x.scp(t, legacy, "-r", "-p", src, x.remote("/data/"+dir))
			if err == nil || !strings.Contains(out, "dangling") {
				t.Fatalf("upload: want only the dangling link to fail: %v\n%s", err, out)
			}
			diffTrees(t, "uploaded", describeTree(t, filepath.Join(x.host, dir)), want)
			// A link on the server that points out of the folder.
			if err := os.Symlink("/etc/passwd", filepath.Join(x.host, dir, "server-outside")); err != nil {
				t.Fatal(err)
			}
			back := filepath.Join(t.TempDir(), "back")
			out, err = x.scp(t, legacy, "-r", "-p", x.remote("/data/"+dir), back)
			if err == nil || !strings.Contains(out, "server-outside") {
				t.Fatalf("download: want the outside link refused: %v\n%s", err, out)
			}
			diffTrees(t, "downloaded", describeTree(t, back), want)
			fi, err := os.Stat(filepath.Join(back, "dir with space", "b c.bin"))
			if err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("-p lost the mode: %v %v", fi, err)
			}
		})
	}
}

// TestBigFileAndDeltas moves 1 GiB with scp -O both ways, then changes
// 1 MiB in the middle and checks that rsync moves about that much, both ways.
func TestBigFileAndDeltas(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "big-user", false)
	local := t.TempDir()
	big := filepath.Join(local, "big.bin")
	writeSeeded(t, big, 1<<30, 42)
	want := fileSum(t, big)
	if out, err := x.scp(t, true, big, x.remote("/data/big.bin")); err != nil {
		t.Fatalf("scp -O put: %v\n%s", err, out)
	}
	if fileSum(t, filepath.Join(x.host, "big.bin")) != want {
		t.Fatal("uploaded file differs")
	}
	back := filepath.Join(local, "back.bin")
	if out, err := x.scp(t, true, x.remote("/data/big.bin"), back); err != nil {
		t.Fatalf("scp -O get: %v\n%s", err, out)
	}
	if fileSum(t, back) != want {
		t.Fatal("downloaded file differs")
	}
	os.Remove(back)

	literal := regexp.MustCompile(`Literal data: ([\d,]+) bytes`)
	moved := func(out string) int64 {
		m := literal.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no Literal data in --stats:\n%s", out)
		}
		n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
		return n
	}
	for _, dir := range []string{"push", "pull"} {
		t.Run(dir, func(t *testing.T) {
			changed := big
			if dir == "pull" {
				changed = filepath.Join(x.host, "big.bin")
			}
			scribble(t, changed, 1<<29, 1<<20)
			args := []string{"-a", "--stats", big, x.remote("/data/big.bin")}
			if dir == "pull" {
				args = []string{"-a", "--stats", x.remote("/data/big.bin"), big}
			}
			out, err := x.rsync(t, args...)
			if err != nil {
				t.Fatalf("rsync: %v\n%s", err, out)
			}
			if n := moved(out); n < 1<<20 || n > 4<<20 {
				t.Errorf("moved %d literal bytes for a 1 MiB change", n)
			}
			if fileSum(t, big) != fileSum(t, filepath.Join(x.host, "big.bin")) {
				t.Fatal("copies differ after the resync")
			}
		})
	}
}

// scribble overwrites n bytes at off with fresh random bytes, keeping mtime
// moving so rsync's quick check notices.
func scribble(t *testing.T, path string, off, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(time.Now().UnixNano())}).Read(buf)
	if _, err := f.WriteAt(buf, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	later := time.Now().Add(time.Minute)
	os.Chtimes(path, later, later)
}

// TestRsyncTrees pushes and pulls the tree with each option a stock client
// uses; links stay links (verbatim, never followed), hard links stay linked.
func TestRsyncTrees(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "rsync-tree-user", false)
	src := t.TempDir()
	makeTree(t, src)
	if err := os.Link(filepath.Join(src, "a.txt"), filepath.Join(src, "deep", "hard")); err != nil {
		t.Fatal(err)
	}
	want := describeTree(t, src)
	for _, flags := range [][]string{
		{"-a"}, {"-az"}, {"-aP"}, {"-a", "--partial"}, {"-a", "--inplace"}, {"-ac"}, {"-aH"}, {"-a", "--bwlimit=100000"},
	} {
		name := strings.Join(flags, " ")
		t.Run(name, func(t *testing.T) {
			dir := strings.NewReplacer(" ", "", "=", "").Replace(name)
			if out, err := x.rsync(t, append(flags, src+"/", x.remote("/data/"+dir))...); err != nil {
				t.Fatalf("push: %v\n%s", err, out)
			}
			diffTrees(t, "pushed", describeTree(t, filepath.Join(x.host, dir)), want)
			back := filepath.Join(t.TempDir(), "back")
			if out, err := x.rsync(t, append(flags, x.remote("/data/"+dir+"/"), back)...); err != nil {
				t.Fatalf("pull: %v\n%s", err, out)
			}
			diffTrees(t, "pulled", describeTree(t, back), want)
			if slices.Contains(flags, "-aH") && !sameFile(t, filepath.Join(x.host, dir, "a.txt"), filepath.Join(x.host, dir, "deep", "hard")) {
				t.Error("-H did not keep the hard link")
			}
		})
	}
	t.Run("no-op resync", func(t *testing.T) {
		out, err := x.rsync(t, "-a", "--stats", src+"/", x.remote("/data/-a"))
		if err != nil || !strings.Contains(out, "Number of regular files transferred: 0") {
			t.Fatalf("resync transferred files: %v\n%s", err, out)
		}
	})
	t.Run("--delete mirrors", func(t *testing.T) {
		os.Remove(filepath.Join(src, "a.txt"))
		os.RemoveAll(filepath.Join(src, "deep"))
		writeSeeded(t, filepath.Join(src, "new"), 10, 1)
		if out, err := x.rsync(t, "-a", "--delete", src+"/", x.remote("/data/-a")); err != nil {
			t.Fatalf("push: %v\n%s", err, out)
		}
		diffTrees(t, "mirrored up", describeTree(t, filepath.Join(x.host, "-a")), describeTree(t, src))
		mirror := t.TempDir()
		writeSeeded(t, filepath.Join(mirror, "stale"), 10, 2)
		if out, err := x.rsync(t, "-a", "--delete", x.remote("/data/-a/"), mirror); err != nil {
			t.Fatalf("pull: %v\n%s", err, out)
		}
		diffTrees(t, "mirrored down", describeTree(t, mirror), describeTree(t, src))
	})
}

func sameFile(t *testing.T, a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// TestReadOnlyFolderRefusesWrites tries every way to write into an ro
// folder: each fails with a clear error and the folder stays as it was.
func TestReadOnlyFolderRefusesWrites(t *testing.T) {
	d := shared(t)
	x, roHost := newXfer(t, d, "ro-xfer-user", true)
	src := t.TempDir()
	makeTree(t, src)
	before := describeTree(t, roHost)
	for name, run := range map[string]func() (string, error){
		// The sftp protocol has only "permission denied" for this.
		"scp":         func() (string, error) { return x.scp(t, false, filepath.Join(src, "a.txt"), x.remote("/ro/new.txt")) },
		"scp -O":      func() (string, error) { return x.scp(t, true, "-r", src, x.remote("/ro/")) },
		"scp -O file": func() (string, error) { return x.scp(t, true, filepath.Join(src, "a.txt"), x.remote("/ro/keep.txt")) },
		"rsync":       func() (string, error) { return x.rsync(t, "-a", src+"/", x.remote("/ro/")) },
		"rsync --delete": func() (string, error) {
			return x.rsync(t, "-a", "--delete", filepath.Join(src, "empty dir")+"/", x.remote("/ro/"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := run()
			low := strings.ToLower(out)
			if err == nil || !(strings.Contains(low, "read-only") || name == "scp" && strings.Contains(low, "permission denied")) {
				t.Fatalf("want a read-only error, got %v:\n%s", err, out)
			}
			diffTrees(t, "ro folder", describeTree(t, roHost), before)
		})
	}
}
