package isolation

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// The daemon and a worker talk over one SOCK_SEQPACKET socketpair (the
// worker's fd 3). Each daemon->worker message is a small JSON request plus
// the file descriptors of the streams that serve it; the kernel keeps message
// boundaries and moves the descriptors (SCM_RIGHTS), so user bytes never pass
// through this socket. EOF on it tells the worker the daemon is gone.

// controlFD is the worker's end of the control socket (first ExtraFile).
const controlFD = 3

// maxRequestSize bounds one control message; exec command lines are capped
// well below it by the caller.
const maxRequestSize = 64 << 10

// streamBuffer is the socket buffer of each stream, so that a producer
// (rsync, the SFTP server, the relay) can run ahead of its consumer.
const streamBuffer = 2 << 20

// request kinds.
const (
	opSFTP  = "sftp"
	opExec  = "exec"
	opReady = "ready"
)

// request is one control message.
type request struct {
	Op      string `json:"op"`
	Command string `json:"command,omitempty"`
}

// socketPair returns a connected pair of stream sockets with large buffers,
// so relays move big chunks per syscall.
func socketPair(kind int) (local, remote *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, kind|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	if kind == unix.SOCK_STREAM {
		for _, fd := range fds {
			// The daemon creates both ends, as root, so it may exceed
			// net.core.[rw]mem_max (~208 KiB) with the FORCE variants; the
			// plain ones are the fallback.
			if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, streamBuffer) != nil {
				_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, streamBuffer)
			}
			if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, streamBuffer) != nil {
				_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, streamBuffer)
			}
		}
	}
	return os.NewFile(uintptr(fds[0]), "local"), os.NewFile(uintptr(fds[1]), "remote"), nil
}

// streamConn turns a socket file into a *net.UnixConn (which supports
// CloseWrite for half-close) and closes the file.
func streamConn(f *os.File) (*net.UnixConn, error) {
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

// sendRequest writes one request with fds attached.
func sendRequest(fd int, req request, files ...*os.File) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	if len(body) > maxRequestSize {
		return fmt.Errorf("request of %d bytes: %w", len(body), ErrRequestTooLarge)
	}
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(fd, body, oob, nil, 0); err != nil {
		return fmt.Errorf("send %s request: %w", req.Op, err)
	}
	for _, f := range files {
		// Keep the files alive until the kernel has taken its reference.
		_ = f
	}
	return nil
}

// recvRequest reads one request and the fds that came with it. It returns
// io.EOF-like errors (errControlClosed) when the peer has gone.
func recvRequest(fd int, buf, oob []byte) (request, []*os.File, error) {
	n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return request{}, nil, fmt.Errorf("receive request: %w", err)
	}
	if n == 0 && oobn == 0 {
		return request{}, nil, errControlClosed
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return request{}, nil, fmt.Errorf("parse control message: %w", err)
		}
		for _, m := range msgs {
			fds, err := unix.ParseUnixRights(&m)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				// Non-blocking before NewFile: the File is then served by
				// Go's poller, so waiting on it never holds a thread (the
				// worker's threads count against its pids limit).
				_ = unix.SetNonblock(fd, true)
				files = append(files, os.NewFile(uintptr(fd), "stream"))
			}
		}
	}
	var req request
	if err := json.Unmarshal(buf[:n], &req); err != nil {
		closeFiles(files)
		return request{}, nil, fmt.Errorf("decode request: %w", err)
	}
	return req, files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
