package batchio

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SysConn reads and writes a non-blocking socket with raw system calls,
// which the Go runtime does not treat as system calls a goroutine may
// block in. The socket never blocks (the netpoller waits for it instead),
// but a 32–256 KiB read or write still takes 20–40 µs, longer than one
// tick of the runtime's sysmon thread: through net.Conn, sysmon then
// takes the P away from the goroutine in the call and wakes another
// thread for it, and keeps polling every 20 µs instead of backing off.
// BENCH.md ("The Go runtime's share") has the measurements.
type SysConn struct {
	net.Conn
	rc syscall.RawConn
}

// NewSysConn wraps c when it is a socket the runtime polls, or returns c.
func NewSysConn(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return &SysConn{Conn: c, rc: rc}
}

// Read reads into p; io.EOF once the peer has closed its side.
func (c *SysConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno, err := rawRead(c.rc, p)
	if err := c.ioError("read", err, errno); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// rawRead makes one read of a non-blocking descriptor into p (not empty),
// waiting on the netpoller while there is nothing to read. err is the
// wait's (closed, past a deadline), errno the read's.
func rawRead(rc syscall.RawConn, p []byte) (n int, errno syscall.Errno, err error) {
	err = rc.Read(func(fd uintptr) bool {
		n, errno = rawIO(unix.SYS_READ, fd, p)
		return errno != unix.EAGAIN // on EAGAIN the netpoller waits for data
	})
	return n, errno, err
}

// SysReader reads a non-blocking file the runtime polls (a pipe) with
// raw system calls, for the reasons SysConn gives: a daemon reading a
// worker's full 1 MiB data pipe spends about 100 µs in each read.
type SysReader struct {
	f  *os.File
	rc syscall.RawConn
}

// NewSysReader wraps f when it is non-blocking (a raw read of a blocking
// file would stall its thread unseen by the runtime), or returns f.
func NewSysReader(f *os.File) io.Reader {
	rc, err := f.SyscallConn()
	if err != nil {
		return f
	}
	flags := 0 // stays 0, blocking, if F_GETFL fails
	_ = rc.Control(func(fd uintptr) { flags, _ = unix.FcntlInt(fd, unix.F_GETFL, 0) })
	if flags&unix.O_NONBLOCK == 0 {
		return f
	}
	return &SysReader{f: f, rc: rc}
}

// Read reads into p; io.EOF once every writer has closed.
func (r *SysReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno, err := rawRead(r.rc, p)
	switch {
	case err != nil:
		// The poller's wait fails past a deadline or once the file is
		// closed; os.File's own Read reports the latter as os.ErrClosed.
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			err = os.ErrClosed
		}
		return 0, &os.PathError{Op: "read", Path: r.f.Name(), Err: err}
	case errno != 0:
		return 0, &os.PathError{Op: "read", Path: r.f.Name(), Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, or fails. It holds the socket's write lock
// throughout, as net.Conn's Write does, so concurrent Writes never
// interleave.
func (c *SysConn) Write(p []byte) (int, error) {
	done := 0
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for done < len(p) {
			n, e := rawIO(unix.SYS_WRITE, fd, p[done:])
			switch e {
			case 0:
				done += n
			case unix.EAGAIN:
				return false // the netpoller waits until the socket has room
			default:
				errno = e
				return true
			}
		}
		return true
	})
	return done, c.ioError("write", err, errno)
}

// rawIO makes one read or write system call (trap) on p, again after
// EINTR; p is not empty.
func rawIO(trap, fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		r, _, e := unix.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if e != unix.EINTR {
			return int(r), e
		}
	}
}

// ioError is the error of a Read or Write whose wait for the socket
// ended with err (closed, or past a deadline) or whose last system call
// failed with errno; nil for neither.
func (c *SysConn) ioError(op string, err error, errno syscall.Errno) error {
	switch {
	case err != nil:
		return c.opError(op, err)
	case errno != 0:
		return c.opError(op, os.NewSyscallError(op, errno))
	}
	return nil
}

// opError wraps err as net.Conn's methods do, so errors.Is(err,
// net.ErrClosed) and os.ErrDeadlineExceeded keep working.
func (c *SysConn) opError(op string, err error) error {
	if _, ok := err.(*net.OpError); ok {
		return err
	}
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// CloseWrite shuts down the writing side, when the socket has one to
// shut (TCP and Unix stream sockets do).
func (c *SysConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.opError("close-write", syscall.ENOTSUP)
}
