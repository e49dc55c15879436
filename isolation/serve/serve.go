package serve

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/pkg/sftp"
	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
)

// Session serves the SFTP and exec streams of one worker's session. It is
// safe for concurrent use: each stream runs in its own goroutine.
type Session struct {
	fs       *sessionFS
	children *launcher
}

// Confiner starts a program inside walls the caller built (the worker's
// Landlock ruleset): start forks it, and must be called on a thread that
// the walls confine, so that the program and its children are confined too.
type Confiner interface {
	StartConfined(start func() (int, <-chan syscall.WaitStatus, error)) (int, <-chan syscall.WaitStatus, error)
}

// NewSession serves tree; the programs it starts on a user's behalf
// (rsync) run inside walls. It starts the one reaper of the worker's
// children: call it once per worker (the worker is PID 1 of its namespace).
func NewSession(tree *sessionfs.FS, walls Confiner) *Session {
	return &Session{fs: &sessionFS{tree}, children: &launcher{reaper: newReaper(), walls: walls}}
}

// SFTP serves one SFTP stream (the socket f) until the client ends it.
func (s *Session) SFTP(f *os.File) {
	conn, err := unixsock.Conn(f)
	if err != nil {
		return
	}
	defer conn.Close()
	stream, err := newSFTPStream(conn)
	if err != nil {
		return
	}
	files := streamFS{sessionFS: s.fs, stream: stream}
	h := sftp.Handlers{FileGet: files, FilePut: files, FileCmd: s.fs, FileList: s.fs}
	srv := sftp.NewRequestServer(stream, h, sftp.WithRSAllocator(), sftp.WithStartDirectory("/"),
		sftp.WithRSMaxTxPacket(sftpMaxIO)) // what limits@openssh.com promises
	_ = srv.Serve()
	srv.Close()
	_ = stream.w.Close()
}

// Exec answers an exec request: the command line is split like a
// shell would (but nothing is expanded) and served by one of the commands
// in runExec; the exit status follows the command's stderr on errF.
func (s *Session) Exec(command string, dataF, errF *os.File) {
	stderr, err := unixsock.Conn(errF)
	if err != nil {
		dataF.Close()
		return
	}
	defer stderr.Close()
	w := &frameWriter{w: stderr}
	w.status(runExec(s.fs, s.children, command, dataF, w))
}

// frameWriter frames an exec's stderr so the exit status can follow it on
// the same stream (the daemon reads it in isolation's copyStderr).
type frameWriter struct{ w net.Conn }

func (f *frameWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), 32<<10)
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(n))
		if _, err := f.w.Write(hdr[:]); err != nil {
			return written, err
		}
		if _, err := f.w.Write(p[:n]); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

func (f *frameWriter) status(code int) {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], StatusFrame)
	binary.BigEndian.PutUint32(b[4:], uint32(code))
	_, _ = f.w.Write(b[:])
}

var _ io.Writer = (*frameWriter)(nil)

// StatusFrame marks the exit-status frame on an exec's stderr stream; the
// daemon's reader of that stream looks for it.
const StatusFrame = 0xFFFFFFFF
