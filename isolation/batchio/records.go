package batchio

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// RecordChunk is how much of a body a server hands crypto/tls per Hold:
// 16 records of 16 KiB, which then leave in one write.
const RecordChunk = 256 << 10

// RecordConn sits under crypto/tls and can hold its writes back: TLS
// writes each 16 KiB record with a syscall of its own, 65,536 per GiB
// downloaded. A download holds the connection while it hands TLS a chunk
// of the body and releases it after, so the chunk's records leave in one
// write. Held bytes are only ever kept for the length of one handler
// write, by the goroutine that will release them; everything else (other
// handlers, TLS alerts) writes through.
type RecordConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  *[]byte    // held bytes, from bufs
	bufs *sync.Pool // shared by the listener's connections, so an idle one keeps none
}

// newRecordBuffers returns the pool of hold buffers for one listener.
func newRecordBuffers() *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, 0, RecordChunk+RecordChunk/8); return &b }}
}

// Write writes p through, or keeps it while the connection is held.
func (b *RecordConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.held {
		return b.Conn.Write(p)
	}
	*b.buf = append(*b.buf, p...)
	return len(p), nil
}

// Hold starts keeping writes back.
func (b *RecordConn) Hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held = true
	b.buf = b.bufs.Get().(*[]byte)
}

// Release writes what was held, in one write, and writes through again.
func (b *RecordConn) Release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.held {
		return nil
	}
	b.held = false
	var err error
	if len(*b.buf) > 0 {
		_, err = b.Conn.Write(*b.buf)
	}
	*b.buf = (*b.buf)[:0]
	b.bufs.Put(b.buf)
	b.buf = nil
	return err
}

// recordListener wraps every accepted connection in a RecordConn.
type recordListener struct {
	net.Listener
	bufs *sync.Pool
}

// NewRecordListener returns ln with every accepted connection wrapped in a
// RecordConn; put crypto/tls's listener on top of it.
func NewRecordListener(ln net.Listener) net.Listener {
	return recordListener{Listener: ln, bufs: newRecordBuffers()}
}

func (l recordListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &RecordConn{Conn: NewSysConn(c), bufs: l.bufs}, nil
}

// connKey holds a request's connection in its context.
type connKey struct{}

// WithConn is an http.Server ConnContext: it keeps the connection in each
// request's context, for RecordConnOf.
func WithConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnOf returns the connection WithConn kept in ctx, or nil.
func ConnOf(ctx context.Context) net.Conn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	return c
}

// TCPOf returns the TCP connection under c (a RecordConn, a SysConn, a
// TLS connection over them), or nil: for socket options.
func TCPOf(c net.Conn) *net.TCPConn {
	for {
		switch u := c.(type) {
		case *net.TCPConn:
			return u
		case *tls.Conn:
			c = u.NetConn()
		case *RecordConn:
			c = u.Conn
		case *SysConn:
			c = u.Conn
		default:
			return nil
		}
	}
}

// TCPRawConn returns the raw TCP socket under c (see TCPOf), or nil: for
// socket options set through Control.
func TCPRawConn(c net.Conn) syscall.RawConn {
	tcp := TCPOf(c)
	if tcp == nil {
		return nil
	}
	rc, err := tcp.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// RecordConnOf returns the RecordConn under the request connection kept in
// ctx (under its TLS), or nil.
func RecordConnOf(ctx context.Context) *RecordConn {
	c := ConnOf(ctx)
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	b, _ := c.(*RecordConn)
	return b
}

// notSentLowWater is how much of a relayed body may wait in the kernel's
// send queue unsent. Left unbounded, a download faster than its client
// fills the whole send buffer, and that data then leaves on the client's
// ACKs, sent (and, over loopback, received) by the kernel in the client's
// time: curl spent a fifth more CPU per GiB against us than against
// nginx, 8% of it sending our bytes, and copied colder data. Bounded, our
// writes send the bytes themselves (BENCH.md, "Who sends the bytes").
const notSentLowWater = 128 << 10

// limitNotSent sets c's TCP_NOTSENT_LOWAT to n, when c is over TCP, and
// returns the func that puts the previous value back.
func limitNotSent(c net.Conn, n int) (restore func()) {
	rc := TCPRawConn(c)
	if rc == nil {
		return func() {}
	}
	prev, perr := 0, error(nil)
	_ = rc.Control(func(fd uintptr) {
		if prev, perr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT); perr == nil {
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, n)
		}
	})
	if perr != nil {
		return func() {}
	}
	return func() {
		_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, prev) })
	}
}

// FlushWriter is an HTTP response body: Flush pushes what the HTTP layer
// buffered into the connection (http.Flusher's Flush).
type FlushWriter interface {
	io.Writer
	Flush()
}

// Relay copies r to w, reading up to readSize at a time and handing w a
// RecordChunk at a time while b is held, so each chunk's TLS records
// leave in one write. It returns the bytes written and the first error;
// io.EOF from r ends it without error.
func (b *RecordConn) Relay(w FlushWriter, r io.Reader, readSize int) (int64, error) {
	defer limitNotSent(b.Conn, notSentLowWater)()
	buf := make([]byte, max(readSize, RecordChunk))
	var total int64
	for {
		n, err := r.Read(buf)
		for chunk := buf[:n]; len(chunk) > 0; {
			k := min(len(chunk), RecordChunk)
			b.Hold()
			m, werr := w.Write(chunk[:k])
			w.Flush() // what the HTTP layer buffered, into TLS, into the hold
			if rerr := b.Release(); werr == nil {
				werr = rerr
			}
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			chunk = chunk[k:]
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
