package execio

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
)

// BufSize sizes the buffers of commands that move file data: large
// enough that a 1 GiB transfer costs a few thousand syscalls, not millions.
const BufSize = 1 << 20

// IO is what a command served by the worker talks through: the session's
// file tree, the exec's stdin and stdout (one stream socket, buffered both
// ways) and its framed stderr.
type IO struct {
	Tree   *sessionfs.FS
	Conn   *net.UnixConn // stdin and stdout, unbuffered (for bulk copies)
	In     *bufio.Reader
	Out    *bufio.Writer
	Stderr io.Writer
}

// New wraps an exec's stream data (which it takes over) and stderr.
func New(tree *sessionfs.FS, data *os.File, stderr io.Writer) (*IO, error) {
	conn, err := unixsock.Conn(data)
	if err != nil {
		return nil, err
	}
	return &IO{
		Tree:   tree,
		Conn:   conn,
		In:     bufio.NewReaderSize(conn, 256<<10),
		Out:    bufio.NewWriterSize(conn, 256<<10),
		Stderr: stderr,
	}, nil
}

// Close flushes stdout and ends the stream. The session file tree is the
// worker's own, shared by every request, and stays open.
func (x *IO) Close() {
	_ = x.Out.Flush()
	_ = x.Conn.Close()
}

// ErrText renders an error the way coreutils and OpenSSH print one:
// strerror's wording ("No such file or directory") without Go's
// "open x:" prefixes, which would repeat the path.
func ErrText(err error) string {
	var errno syscall.Errno
	switch {
	case errors.Is(err, sessionfs.ErrReadOnly):
		return "Read-only folder"
	case errors.Is(err, sessionfs.ErrVirtual):
		return "Permission denied (the session root holds only its folders)"
	case errors.As(err, &errno):
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
