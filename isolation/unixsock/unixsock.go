package unixsock

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// StreamBuffer is the socket buffer of each stream, so that a producer
// (rsync, the SFTP server, the relay) can run ahead of its consumer.
const StreamBuffer = 2 << 20

// Pair returns a connected pair of stream sockets with large buffers,
// so relays move big chunks per syscall.
func Pair(kind int) (local, remote *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, kind|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	if kind == unix.SOCK_STREAM {
		for _, fd := range fds {
			// The daemon creates both ends, as root, so it may exceed
			// net.core.[rw]mem_max (~208 KiB) with the FORCE variants; the
			// plain ones are the fallback.
			if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, StreamBuffer) != nil {
				_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, StreamBuffer)
			}
			if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, StreamBuffer) != nil {
				_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, StreamBuffer)
			}
		}
	}
	return os.NewFile(uintptr(fds[0]), "local"), os.NewFile(uintptr(fds[1]), "remote"), nil
}

// Conn turns a socket file into a *net.UnixConn (which supports
// CloseWrite for half-close) and closes the file.
func Conn(f *os.File) (*net.UnixConn, error) {
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("stream conn: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("stream conn: unexpected %T", c)
	}
	return uc, nil
}

// CloseFiles closes every file of a request that cannot be served.
func CloseFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
