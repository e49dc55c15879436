package batchio

import (
	"bufio"
	"net"
	"time"
)

// Buffer sizes of a Conn. x/crypto/ssh reads through a 4 KiB buffer and
// flushes every 32 KiB packet, several syscalls per packet at line rate;
// these make it a few per 256 KiB. (Measured: under crypto/tls the same
// wrapping slows downloads, so webfs does not use it.)
const (
	connReadBuffer  = 256 << 10
	connWriteBuffer = 1 << 20
	closeFlushLimit = 5 * time.Second
)

// Conn is a net.Conn whose reads are buffered and whose writes are
// coalesced by a Writer. The protocol above never notices: it still sees a
// stream of bytes.
type Conn struct {
	net.Conn
	r *bufio.Reader
	w *Writer
}

// NewConn wraps c.
func NewConn(c net.Conn) *Conn {
	c = NewSysConn(c)
	return &Conn{Conn: c, r: bufio.NewReaderSize(c, connReadBuffer), w: NewWriter(c, connWriteBuffer)}
}

// Read reads through the buffer.
func (c *Conn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Write queues p; see Writer.
func (c *Conn) Write(p []byte) (int, error) { return c.w.Write(p) }

// Close sends what is queued (a protocol's last goodbye), bounded in time so
// a peer that stopped reading cannot hold us, then closes the connection.
func (c *Conn) Close() error {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushLimit))
	_ = c.w.Close()
	return c.Conn.Close()
}
