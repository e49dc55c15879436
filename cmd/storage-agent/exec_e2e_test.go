package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The exec commands' hostile and odd cases: crafted scp streams, rsync
// argument attacks, checksum commands, refused commands, and the reaping
// of killed rsyncs. The helpers (xfer, makeTree...) are in
// scp_rsync_e2e_test.go.

// TestLegacySCPCraftedStreams feeds `scp -t` streams no honest client
// sends; each is refused and leaves nothing behind, inside or outside.
func TestLegacySCPCraftedStreams(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "crafted-scp-user", false)
	if err := os.Mkdir(filepath.Join(x.host, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(filepath.Join(x.host, "in"), 1000, 1000)
	outsideBefore := describeTree(t, filepath.Dir(x.host))
	cases := []struct {
		name, cmd, stdin, want string
	}{
		{"dot-dot name", "scp -t /data/in", "C0644 5 ../x\nhello\x00", "unexpected filename"},
		{"absolute name", "scp -t /data/in", "C0644 5 /etc/x\nhello\x00", "unexpected filename"},
		{"dot name", "scp -t /data/in", "C0644 5 .\nhello\x00", "unexpected filename"},
		{"dot-dot dir", "scp -r -t /data/in", "D0755 0 ..\nC0644 5 x\nhello\x00E\n", "unexpected filename"},
		{"dir with slash", "scp -r -t /data/in", "D0755 0 a/b\nE\n", "unexpected filename"},
		{"dir without -r", "scp -t /data/in", "D0755 0 d\nE\n", "without -r"},
		{"huge size", "scp -t /data/in", "C0644 1099511627776000 huge\nabc", "connection lost"},
		{"truncated data", "scp -t /data/in", "C0644 100 trunc\n0123456789", "connection lost"},
		{"negative size", "scp -t /data/in", "C0644 -5 neg\nhello\x00", "protocol error"},
		{"overflowing size", "scp -t /data/in", "C0644 99999999999999999999999 big\nx\x00", "protocol error"},
		{"bad mode", "scp -t /data/in", "C06x4 5 m\nhello\x00", "protocol error"},
		{"bad times", "scp -p -t /data/in", "Tx 0 y 0\nC0644 5 t\nhello\x00", "protocol error"},
		{"target outside", "scp -t /etc/sa-e2e-x", "C0644 5 x\nhello\x00", "No such file"},
		{"target climbing", "scp -t /data/../../etc", "C0644 5 sa-e2e-x\nhello\x00", "No such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := x.exec(t, c.stdin, c.cmd)
			if err == nil || !strings.Contains(out+errOut, c.want) {
				t.Fatalf("want failure mentioning %q, got %v:\n%q\n%q", c.want, err, out, errOut)
			}
			diffTrees(t, "folder", describeTree(t, x.host), map[string]string{"in": "dir"})
			diffTrees(t, "around the folder", describeTree(t, filepath.Dir(x.host)), outsideBefore)
			if _, err := os.Lstat("/etc/sa-e2e-x"); err == nil {
				t.Fatal("wrote into the host's /etc")
			}
		})
	}
	t.Run("honest stream", func(t *testing.T) {
		if out, errOut, err := x.exec(t, "C0640 5 ok\nhello\x00", "scp -t /data/in"); err != nil {
			t.Fatalf("%v: %q %q", err, out, errOut)
		}
		if b, err := os.ReadFile(filepath.Join(x.host, "in", "ok")); err != nil || string(b) != "hello" {
			t.Fatalf("ok = %q, %v", b, err)
		}
		os.Remove(filepath.Join(x.host, "in", "ok"))
	})
}

// TestRsyncArgumentAttacks sends server command lines that would read or
// write outside the session or turn rsync into something else.
func TestRsyncArgumentAttacks(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "rsync-attack-user", false)
	writeSeeded(t, filepath.Join(x.host, "seed"), 10, 3)
	os.Chown(filepath.Join(x.host, "seed"), 1000, 1000)
	before := describeTree(t, x.host)
	local := t.TempDir()
	file := filepath.Join(local, "f")
	writeSeeded(t, file, 10, 4)
	const srv = "rsync --server -logDtpre.iLsfxCIvu "
	const snd = "rsync --server --sender -logDtpre.iLsfxCIvu "
	cases := []struct {
		name   string
		ssh    string   // a raw exec command line, or
		client []string // arguments of the real rsync client
	}{
		{"path outside", snd + ". /etc/passwd", nil},
		{"path into the sandbox", snd + ". /proc/self/environ", nil},
		{"path climbing", snd + ". /data/../etc/passwd", nil},
		{"session root", snd + ". /", nil},
		{"files-from outside", snd + "--files-from /etc/passwd . /data/", nil},
		{"daemon", "rsync --daemon --no-detach --port=8873", nil},
		{"rsh", "rsync --server -e 'sh -c id' . /data/x", nil},
		{"rsh long", srv + "--rsh=/bin/sh . /data/x", nil},
		{"log-file", srv + "--log-file=/data/log . /data/x", nil},
		{"config", srv + "--config=/etc/rsyncd.conf . /data/x", nil},
		{"write-devices", srv + "--write-devices . /data/x", nil},
		{"shell syntax", srv + ". /data/x; id", nil},
		{"client: path outside", "", []string{"-a", x.remote("/etc/passwd"), local + "/"}},
		{"client: files-from", "", []string{"-a", "--files-from=:/etc/passwd", x.remote("/data/"), local + "/"}},
		{"client: temp-dir /", "", []string{"-a", "--temp-dir=/", file, x.remote("/data/t")}},
		{"client: temp-dir /tmp", "", []string{"-a", "--temp-dir=/tmp", file, x.remote("/data/t")}},
		{"client: link-dest", "", []string{"-a", "--link-dest=/etc", file, x.remote("/data/t")}},
		{"client: log-file", "", []string{"-a", "-M--log-file=/data/log", file, x.remote("/data/t")}},
		{"client: rsync-path daemon", "", []string{"-a", "--rsync-path=rsync --daemon", file, x.remote("/data/t")}},
		{"client: secluded args", "", []string{"-a", "-s", file, x.remote("/data/t")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out string
			var err error
			if c.client != nil {
				out, err = x.rsync(t, c.client...)
			} else {
				var o, e string
				o, e, err = x.exec(t, "", c.ssh)
				out = o + e
			}
			if err == nil || strings.Contains(out, "root:") {
				t.Fatalf("not refused: %v\n%s", err, out)
			}
			diffTrees(t, "folder", describeTree(t, x.host), before)
			if _, err := os.Stat(filepath.Join(local, "passwd")); err == nil {
				t.Fatal("fetched /etc/passwd")
			}
		})
	}
}

// TestChecksumCommands compares the worker's checksum commands with the
// host's coreutils on the same files, names, errors and stdin.
func TestChecksumCommands(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "checksum-user", false)
	for name, size := range map[string]int64{"a.txt": 100, "b c.bin": 1 << 20, "유니코드.dat": 0} {
		writeSeeded(t, filepath.Join(x.host, name), size, uint64(size))
	}
	os.Mkdir(filepath.Join(x.host, "sub"), 0o755)
	// The same relative names locally: <tmp>/data -> the folder.
	cwd := t.TempDir()
	if err := os.Symlink(x.host, filepath.Join(cwd, "data")); err != nil {
		t.Fatal(err)
	}
	args := `data/a.txt 'data/b c.bin' data/유니코드.dat data/nope data/sub`
	for _, cmd := range []string{"md5sum", "sha1sum", "sha256sum", "sha512sum"} {
		t.Run(cmd, func(t *testing.T) {
			wantOut, wantErr, wantCode := local(t, cwd, "", cmd+" "+args)
			out, errOut, err := x.exec(t, "", cmd+" "+args)
			if out != wantOut || errOut != wantErr || exitCode(err) != wantCode {
				t.Fatalf("got %q %q exit %d\nwant %q %q exit %d", out, errOut, exitCode(err), wantOut, wantErr, wantCode)
			}
		})
	}
	t.Run("stdin", func(t *testing.T) {
		wantOut, _, _ := local(t, cwd, "hello\n", "sha256sum -- -")
		if out, errOut, err := x.exec(t, "hello\n", "sha256sum"); err != nil || out != wantOut {
			t.Fatalf("got %q %q %v, want %q", out, errOut, err, wantOut)
		}
	})
}

// local runs a command line with the host's shell, for reference output.
func local(t *testing.T, dir, stdin, line string) (string, string, int) {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), exitCode(err)
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestExecRefusesOtherCommands: anything but the file-transfer commands
// gets one line on stderr and a non-zero exit.
func TestExecRefusesOtherCommands(t *testing.T) {
	d := shared(t)
	x, _ := newXfer(t, d, "exec-refuse-user", false)
	for _, line := range []string{
		"ls /data", "cat /etc/passwd", "sh -c id", "/bin/sh", "bash", "rsync", "scp", "scp -x /data",
		"scp -t /data/x; id", "echo $HOME", "md5sum /data/x | nc host 1", "md5sum --check list",
	} {
		t.Run(line, func(t *testing.T) {
			out, errOut, err := x.exec(t, "", line)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if err == nil || len(lines) != 1 || lines[0] == "" || out != "" {
				t.Fatalf("want one line and failure, got %v: %q %q", err, out, errOut)
			}
		})
	}
}

// TestRsyncLeavesNoZombies kills rsync clients mid-transfer (so the server
// side rsync processes end in any order, orphans included) and checks that
// the worker, PID 1 of its sandbox, reaps every one of them.
func TestRsyncLeavesNoZombies(t *testing.T) {
	d := startDaemon(t) // its own daemon: only this session's worker
	x, _ := newXfer(t, d, "zombie-user", false)
	local := t.TempDir()
	writeSeeded(t, filepath.Join(local, "f"), 64<<20, 5)
	writeSeeded(t, filepath.Join(x.host, "g"), 64<<20, 6)
	os.Chown(filepath.Join(x.host, "g"), 1000, 1000)
	rsh := "ssh " + strings.Join(x.sshOpts(t), " ") + " -p " + d.sftpPort
	for _, args := range [][]string{
		{"-a", "--bwlimit=2000", filepath.Join(local, "f"), x.remote("/data/f")},
		{"-a", "--bwlimit=2000", x.remote("/data/g"), filepath.Join(local, "g")},
	} {
		cmd := exec.Command(requireTool(t, "rsync"), append([]string{"-e", rsh}, args...)...)
		// Its own process group, so that the kill takes its ssh along, as
		// a client machine that goes away would.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
	pids := workerPids(t, filepath.Join(d.varDir, "state"))
	if len(pids) != 1 {
		t.Fatalf("found %d workers, want 1", len(pids))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		kids := children(pids[0])
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker still has children (zombies or stuck rsyncs): %v", kids)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// children lists a process's children with their state letters.
func children(pid int) []string {
	var out []string
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			cmdline, _ := os.ReadFile("/proc/" + c + "/cmdline")
			wchan, _ := os.ReadFile("/proc/" + c + "/wchan")
			st, _ := os.ReadFile("/proc/" + c + "/stat")
			state := strings.Fields(string(st) + " ? ? ?")[2]
			out = append(out, fmt.Sprintf("%s %s %q in %s", c, state, strings.ReplaceAll(string(cmdline), "\x00", " "), wchan))
		}
	}
	return out
}
