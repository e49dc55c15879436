package serve

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
)

// offered names, for refusals, what an exec request may run here.
const offered = "this server offers sftp, scp, rsync, md5sum, sha1sum, sha256sum and sha512sum"

// execBufSize sizes the buffers of commands that move file data: large
// enough that a 1 GiB transfer costs a few thousand syscalls, not millions.
const execBufSize = 1 << 20

// execIO is what a command served by the worker talks through: the
// session's file tree, the exec's stdin and stdout (one stream socket,
// buffered both ways) and its framed stderr.
type execIO struct {
	sfs    *sessionFS
	conn   *net.UnixConn
	in     *bufio.Reader
	out    *bufio.Writer
	stderr io.Writer
}

// runExec serves one exec command line and returns its exit status. It
// owns data, the exec's stdin/stdout stream, and closes it before it
// returns, so the daemon sees EOF before the status.
func runExec(sfs *sessionFS, children *launcher, command string, data *os.File, stderr io.Writer) int {
	words, err := splitWords(command)
	if err != nil {
		data.Close()
		fmt.Fprintf(stderr, "storage-agent: %v; %s\n", err, offered)
		return 2
	}
	if len(words) == 0 {
		data.Close()
		fmt.Fprintf(stderr, "storage-agent: an empty command is not available here; %s\n", offered)
		return 127
	}
	argv := wordTexts(words)
	name := commandName(argv[0])
	switch name {
	case "rsync":
		return runRsync(children, sfs.Names(), argv, data, stderr)
	case "scp", "md5sum", "sha1sum", "sha256sum", "sha512sum":
	default:
		data.Close()
		fmt.Fprintf(stderr, "storage-agent: %q is not available here; %s\n", argv[0], offered)
		return 127
	}
	x, err := newExecIO(sfs, data, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "storage-agent: %v\n", err)
		return 1
	}
	defer x.close()
	if name == "scp" {
		return runSCP(x, words)
	}
	return runChecksum(x, name, argv[1:])
}

// commandName maps argv[0] to the command it names; clients sometimes send
// an absolute path (rsync --rsync-path=/usr/bin/rsync).
func commandName(arg0 string) string {
	for _, dir := range []string{"/usr/bin/", "/bin/", "/usr/local/bin/"} {
		if rest, ok := strings.CutPrefix(arg0, dir); ok {
			return rest
		}
	}
	return arg0
}

func newExecIO(sfs *sessionFS, data *os.File, stderr io.Writer) (*execIO, error) {
	conn, err := unixsock.Conn(data)
	if err != nil {
		return nil, err
	}
	return &execIO{
		sfs:    sfs,
		conn:   conn,
		in:     bufio.NewReaderSize(conn, 256<<10),
		out:    bufio.NewWriterSize(conn, 256<<10),
		stderr: stderr,
	}, nil
}

// close flushes stdout and ends the stream. The session file tree is the
// worker's own, shared by every request, and stays open.
func (x *execIO) close() {
	_ = x.out.Flush()
	_ = x.conn.Close()
}

// errText renders an error the way coreutils and OpenSSH print one:
// strerror's wording ("No such file or directory") without Go's
// "open x:" prefixes, which would repeat the path.
func errText(err error) string {
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
