package isolation

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/pkg/sftp"
	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
)

// TestMain lets the test binary serve as libcontainer's init and as the
// worker, exactly as the daemon binary does.
func TestMain(m *testing.M) {
	RunChildRole()
	sandboxtest.RunRole(workerPath)
	os.Exit(m.Run())
}

// newTestManager starts a Manager on a fresh state dir. Sandboxing needs
// root; CI runs as root, so a non-root run fails loudly instead of skipping.
func newTestManager(t *testing.T) *Manager {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("isolation tests need root (CI runs as root): run `sudo make test`")
	}
	m, err := New(context.Background(), Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// newVolumeDir makes a host directory owned by the worker's uid.
func newVolumeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vol")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sandboxtest.WriteFiles(t, dir, files, testUID)
	return dir
}

const testUID = 1000

func testSpec(id string, mounts ...Mount) Spec {
	return Spec{ID: id, Mounts: mounts, UID: testUID, GID: testUID,
		Limits: Limits{CPU: 1, Memory: 256 << 20, Pids: 32}}
}

// sftpClient opens an SFTP stream into w and returns a pkg/sftp client on it.
func sftpClient(t *testing.T, w *Worker) *sftp.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := w.OpenSFTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClientPipe(conn, conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// runInWorker runs the test binary with role args inside w's sandbox, as
// the worker's uid, and returns how it ended.
func runInWorker(t *testing.T, w *Worker, args ...string) *os.ProcessState {
	t.Helper()
	p := &libcontainer.Process{
		Args: append([]string{workerPath}, args...),
		Env:  []string{"PATH=/nonexistent"},
		UID:  testUID, GID: testUID, Cwd: "/",
		Stderr: os.Stderr,
	}
	if err := w.container.Run(p); err != nil {
		t.Fatalf("run %v in worker: %v", args, err)
	}
	st, _ := p.Wait()
	return st
}
