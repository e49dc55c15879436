package isolation

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/storage-agent/storage-agent/isolation/unixsock"
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
		unixsock.CloseFiles(files)
		return request{}, nil, fmt.Errorf("decode request: %w", err)
	}
	return req, files, nil
}
