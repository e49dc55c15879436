package isolation

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/opencontainers/runc/libcontainer"
	// nsenter's C constructor sets up namespaces before the Go runtime
	// starts when the binary runs as libcontainer's "init".
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
	"github.com/storage-agent/storage-agent/isolation/serve"
	"github.com/storage-agent/storage-agent/isolation/serve/web"
	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"golang.org/x/sys/unix"
)

// workerArg is the role argument that turns the binary into a session worker.
const workerArg = "storage-agent-worker"

// RunChildRole turns this process into libcontainer's container init or a
// session worker when the daemon re-executed its own binary for that role;
// it never returns then. Otherwise it returns at once. Call it first in main.
func RunChildRole() {
	if len(os.Args) < 2 {
		return
	}
	switch os.Args[1] {
	case "init":
		libcontainer.Init() // never returns
	case workerArg:
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "worker: bad arguments")
			os.Exit(2)
		}
		if err := runWorker(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// runWorker is the worker's main loop: verify confinement, report ready,
// then serve one goroutine per request until the daemon closes the control
// socket (or dies), at which point the worker — PID 1 of its namespace —
// exits and the kernel ends everything else in the sandbox.
func runWorker(specArg string) error {
	var spec workerSpec
	if err := json.Unmarshal([]byte(specArg), &spec); err != nil {
		return fmt.Errorf("decode spec: %w", err)
	}
	if err := verifyConfinement(); err != nil {
		return err
	}
	if err := sealWorker(); err != nil {
		return err
	}
	specs := make([]sessionfs.Spec, len(spec.Mounts))
	for i, m := range spec.Mounts {
		specs[i] = sessionfs.Spec{Name: m.Name, Dir: "/" + m.Name, ReadOnly: m.ReadOnly}
	}
	tree, err := sessionfs.Open(specs)
	if err != nil {
		return err
	}
	// Programs the worker starts may reach only the session's folders.
	walls, err := newLandlockRuleset(programRules(spec.Mounts))
	if err != nil {
		return err
	}
	// The worker is PID 1 of its namespace: one session (one reaper) for all streams.
	session := serve.NewSession(tree, walls)
	if err := sendRequest(controlFD, request{Op: opReady}); err != nil {
		return err
	}
	buf := make([]byte, maxRequestSize)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		req, files, err := recvRequest(controlFD, buf, oob)
		if errors.Is(err, errControlClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case req.Op == opSFTP && len(files) == 1:
			go session.SFTP(files[0])
		case req.Op == opExec && len(files) == 2:
			go session.Exec(req.Command, files[0], files[1])
		case req.Op == opWeb && (len(files) == 1 || len(files) == 2):
			go web.Serve(tree, req.Command, files[0], files[1:]...)
		default:
			unixsock.CloseFiles(files)
		}
	}
}

// verifyConfinement checks, after libcontainer dropped privileges, that they
// are really gone: not root, no effective capabilities, cannot become root.
func verifyConfinement() error {
	if os.Getuid() == 0 || os.Geteuid() == 0 {
		return errors.New("refusing to serve as root")
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return fmt.Errorf("read own status: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok && strings.Trim(strings.TrimSpace(v), "0") != "" {
			return fmt.Errorf("still holding capabilities %s", strings.TrimSpace(v))
		}
	}
	if err := unix.Setuid(0); err == nil {
		return errors.New("setuid(0) succeeded")
	}
	return nil
}

// sealWorker keeps what the worker starts (rsync, with the session's uid)
// away from the worker itself. Non-dumpable, the worker's /proc/1/mem,
// environ, maps, fd/ and the like belong to root and refuse ptrace-style
// access to every process of the session (which has no capabilities);
// credentials never change after this, so the flag stays. The control
// socket came from libcontainer without close-on-exec: without this an
// rsync would inherit it and could talk to the daemon as the worker.
func sealWorker() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make worker non-dumpable: %w", err)
	}
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 0 {
		return fmt.Errorf("worker still dumpable (%d, %v)", d, err)
	}
	if _, err := unix.FcntlInt(uintptr(controlFD), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return fmt.Errorf("control socket close-on-exec: %w", err)
	}
	return nil
}
