package serve

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// The host's rsync serves `rsync --server ...` inside the sandbox: the
// binary, its dynamic loader and the exact libraries it links are
// bind-mounted read-only under the sandbox's private /dev (see
// isolation's rsyncMounts), and the worker starts it through the loader, because the
// loader's usual path (/lib64/...) does not exist in the sandbox.
const (
	RsyncDir    = "/dev/.storage-agent-rsync"
	RsyncBinary = RsyncDir + "/rsync"
	RsyncLoader = RsyncDir + "/ld.so"
	RsyncLibDir = RsyncDir + "/lib"
)

// runRsync checks an rsync server command line and runs it with the exec's
// stream as its stdin and stdout, so file data moves between the sockets
// and rsync without passing through the worker. mounts are the session's
// folder names. It owns data.
func runRsync(children *launcher, mounts []string, argv []string, data *os.File, stderr io.Writer) int {
	defer data.Close()
	if err := checkRsyncArgs(argv, mounts); err != nil {
		fmt.Fprintf(stderr, "storage-agent: rsync: %v\n", err)
		return 1
	}
	if _, err := os.Stat(RsyncBinary); err != nil {
		fmt.Fprintln(stderr, "storage-agent: rsync is not available on this server (no rsync binary on the host); use sftp or scp")
		return 127
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "storage-agent: rsync: %v\n", err)
		return 1
	}
	defer errR.Close()
	args := append([]string{RsyncLoader, "--library-path", RsyncLibDir, RsyncBinary}, argv[1:]...)
	attr := &syscall.ProcAttr{
		Dir:   "/", // relative session paths are relative to the session root
		Env:   []string{"PATH=/nonexistent", "HOME=/nonexistent", "LC_ALL=C.UTF-8"},
		Files: []uintptr{data.Fd(), data.Fd(), errW.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	_, done, err := children.start(RsyncLoader, args, attr)
	errW.Close()
	if err != nil {
		fmt.Fprintf(stderr, "storage-agent: rsync: start: %v\n", err)
		return 1
	}
	data.Close() // rsync holds the stream now; EOF reaches the daemon when it ends
	buf := make([]byte, 32<<10)
	_, _ = io.CopyBuffer(stderr, errR, buf)
	return exitCode(<-done)
}
