package isolation

import (
	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
)

// allowedSyscalls is the worker's seccomp allow-list: what the worker (the
// Go runtime, os.Root, pkg/sftp, splice), the host's rsync started through
// its dynamic loader, and libcontainer's init between loading the filter
// and exec'ing the worker really call, plus the close relatives a different
// glibc or Go version picks (stat vs newfstatat vs statx, pipe vs pipe2).
// Checked by running the e2e suite with the filter's default action set to
// "log": the kernel logged only calls meant to fail (the worker's own
// setuid(0) probe, glibc's nscd connect() from rsync's getpwuid, and
// libcontainer's seccomp()). Names the host's libseccomp does not know
// are skipped by libcontainer.
//
// Everything else fails with EPERM, notably ptrace, process_vm_readv and
// _writev, mount/umount2/pivot_root, unshare/setns, keyctl and
// add_key/request_key, bpf, userfaultfd, perf_event_open, init_module and
// friends, kexec_load, setuid and its family, seccomp, io_uring, mknod of anything but a FIFO,
// pidfd_getfd, open_by_handle_at, reboot, swapon and acct. clone is allowed
// only without namespace flags (see cloneNamespaceFlags); clone3, whose
// flags live in memory where a filter cannot read them, answers ENOSYS so
// glibc falls back to the checked clone.
var allowedSyscalls = []string{
	// processes, threads and signals
	"arch_prctl", "execve", "exit", "exit_group", "fork", "vfork", "wait4", "waitid",
	"getpid", "getppid", "gettid", "getpgid", "getpgrp", "getsid", "setsid", "setpgid",
	"getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid",
	"capget", "prctl", "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack",
	"kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "restart_syscall",
	"getrlimit", "prlimit64", "getrusage", "getpriority", "setpriority", "umask",
	"sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler",
	"sched_get_priority_max", "sched_get_priority_min", "getcpu",
	"futex", "futex_waitv", "nanosleep", "clock_nanosleep", "clock_gettime",
	"clock_getres", "gettimeofday", "time", "getitimer", "setitimer", "alarm", "pause",
	"timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "uname", "sysinfo", "getrandom",
	// memory
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
	// file descriptors, pipes, polling and sockets the worker was handed
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
	"ioctl", "pipe", "pipe2", "splice", "tee", "vmsplice", "sendfile", "copy_file_range",
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
	"socketpair", "sendmsg", "recvmsg", "sendto", "recvfrom", "sendmmsg", "recvmmsg",
	"shutdown", "getsockname", "getpeername", "getsockopt", "setsockopt",
	// files, confined by the mounts, os.Root and Landlock
	"open", "openat", "openat2", "creat", "stat", "lstat", "fstat", "newfstatat", "statx",
	"statfs", "fstatfs", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
	"getdents", "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir",
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
	"symlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown",
	"fchownat", "utime", "utimes", "utimensat", "futimesat", "truncate", "ftruncate",
	"fallocate", "fadvise64", "readahead", "fsync", "fdatasync", "sync_file_range", "flock",
	"getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr",
	"listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
	// Landlock only ever takes rights away: the worker confines rsync with it
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
}

// cloneNamespaceFlags are the clone flags that would make a new namespace.
const cloneNamespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET |
	unix.CLONE_NEWTIME

// seccompConfig is the filter libcontainer loads into the worker right
// before it execs it; the worker and everything it starts inherit it.
func seccompConfig() *configs.Seccomp {
	eperm, enosys := uint(unix.EPERM), uint(unix.ENOSYS)
	rules := make([]*configs.Syscall, 0, len(allowedSyscalls)+3)
	for _, name := range allowedSyscalls {
		rules = append(rules, &configs.Syscall{Name: name, Action: configs.Allow})
	}
	rules = append(rules,
		// clone(flags, ...) on x86_64 and arm64: allowed when no namespace
		// flag is set.
		&configs.Syscall{Name: "clone", Action: configs.Allow, Args: []*configs.Arg{
			{Index: 0, Value: cloneNamespaceFlags, ValueTwo: 0, Op: configs.MaskEqualTo},
		}},
		&configs.Syscall{Name: "clone3", Action: configs.Errno, ErrnoRet: &enosys},
		// mknod only for FIFOs (rsync -a copies them); devices never.
		&configs.Syscall{Name: "mknod", Action: configs.Allow, Args: []*configs.Arg{
			{Index: 1, Value: unix.S_IFMT, ValueTwo: unix.S_IFIFO, Op: configs.MaskEqualTo},
		}},
		&configs.Syscall{Name: "mknodat", Action: configs.Allow, Args: []*configs.Arg{
			{Index: 2, Value: unix.S_IFMT, ValueTwo: unix.S_IFIFO, Op: configs.MaskEqualTo},
		}},
		// Sockets: only the unix kind; the sandbox's network namespace has
		// loopback only, and nothing in it needs more.
		&configs.Syscall{Name: "socket", Action: configs.Allow, Args: []*configs.Arg{
			{Index: 0, Value: unix.AF_UNIX, Op: configs.EqualTo},
		}},
	)
	return &configs.Seccomp{
		DefaultAction:   configs.Errno,
		DefaultErrnoRet: &eperm,
		Syscalls:        rules,
	}
}
