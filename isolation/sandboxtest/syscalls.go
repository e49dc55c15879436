package sandboxtest

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// KernelProbe is the role that tries, from inside a sandbox, what a
// program a session user runs must never do: every kernel call the
// worker's seccomp filter refuses, and reading or writing the worker's
// (PID 1's) memory and environment. It prints one line per attempt,
// "ok <name>" when refused as expected, "FAIL <name>: <what happened>"
// otherwise, and exits with the number of failures.
const KernelProbe = "test-kernel-probe"

// probe is one attempt and the errno that refusing it must give.
type probe struct {
	name string
	want syscall.Errno
	call func() syscall.Errno
}

func raw(nr uintptr, args ...uintptr) func() syscall.Errno {
	return func() syscall.Errno {
		var a [6]uintptr
		copy(a[:], args)
		r, _, errno := unix.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
		if errno == 0 && r == 0 && (nr == unix.SYS_CLONE || nr == unix.SYS_FORK) {
			// A clone that succeeded: this is the child, leave at once.
			unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
		return errno
	}
}

func openErrno(path string, flag int) func() syscall.Errno {
	return func() syscall.Errno {
		fd, err := unix.Open(path, flag|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
			return 0
		}
		return err.(syscall.Errno)
	}
}

func cstr(s string) uintptr {
	b, _ := unix.BytePtrFromString(s)
	return uintptr(unsafe.Pointer(b))
}

func kernelProbes() []probe {
	eperm, eacces := syscall.EPERM, syscall.EACCES
	buf := make([]byte, 64)
	iov := unix.Iovec{Base: &buf[0], Len: uint64(len(buf))}
	return []probe{
		{"ptrace attach pid 1", eperm, raw(unix.SYS_PTRACE, unix.PTRACE_ATTACH, 1)},
		{"ptrace traceme", eperm, raw(unix.SYS_PTRACE, unix.PTRACE_TRACEME)},
		{"process_vm_readv pid 1", eperm, raw(unix.SYS_PROCESS_VM_READV, 1,
			uintptr(unsafe.Pointer(&iov)), 1, uintptr(unsafe.Pointer(&iov)), 1, 0)},
		{"process_vm_writev pid 1", eperm, raw(unix.SYS_PROCESS_VM_WRITEV, 1,
			uintptr(unsafe.Pointer(&iov)), 1, uintptr(unsafe.Pointer(&iov)), 1, 0)},
		{"mount tmpfs", eperm, raw(unix.SYS_MOUNT, cstr("none"), cstr("/tmp"), cstr("tmpfs"), 0, 0)},
		{"umount2", eperm, raw(unix.SYS_UMOUNT2, cstr("/tmp"), 0)},
		{"pivot_root", eperm, raw(unix.SYS_PIVOT_ROOT, cstr("/tmp"), cstr("/tmp"))},
		{"unshare user", eperm, raw(unix.SYS_UNSHARE, unix.CLONE_NEWUSER)},
		{"unshare mount", eperm, raw(unix.SYS_UNSHARE, unix.CLONE_NEWNS)},
		{"setns", eperm, raw(unix.SYS_SETNS, 0, 0)},
		{"clone new user ns", eperm, raw(unix.SYS_CLONE, unix.CLONE_NEWUSER|uintptr(unix.SIGCHLD))},
		{"clone new net ns", eperm, raw(unix.SYS_CLONE, unix.CLONE_NEWNET|uintptr(unix.SIGCHLD))},
		{"clone3", syscall.ENOSYS, raw(unix.SYS_CLONE3, 0, 0)},
		{"keyctl", eperm, raw(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, ^uintptr(2), 0)},
		{"add_key", eperm, raw(unix.SYS_ADD_KEY, cstr("user"), cstr("x"), 0, 0, ^uintptr(3))},
		{"request_key", eperm, raw(unix.SYS_REQUEST_KEY, cstr("user"), cstr("x"), 0, 0)},
		{"bpf", eperm, raw(unix.SYS_BPF, 0, 0, 0)},
		{"userfaultfd", eperm, raw(unix.SYS_USERFAULTFD, 0)},
		{"perf_event_open", eperm, raw(unix.SYS_PERF_EVENT_OPEN, 0, 0, ^uintptr(0), ^uintptr(0), 0)},
		{"init_module", eperm, raw(unix.SYS_INIT_MODULE, 0, 0, cstr(""))},
		{"finit_module", eperm, raw(unix.SYS_FINIT_MODULE, 0, cstr(""), 0)},
		{"delete_module", eperm, raw(unix.SYS_DELETE_MODULE, cstr("x"), 0)},
		{"kexec_load", eperm, raw(unix.SYS_KEXEC_LOAD, 0, 0, 0, 0)},
		{"kexec_file_load", eperm, raw(unix.SYS_KEXEC_FILE_LOAD, 0, 0, 0, 0, 0)},
		{"setuid 0", eperm, raw(unix.SYS_SETUID, 0)},
		{"mknod char device", eperm, raw(unix.SYS_MKNODAT, ^uintptr(99), cstr("/tmp/null2"), unix.S_IFCHR|0o666, 0x103)},
		{"io_uring_setup", eperm, raw(unix.SYS_IO_URING_SETUP, 1, 0)},
		{"open_by_handle_at", eperm, raw(unix.SYS_OPEN_BY_HANDLE_AT, 0, 0, 0)},
		{"pidfd_getfd", eperm, raw(unix.SYS_PIDFD_GETFD, 0, 0, 0)},
		{"socket inet", eperm, raw(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)},
		{"socket netlink", eperm, raw(unix.SYS_SOCKET, unix.AF_NETLINK, unix.SOCK_RAW, 0)},
		{"open /proc/1/mem rw", eacces, openErrno("/proc/1/mem", os.O_RDWR)},
		{"open /proc/1/mem ro", eacces, openErrno("/proc/1/mem", os.O_RDONLY)},
		{"open /proc/1/environ", eacces, openErrno("/proc/1/environ", os.O_RDONLY)},
		{"open /proc/1/maps", eacces, openErrno("/proc/1/maps", os.O_RDONLY)},
	}
}

// runKernelProbe runs every probe and exits with the number that were not
// refused as they must be.
func runKernelProbe() {
	failed := 0
	for _, p := range kernelProbes() {
		got := p.call()
		if got == p.want {
			fmt.Printf("ok %s: %v\n", p.name, got)
			continue
		}
		failed++
		fmt.Printf("FAIL %s: got errno %d (%v), want %v\n", p.name, got, got, p.want)
	}
	os.Exit(failed)
}
