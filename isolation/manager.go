package isolation

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
)

// Options configure a Manager.
type Options struct {
	// StateDir holds libcontainer state and the per-session root directories.
	StateDir string
	Logger   *slog.Logger
}

// Manager starts, tracks and destroys workers. It is safe for concurrent use.
type Manager struct {
	containersDir string           // libcontainer state, one dir per worker
	rootsDir      string           // empty read-only roots, one dir per worker
	cgroupParent  string           // this manager's cgroup subtree
	workerExe     string           // read-only snapshot of our binary that workers run
	tools         []*configs.Mount // rsync and its libraries, found once at start
	walls         Walls            // the optional walls this host has, found once at start
	log           *slog.Logger

	mu      sync.Mutex
	workers map[string]*Worker // guarded by mu
	closed  bool               // guarded by mu
}

var validID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// New checks that the host can sandbox workers and destroys whatever a
// crashed predecessor left under StateDir.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if err := checkHost(); err != nil {
		return nil, err
	}
	state, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("isolation: state dir: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	sum := sha256.Sum256([]byte(state))
	m := &Manager{
		containersDir: filepath.Join(state, "containers"),
		rootsDir:      filepath.Join(state, "roots"),
		// Two daemons on one host (tests do this) must never touch each
		// other's cgroups, and a restarted daemon must find its own again.
		cgroupParent: filepath.Join(cgroupParent, hex.EncodeToString(sum[:6])),
		log:          log.With("component", "isolation"),
		workers:      make(map[string]*Worker),
	}
	for _, dir := range []string{m.containersDir, m.rootsDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("isolation: %w", err)
		}
	}
	if m.workerExe, err = snapshotSelf(state); err != nil {
		return nil, err
	}
	// Mapping rsync's libraries reads ELF headers; do it once, not per
	// session. (An rsync installed later is used after a restart.)
	if m.tools, err = rsyncMounts(); err != nil {
		log.Warn("rsync is not available to sessions", "err", err)
		m.tools = nil
	}
	m.walls = Walls{Seccomp: seccompBuilt, LandlockABI: LandlockABI()}
	m.walls.Landlock = m.walls.LandlockABI > 0
	if !m.walls.Landlock {
		log.Warn("this kernel has no Landlock: programs sessions run (rsync) are confined by the " +
			"sandbox's namespaces, seccomp and argument checks, but can open the sandbox's /proc, /dev and /tmp; " +
			"add landlock to the kernel's lsm= list to close that")
	}
	// Workers are reparented to us after libcontainer's double fork; being
	// their subreaper lets us wait for them and notice when they die.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("isolation: set child subreaper: %w", err)
	}
	m.recover(ctx)
	return m, nil
}

// Walls says which of the sandbox's kernel-dependent walls this host puts
// around sessions; the manager API's /status reports it.
type Walls struct {
	// Seccomp: every worker and what it starts run under the syscall
	// allow-list (always true: a binary without it refuses to start).
	Seccomp bool `json:"seccomp"`
	// Landlock: programs a worker starts can open only the session's
	// folders and their own tool files.
	Landlock bool `json:"landlock"`
	// LandlockABI is the kernel's Landlock ABI version (0: none).
	LandlockABI int `json:"landlock_abi"`
}

// Walls returns the walls this host puts around sessions.
func (m *Manager) Walls() Walls { return m.walls }

// snapshotSelf copies the running binary to the state dir. Workers run this
// copy (bind-mounted read-only into their sandbox), so replacing the binary
// on disk during an upgrade never mixes versions inside one daemon's life,
// and all workers share its pages.
func snapshotSelf(stateDir string) (string, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return "", fmt.Errorf("isolation: open own binary: %w", err)
	}
	defer src.Close()
	if err := checkStatic(src); err != nil {
		return "", err
	}
	dst := filepath.Join(stateDir, "worker.exe")
	tmp, err := os.CreateTemp(stateDir, ".worker.exe-*")
	if err != nil {
		return "", fmt.Errorf("isolation: snapshot binary: %w", err)
	}
	_, err = io.Copy(tmp, src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o555)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("isolation: snapshot binary: %w", err)
	}
	return dst, nil
}

// checkStatic refuses a dynamically linked binary: the sandbox holds no
// libraries, so its dynamic loader would be missing and every worker would
// fail with a baffling "no such file or directory".
func checkStatic(f *os.File) error {
	ef, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("isolation: read own binary: %w", err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%w: this binary is dynamically linked; build it static (make build: CGO_ENABLED=1 -tags osusergo,netgo -ldflags '-extldflags -static')", ErrUnsupported)
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("isolation: read own binary: %w", err)
	}
	return nil
}

// checkHost refuses hosts where a sandbox could not be built, with the reason.
func checkHost() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: must run as root to create namespaces and cgroups (running as uid %d)", ErrUnsupported, os.Geteuid())
	}
	if !seccompBuilt {
		return fmt.Errorf("%w: this binary was built without seccomp support; build it with `make build` (cgo, libseccomp, tag seccomp)", ErrUnsupported)
	}
	if cgroups.IsCgroup2UnifiedMode() {
		ctrl, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		if err != nil {
			return fmt.Errorf("%w: cgroup v2 controllers: %v", ErrUnsupported, err)
		}
		for _, c := range []string{"cpu", "memory", "pids"} {
			if !regexp.MustCompile(`\b` + c + `\b`).Match(ctrl) {
				return fmt.Errorf("%w: cgroup v2 controller %q is not enabled", ErrUnsupported, c)
			}
		}
		return nil
	}
	for _, c := range []string{"cpu", "memory", "pids", "devices"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", c)); err != nil {
			return fmt.Errorf("%w: cgroup v1 controller %q is not mounted: %v", ErrUnsupported, c, err)
		}
	}
	return nil
}

// recover destroys containers, cgroups and roots left by a previous daemon
// that died without cleaning up.
func (m *Manager) recover(ctx context.Context) {
	entries, _ := os.ReadDir(m.containersDir)
	for _, e := range entries {
		id := e.Name()
		if c, err := libcontainer.Load(m.containersDir, id); err == nil {
			_ = c.Signal(unix.SIGKILL) // Destroy refuses a running container
			if err := c.Destroy(); err != nil {
				m.log.WarnContext(ctx, "destroying leftover worker", "worker", id, "err", err)
			}
		}
		_ = os.RemoveAll(filepath.Join(m.containersDir, id)) // libcontainer state only, never user data
		m.log.InfoContext(ctx, "destroyed leftover worker", "worker", id)
	}
	roots, _ := os.ReadDir(m.rootsDir)
	for _, e := range roots {
		if err := removeRoot(filepath.Join(m.rootsDir, e.Name())); err != nil {
			m.log.WarnContext(ctx, "removing leftover root", "worker", e.Name(), "err", err)
		}
	}
	removeCgroupTree(m.cgroupParent)
}

// removeRoot removes a worker's root: only empty mountpoint directories,
// never recursively, so a bind mount that somehow survived can never lose data.
func removeRoot(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.Remove(filepath.Join(dir, e.Name())))
	}
	errs = append(errs, os.Remove(dir))
	return errors.Join(errs...)
}

// removeCgroupTree kills what is left in this manager's cgroups and removes
// them (v1: in every controller hierarchy).
func removeCgroupTree(parent string) {
	var bases []string
	if cgroups.IsCgroup2UnifiedMode() {
		bases = []string{"/sys/fs/cgroup"}
	} else {
		ents, _ := os.ReadDir("/sys/fs/cgroup")
		for _, e := range ents {
			bases = append(bases, filepath.Join("/sys/fs/cgroup", e.Name()))
		}
	}
	for _, b := range bases {
		dir := filepath.Join(b, parent)
		kids, _ := os.ReadDir(dir)
		for _, k := range kids {
			if !k.IsDir() {
				continue
			}
			path := filepath.Join(dir, k.Name())
			if pids, err := cgroups.GetAllPids(path); err == nil {
				for _, pid := range pids {
					_ = unix.Kill(pid, unix.SIGKILL)
				}
			}
			_ = cgroups.RemovePath(path)
		}
		_ = cgroups.RemovePath(dir)
	}
}

// Close stops every worker; the manager refuses new ones afterwards.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	workers := make([]*Worker, 0, len(m.workers))
	for _, w := range m.workers {
		workers = append(workers, w)
	}
	m.mu.Unlock()
	var errs []error
	for _, w := range workers {
		errs = append(errs, w.Stop())
	}
	removeCgroupTree(m.cgroupParent) // the per-manager parent, now empty
	return errors.Join(errs...)
}

func (m *Manager) forget(id string) {
	m.mu.Lock()
	delete(m.workers, id)
	m.mu.Unlock()
}
