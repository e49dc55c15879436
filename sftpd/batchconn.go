package sftpd

import (
	"bufio"
	"net"
	"time"

	"github.com/storage-agent/storage-agent/isolation/batchio"
)

// Buffer sizes of a client connection. x/crypto/ssh reads through a 4 KiB
// bufio.Reader and flushes every packet; at line speed that is several
// syscalls per 32 KiB packet. These make it a few per 256 KiB.
const (
	connReadBuffer  = 256 << 10
	connWriteBuffer = 1 << 20
	closeFlushLimit = 5 * time.Second
)

// batchedConn is a net.Conn whose reads are buffered and whose writes are
// coalesced (see batchio). The SSH layer never notices: it still sees a
// stream of bytes.
type batchedConn struct {
	net.Conn
	r *bufio.Reader
	w *batchio.Writer
}

func newBatchedConn(c net.Conn) *batchedConn {
	return &batchedConn{Conn: c, r: bufio.NewReaderSize(c, connReadBuffer), w: batchio.NewWriter(c, connWriteBuffer)}
}

func (c *batchedConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *batchedConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// Close sends what is queued (the last exit-status and close messages),
// bounded in time so a peer that stopped reading cannot hold us, then
// closes the connection.
func (c *batchedConn) Close() error {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlushLimit))
	_ = c.w.Close()
	return c.Conn.Close()
}
