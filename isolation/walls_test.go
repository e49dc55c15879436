package isolation

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opencontainers/runc/libcontainer"

	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
)

// TestKernelSurfaceIsClosed runs the kernel prober inside a real sandbox,
// as the session's uid: every call the seccomp filter refuses fails with
// EPERM (clone3 with ENOSYS), and the worker's memory and environment
// cannot be opened, because the worker is non-dumpable.
func TestKernelSurfaceIsClosed(t *testing.T) {
	m := newTestManager(t)
	if w := m.Walls(); !w.Seccomp || w.Landlock != (w.LandlockABI > 0) {
		t.Fatalf("walls = %+v", w)
	}
	w, err := m.Start(context.Background(), testSpec("probe", Mount{Name: "data", HostPath: newVolumeDir(t, nil)}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var out bytes.Buffer
	p := &libcontainer.Process{
		Args: []string{workerPath, sandboxtest.KernelProbe},
		Env:  []string{"PATH=/nonexistent"},
		UID:  testUID, GID: testUID, Cwd: "/",
		Stdout: &out, Stderr: &out,
	}
	if err := w.container.Run(p); err != nil {
		t.Fatal(err)
	}
	st, _ := p.Wait()
	if st.ExitCode() != 0 || strings.Count(out.String(), "ok ") < 30 {
		t.Fatalf("kernel probe exit %d:\n%s", st.ExitCode(), out.String())
	}
	t.Logf("kernel probe:\n%s", out.String())
}
