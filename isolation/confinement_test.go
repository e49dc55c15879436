package isolation

import (
	"context"
	"errors"
	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestEscapesSeeNothingOfTheHost plants links on the host side of a mount
// and asks for paths a hostile client would try; none may reach the host.
func TestEscapesSeeNothingOfTheHost(t *testing.T) {
	m := newTestManager(t)
	vol := newVolumeDir(t, map[string]string{"ok.txt": "fine"})
	for name, target := range map[string]string{
		"passwd": "/etc/passwd", "up": "../..", "upfile": "../../../../../../etc/hostname",
		"proc": "/proc/1/root/etc/passwd", "abs-inside": "/data/ok.txt",
	} {
		if err := os.Symlink(target, filepath.Join(vol, name)); err != nil {
			t.Fatal(err)
		}
	}
	w, err := m.Start(context.Background(), testSpec("esc", Mount{Name: "data", HostPath: vol}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	c := sftpClient(t, w)

	for _, p := range []string{
		"/data/passwd", "/data/up/etc/passwd", "/data/upfile", "/data/proc",
		"/data/abs-inside", // absolute links are not followed, even inside
		"/etc/passwd", "/proc/1/root/etc/passwd", "/proc/self/environ", "/dev/null",
		"/tmp", "/data/../../etc/passwd", "/../../etc/passwd", "/dev/.storage-agent-worker",
	} {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			if f, err := c.Open(p); err == nil {
				b := make([]byte, 64)
				n, _ := f.Read(b)
				f.Close()
				t.Fatalf("open %s succeeded, read %q", p, b[:n])
			}
		})
	}
	for _, dir := range []string{"..", "/..", "/data/..", "/data/../.."} {
		real, err := c.RealPath(dir)
		if err != nil {
			t.Fatal(err)
		}
		ents, err := c.ReadDir(real)
		if err != nil {
			t.Fatalf("readdir %s (%s): %v", dir, real, err)
		}
		if real == "/" && (len(ents) != 1 || ents[0].Name() != "data") {
			t.Fatalf("cd %s shows %d entries", dir, len(ents))
		}
	}
	// Links are listed as links, not followed.
	fi, err := c.Lstat("/data/passwd")
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("lstat link: %v %v", fi, err)
	}
	// Creating a link out and writing through it must not touch the host.
	if err := c.Symlink("/etc/hostname", "/data/newlink"); err != nil {
		t.Fatal(err)
	}
	if f, err := c.OpenFile("/data/newlink", os.O_WRONLY|os.O_TRUNC); err == nil {
		f.Write([]byte("pwned"))
		f.Close()
		t.Fatal("write through a link out succeeded")
	}
	if b, _ := os.ReadFile("/etc/hostname"); strings.Contains(string(b), "pwned") {
		t.Fatal("host file changed")
	}
	// The session root is not writable.
	if _, err := c.Create("/newfile"); err == nil {
		t.Fatal("created a file in the session root")
	}
	if err := c.Mkdir("/newdir"); err == nil {
		t.Fatal("made a dir in the session root")
	}
	if err := c.RemoveDirectory("/data"); err == nil {
		t.Fatal("removed a mount")
	}
}

func TestReadOnlyMountRefusesWrites(t *testing.T) {
	m := newTestManager(t)
	vol := newVolumeDir(t, map[string]string{"keep.txt": "original"})
	w, err := m.Start(context.Background(), testSpec("ro", Mount{Name: "ref", HostPath: vol, ReadOnly: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	c := sftpClient(t, w)
	for name, op := range map[string]func() error{
		"create":    func() error { _, err := c.Create("/ref/new.txt"); return err },
		"overwrite": func() error { _, err := c.OpenFile("/ref/keep.txt", os.O_WRONLY|os.O_TRUNC); return err },
		"remove":    func() error { return c.Remove("/ref/keep.txt") },
		"mkdir":     func() error { return c.Mkdir("/ref/d") },
		"rename":    func() error { return c.Rename("/ref/keep.txt", "/ref/k2") },
		"chmod":     func() error { return c.Chmod("/ref/keep.txt", 0o777) },
		"symlink":   func() error { return c.Symlink("x", "/ref/l") },
	} {
		if err := op(); err == nil || !errors.Is(err, os.ErrPermission) {
			t.Errorf("%s on ro mount: err = %v, want permission denied", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(vol, "keep.txt")); string(b) != "original" {
		t.Fatalf("ro file changed: %q", b)
	}
	if ents, _ := os.ReadDir(vol); len(ents) != 1 {
		t.Fatalf("ro volume has %d entries", len(ents))
	}
}

// TestCgroupLimitsContainAWorker runs a memory hog and a fork bomb inside
// one worker: its cgroup stops them while another worker keeps serving.
func TestCgroupLimitsContainAWorker(t *testing.T) {
	m := newTestManager(t)
	victim, err := m.Start(context.Background(), testSpec("victim", Mount{Name: "data", HostPath: newVolumeDir(t, nil)}))
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Stop()
	bystander, err := m.Start(context.Background(), testSpec("bystander", Mount{Name: "data", HostPath: newVolumeDir(t, map[string]string{"f": "still here"})}))
	if err != nil {
		t.Fatal(err)
	}
	defer bystander.Stop()

	st := runInWorker(t, victim, sandboxtest.MemHog)
	if ws, ok := st.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("memory hog ended with %v, want SIGKILL from the OOM killer", st)
	}
	st = runInWorker(t, victim, sandboxtest.ForkBomb)
	if st.ExitCode() != sandboxtest.ForkBombRefused {
		t.Fatalf("fork bomb exit %d, want 3 (the pids limit refused forks)", st.ExitCode())
	}
	c := sftpClient(t, bystander)
	f, err := c.Open("/data/f")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32)
	n, _ := f.Read(b)
	if string(b[:n]) != "still here" {
		t.Fatalf("bystander read %q", b[:n])
	}
}

// TestRecoverDestroysLeftovers simulates a daemon that died without
// cleaning up: a new Manager on the same state dir removes everything.
func TestRecoverDestroysLeftovers(t *testing.T) {
	state := t.TempDir()
	m1, err := New(context.Background(), Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	w, err := m1.Start(context.Background(), testSpec("orphan", Mount{Name: "data", HostPath: newVolumeDir(t, nil)}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.container.State()
	if err != nil {
		t.Fatal(err)
	}
	pid := st.InitProcessPid
	cgroupDirs := st.CgroupPaths

	m2, err := New(context.Background(), Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	<-w.Done()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("worker pid %d still alive after recovery", pid)
	}
	for _, dir := range cgroupDirs {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("cgroup %s left behind", dir)
		}
	}
	for _, sub := range []string{"containers", "roots"} {
		if ents, _ := os.ReadDir(filepath.Join(state, sub)); len(ents) != 0 {
			t.Errorf("%s has %d leftovers", sub, len(ents))
		}
	}
}
