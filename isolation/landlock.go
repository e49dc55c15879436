package isolation

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/storage-agent/storage-agent/isolation/serve"
	"golang.org/x/sys/unix"
)

// Landlock (an LSM an unprivileged process can use to confine itself and
// what it starts) is the wall around the programs a worker runs: rsync may
// open files only beneath the session's folders and read and execute only
// its own binary, loader and libraries, whatever its arguments say and
// whatever symlinks a user planted. The sandbox's /proc, /dev and /tmp,
// the worker binary and everything else are out of its reach.
//
// The raw system calls are used rather than go-landlock: that library
// restricts every thread through the runtime's AllThreadsSyscall, which a
// cgo binary (ours links libcontainer's nsenter) cannot use; and only the
// one thread that forks rsync needs restricting.

// Access rights by the Landlock ABI that introduced them.
const (
	landlockFSv1 = unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_WRITE_FILE |
		unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR |
		unix.LANDLOCK_ACCESS_FS_REMOVE_DIR | unix.LANDLOCK_ACCESS_FS_REMOVE_FILE |
		unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_DIR |
		unix.LANDLOCK_ACCESS_FS_MAKE_REG | unix.LANDLOCK_ACCESS_FS_MAKE_SOCK |
		unix.LANDLOCK_ACCESS_FS_MAKE_FIFO | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		unix.LANDLOCK_ACCESS_FS_MAKE_SYM
	landlockReadOnly  = unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR
	landlockNoDevices = unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_MAKE_CHAR |
		unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK | unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
)

// LandlockABI returns the Landlock ABI version this kernel offers, or 0
// when it has none (not built, or not in the lsm= list).
func LandlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// landlockHandled returns the file-system rights a ruleset handles (and so
// denies unless a rule grants them) on a kernel of the given ABI.
func landlockHandled(abi int) uint64 {
	fs := uint64(landlockFSv1)
	if abi >= 2 {
		fs |= unix.LANDLOCK_ACCESS_FS_REFER
	}
	if abi >= 3 {
		fs |= unix.LANDLOCK_ACCESS_FS_TRUNCATE
	}
	if abi >= 5 {
		fs |= unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	}
	return fs
}

// landlockRule grants access beneath path.
type landlockRule struct {
	path   string
	access uint64
}

// programRules are what a program the worker starts may reach: the
// session's folders (read-only ones for reading only; never executing from
// them, never devices) and, to be loaded and run at all, the tool
// directory, read and execute only.
func programRules(mounts []workerMount) []landlockRule {
	rules := []landlockRule{{path: serve.RsyncDir, access: landlockReadOnly | unix.LANDLOCK_ACCESS_FS_EXECUTE}}
	for _, m := range mounts {
		access := uint64(landlockReadOnly)
		if !m.ReadOnly {
			access = ^uint64(landlockNoDevices)
		}
		rules = append(rules, landlockRule{path: "/" + m.Name, access: access})
	}
	return rules
}

// landlockRuleset is a built ruleset, ready to confine threads; the zero
// value (a kernel without Landlock) confines nothing.
type landlockRuleset struct {
	fd  int // -1: none
	abi int
}

// newLandlockRuleset builds a ruleset from rules for this kernel. A path
// that does not exist (rsync not installed) is skipped: nothing there to
// grant. Without Landlock it returns a ruleset that confines nothing.
func newLandlockRuleset(rules []landlockRule) (*landlockRuleset, error) {
	abi := LandlockABI()
	if abi == 0 {
		return &landlockRuleset{fd: -1}, nil
	}
	handled := landlockHandled(abi)
	attr := unix.LandlockRulesetAttr{Handled_access_fs: handled}
	if abi >= 6 {
		// Nor may confined programs signal the worker or reach abstract
		// unix sockets outside their domain.
		attr.Scoped = unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
	}
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET,
		uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if errno != 0 {
		return nil, fmt.Errorf("landlock: create ruleset: %w", errno)
	}
	rs := &landlockRuleset{fd: int(fd), abi: abi}
	for _, r := range rules {
		if err := rs.add(r, handled); err != nil {
			unix.Close(rs.fd)
			return nil, err
		}
	}
	return rs, nil
}

func (rs *landlockRuleset) add(r landlockRule, handled uint64) error {
	fd, err := unix.Open(r.path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("landlock: open %s: %w", r.path, err)
	}
	defer unix.Close(fd)
	access := r.access & handled
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("landlock: stat %s: %w", r.path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		// Rules on files may grant only rights that apply to files.
		access &= unix.LANDLOCK_ACCESS_FS_EXECUTE | unix.LANDLOCK_ACCESS_FS_WRITE_FILE |
			unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_TRUNCATE |
			unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	}
	attr := unix.LandlockPathBeneathAttr{Allowed_access: access, Parent_fd: int32(fd)}
	_, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(rs.fd), unix.LANDLOCK_RULE_PATH_BENEATH,
		uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
	runtime.KeepAlive(&attr)
	if errno != 0 {
		return fmt.Errorf("landlock: rule for %s: %w", r.path, errno)
	}
	return nil
}

// StartConfined runs start on a fresh OS thread confined by the ruleset,
// so that the program it forks (and everything that program starts) is
// confined too; the worker's other threads are not. The thread is never
// unlocked: the runtime retires it when the goroutine ends instead of
// handing a confined thread to other goroutines.
func (rs *landlockRuleset) StartConfined(start func() (int, <-chan syscall.WaitStatus, error)) (int, <-chan syscall.WaitStatus, error) {
	if rs.fd < 0 {
		return start()
	}
	type started struct {
		pid  int
		done <-chan syscall.WaitStatus
		err  error
	}
	ch := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		// no_new_privs, which restrict_self needs, is already set on every
		// thread of the worker by libcontainer.
		_, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(rs.fd), 0, 0)
		if errno != 0 {
			ch <- started{err: fmt.Errorf("landlock: restrict: %w", errno)}
			return
		}
		pid, done, err := start()
		ch <- started{pid, done, err}
	}()
	s := <-ch
	return s.pid, s.done, s.err
}
