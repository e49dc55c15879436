package main

import (
	"debug/elf"
	"debug/gosym"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The attacks of the "worker's inner wall" report, verbatim, against the
// real daemon with the stock clients: none may reach the worker or
// anything outside the session's folders.

// refusedVersion is the worker's answer to `rsync --version`; the attack
// below tried to patch it away.
const refusedVersion = "only `rsync --server ...`"

// plantLinks makes the links a hostile user would plant in their folder,
// pointing at the sandbox's own entries.
func plantLinks(t *testing.T, host string) {
	t.Helper()
	for name, target := range map[string]string{
		"rootl": "/", "procl": "/proc", "devl": "/dev", "tmpl": "/tmp", "p1r": "../proc/1",
		"worker": "/dev/.storage-agent-worker", "mem": "/proc/1/mem",
	} {
		if err := os.Symlink(target, filepath.Join(host, name)); err != nil {
			t.Fatal(err)
		}
		os.Lchown(filepath.Join(host, name), 1000, 1000)
	}
}

// TestRsyncCannotWriteTheWorkersMemory replays the attack that patched
// the worker: a sparse file whose only non-zero bytes sit at the address
// of checkRsyncArgs (the worker is this very binary, not
// position-independent), pushed with --inplace into /proc/1/mem through a
// link planted over sftp. Afterwards the worker still refuses
// `rsync --version`, and still serves.
func TestRsyncCannotWriteTheWorkersMemory(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "procmem-user", false)
	plantLinks(t, x.host)
	if _, errOut, err := d.sftpBatch(t, x.s, sshAuth{keyFile: x.key.private}, "symlink /proc/1 /data/p1\n"); err != nil {
		t.Fatalf("plant link over sftp: %v\n%s", err, errOut)
	}

	addr := funcAddr(t, "github.com/storage-agent/storage-agent/isolation/serve.checkRsyncArgs")
	// xor eax,eax; xor ebx,ebx; ret: return a nil error.
	codeload := filepath.Join(t.TempDir(), "codeload")
	f, err := os.Create(codeload)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0x31, 0xc0, 0x31, 0xdb, 0xc3}, int64(addr)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, dest := range []string{"/data/p1/mem", "/data/p1r/mem", "/data/mem", "/data/procl/1/mem"} {
		t.Run(strings.ReplaceAll(dest, "/", "_"), func(t *testing.T) {
			out, err := x.rsync(t, "-S", "--inplace", "--no-whole-file", codeload, x.remote(dest))
			if err == nil {
				// rsync may replace a link that is the destination itself
				// by a file: harmless, inside the folder.
				fi, lerr := os.Lstat(filepath.Join(x.host, strings.TrimPrefix(dest, "/data/")))
				if lerr != nil || !fi.Mode().IsRegular() {
					t.Fatalf("push into %s succeeded:\n%s", dest, out)
				}
			}
			o, e, err := x.exec(t, "", "rsync --version")
			if err == nil || !strings.Contains(o+e, refusedVersion) {
				t.Fatalf("rsync --version after the attack: %v\n%s%s", err, o, e)
			}
		})
	}
	// The worker still serves.
	if out, err := x.rsync(t, "-a", codeload, x.remote("/data/ok.bin")); err != nil {
		t.Fatalf("plain push after the attack: %v\n%s", err, out)
	}
}

// TestRsyncSeesOnlyTheSessionFolders: through planted links and
// path-valued options rsync reads and writes nothing of the sandbox's
// /, /proc, /dev or /tmp; the same ideas through scp, the checksum
// commands, sftp and webfs fail too.
func TestRsyncSeesOnlyTheSessionFolders(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "rsync-view-user", false)
	plantLinks(t, x.host)
	writeSeeded(t, filepath.Join(x.host, "seed"), 10, 3)
	os.Chown(filepath.Join(x.host, "seed"), 1000, 1000)
	before := describeTree(t, x.host)
	up := t.TempDir()
	writeSeeded(t, filepath.Join(up, "f"), 100, 4)

	secrets := []string{d.varDir, "storage-agent-worker\x00", "init_process_pid", "GOMAXPROCS", "rw,nosuid", "Uid:"}
	pulls := []struct {
		name string
		args []string
	}{
		{"worker binary via /dev link", []string{"-L", x.remote("/data/devl/.storage-agent-worker")}},
		{"worker binary via file link", []string{"-L", x.remote("/data/worker")}},
		{"proc tree via link", []string{"-rL", x.remote("/data/procl/1/")}},
		{"root via link", []string{"-a", x.remote("/data/rootl/")}},
		{"tmp via link", []string{"-a", x.remote("/data/tmpl/")}},
		{"files-from mountinfo", []string{"-r", "--files-from=:proc/self/mountinfo", x.remote("/")}},
		{"files-from environ", []string{"-r", "--files-from=:proc/1/environ", x.remote("/")}},
		{"files-from status", []string{"-r", "--files-from=:proc/1/status", x.remote("/")}},
		{"files-from cmdline", []string{"-r", "--files-from=:proc/cmdline", x.remote("/")}},
		{"files-from through a link", []string{"-r", "--files-from=:data/procl/self/mountinfo", x.remote("/data/")}},
	}
	for _, c := range pulls {
		t.Run("pull "+c.name, func(t *testing.T) {
			local := t.TempDir()
			out, err := x.rsync(t, append(c.args, local+"/")...)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Fatalf("output leaks %q:\n%s", s, out)
				}
			}
			if got := describeTree(t, local); len(got) != 0 {
				t.Fatalf("pulled %v (err %v):\n%s", got, err, out)
			}
		})
	}
	pushes := []struct {
		name string
		args []string
	}{
		{"into tmp via a kept dirlink", []string{"-rK", up + "/", x.remote("/data/tmpl/")}},
		{"into dev via a kept dirlink", []string{"-rK", up + "/", x.remote("/data/devl/")}},
		{"temp-dir through a link", []string{"-a", "--temp-dir=procl/1", up + "/f", x.remote("/data/g")}},
		{"partial-dir through a link", []string{"-a", "--partial-dir=tmpl", up + "/f", x.remote("/data/h")}},
		{"backup-dir through a link", []string{"-ab", "--backup-dir=tmpl", up + "/f", x.remote("/data/seed")}},
	}
	for _, c := range pushes {
		t.Run("push "+c.name, func(t *testing.T) {
			out, err := x.rsync(t, c.args...)
			if err == nil && !strings.Contains(c.name, "-dir") {
				t.Fatalf("push succeeded:\n%s", out)
			}
			for _, extra := range []string{"g", "h", "seed~"} {
				os.Remove(filepath.Join(x.host, extra)) // a legitimate result of the -dir cases
			}
		})
	}
	diffTrees(t, "folder", describeTree(t, x.host, "seed"), withoutSeed(before))
	// Nothing landed in the sandbox's own /tmp or /dev (seen from the host).
	root := filepath.Join("/proc", strconv.Itoa(workerPid(t, d, x.s.ID)), "root")
	if ents, err := os.ReadDir(filepath.Join(root, "tmp")); err != nil || len(ents) != 0 {
		t.Errorf("sandbox /tmp: %d entries (%v)", len(ents), err)
	}
	if _, err := os.Lstat(filepath.Join(root, "dev", "f")); err == nil {
		t.Error("a push landed in the sandbox's /dev")
	}

	t.Run("scp -O worker binary", func(t *testing.T) {
		local := t.TempDir()
		if out, err := x.scp(t, true, x.remote("/data/devl/.storage-agent-worker"), local+"/"); err == nil {
			t.Fatalf("scp -O fetched the worker binary:\n%s", out)
		}
	})
	for _, p := range []string{"/data/procl/1/environ", "/data/p1r/environ", "/data/mem", "/data/procl/self/mountinfo"} {
		t.Run("sha256sum "+p, func(t *testing.T) {
			o, e, err := x.exec(t, "", "sha256sum "+p)
			if err == nil {
				t.Fatalf("sha256sum %s: %s%s", p, o, e)
			}
		})
	}
	t.Run("sftp get through links", func(t *testing.T) {
		local := t.TempDir()
		out, errOut, _ := d.sftpBatch(t, x.s, sshAuth{keyFile: x.key.private},
			"-get /data/procl/self/mountinfo "+local+"/a\n-get /data/worker "+local+"/b\n-get /data/tmpl/x "+local+"/c\n")
		if got := describeTree(t, local); len(got) != 0 {
			t.Fatalf("sftp fetched %v\n%s%s", got, out, errOut)
		}
	})
	t.Run("webfs raw through links", func(t *testing.T) {
		w := d.webLogin(t, x.s)
		for _, p := range []string{"/data/procl/self/mountinfo", "/data/worker", "/data/mem", "/data/rootl/proc/1/environ"} {
			if code, body := w.req("GET", "/api/raw"+p, nil, nil); code == 200 {
				t.Fatalf("GET /api/raw%s: 200 %q", p, truncate(body))
			}
		}
	})
}

// funcAddr finds a function's address in this binary, which is also the
// worker's (static, not position-independent), through the Go line table:
// test binaries carry no ELF symbol table.
func funcAddr(t *testing.T, name string) uint64 {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := elf.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	pcln, text := bin.Section(".gopclntab"), bin.Section(".text")
	if pcln == nil || text == nil {
		t.Fatal("no .gopclntab or .text in the test binary")
	}
	data, err := pcln.Data()
	if err != nil {
		t.Fatal(err)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		t.Fatal(err)
	}
	fn := table.LookupFunc(name)
	if fn == nil {
		t.Fatalf("%s not found in the worker binary", name)
	}
	return fn.Entry
}

func withoutSeed(m map[string]string) map[string]string {
	delete(m, "seed")
	return m
}

// TestMountNamesCannotSmuggleOptions: a mount named like an rsync option
// (the report's --daemon) or anything but a plain name is refused with 400
// naming the field.
func TestMountNamesCannotSmuggleOptions(t *testing.T) {
	d := shared(t)
	vfid, _ := d.folder("mount-name-user", "data")
	for _, name := range []string{"--daemon", "-e", " ", "-", "a b", "../x", "proc", "etc", ".hidden", "x\n", strings.Repeat("n", 65)} {
		code, _, body := d.api("POST", "/sessions", map[string]any{
			"user": "mount-name-user", "mounts": []map[string]any{mount(vfid, name)},
		}, nil)
		if code != 400 || !strings.Contains(string(body), "mounts[0].name") {
			t.Errorf("mount name %q: %d %s", name, code, body)
		}
	}
	// And the worker's own filter never runs rsync in daemon mode.
	x, _ := newXfer(t, d, "mount-name-user2", false)
	o, e, err := x.exec(t, "", "rsync --server --sender . --daemon")
	if err == nil || strings.Contains(o+e, "rsyncd") {
		t.Fatalf("rsync --server --sender . --daemon: %v\n%s%s", err, o, e)
	}
}
