package webfs

import (
	"context"
	"io"
	"net"
	"sync"
	"syscall"

	"github.com/gin-gonic/gin"

	"golang.org/x/sys/unix"

	"github.com/storage-agent/storage-agent/isolation/batchio"
	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// corkThreshold is the body size from which a download is corked.
const corkThreshold = 1 << 20

// cork holds back partial TCP segments while a big body streams: crypto/tls
// writes one 16 KiB record per syscall, and on their own each would leave
// as a small segment and wake the client; corked, the kernel sends full
// segments. The returned func uncorks, which sends what is left at once.
func cork(ctx context.Context) (uncork func()) {
	rc := batchio.TCPRawConn(batchio.ConnOf(ctx))
	if rc == nil {
		return func() {}
	}
	set := func(on int) {
		_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, on) })
	}
	set(1)
	return func() { set(0) }
}

// tcpOf returns the TCP connection under a request's TLS, or nil.
func tcpOf(ctx context.Context) *net.TCPConn {
	return batchio.TCPOf(batchio.ConnOf(ctx))
}

// Kernel send queues of a session's requests: the first few autotune (up
// to net.ipv4.tcp_wmem's maximum, 4 MiB by default, which fast downloads
// need); from the fifth request in flight on, each connection's queue is
// fixed at boundedSendBuffer, so that a session's stalled downloads hold a
// bounded amount of kernel memory (see README, Security).
const (
	autotunedRequests = 4
	boundedSendBuffer = 256 << 10
)

// boundSendQueue fixes the send buffer of the request's connection when
// the session already has autotunedRequests in flight, and reports whether
// it did: such a request also reads its download in small chunks (see
// downloadReadSize).
func boundSendQueue(ctx context.Context, inFlight int) (bounded bool) {
	if inFlight <= autotunedRequests {
		return false
	}
	if tcp := tcpOf(ctx); tcp != nil {
		_ = tcp.SetWriteBuffer(boundedSendBuffer)
	}
	return true
}

// downloadReadSize is how much of a download's pipe one read takes. The
// worker keeps the pipe full, and each read of a full pipe wakes it:
// reading the whole pipe (1 MiB) wakes it a quarter as often as copyBuffer
// does (server CPU 1.09, 0.88 s/GiB before, 0.73, 0.74 after; BENCH.md).
// A session's requests past autotunedRequests keep to copyBuffer, so its
// stalled downloads hold bounded memory.
func downloadReadSize(c *gin.Context) int {
	if c.GetBool(keyBounded) {
		return copyBuffer
	}
	return webproto.DataPipeSize
}

// Request bodies from browsers arrive as one 16 KiB TLS record per write
// (Chromium's upload buffer), and each arrival woke the daemon: 2.5 s of
// daemon CPU per GiB of a browser's upload against 1.7 for curl's. While
// more than lowWaterTail of a body is still to come, its socket is told
// (SO_RCVLOWAT) to wake the reader only once lowWater bytes are queued.
// The tail is read as usual: TLS may hold read-ahead the kernel no longer
// counts (at most a few records), and the last bytes of a body must wake
// the reader, or the request would wait for bytes that never come.
const (
	lowWater     = 256 << 10
	lowWaterTail = 1 << 20
)

// lowWaterBody returns body, the request's, read with the socket's
// low-water mark raised while much of it is left, and a func that restores
// the mark; call it before the handler returns (net/http reads the next
// request on the same socket).
func lowWaterBody(c *gin.Context, body io.Reader) (io.Reader, func()) {
	n := c.Request.ContentLength
	if n <= lowWaterTail {
		return body, func() {}
	}
	rc := batchio.TCPRawConn(batchio.ConnOf(c.Request.Context()))
	if rc == nil {
		return body, func() {}
	}
	lw := &lowWaterReader{r: body, left: n, rc: rc}
	lw.set(lowWater)
	return lw, func() { lw.set(1) }
}

// lowWaterReader drops the socket's low-water mark to 1 once the body's
// tail is reached.
type lowWaterReader struct {
	r    io.Reader
	left int64 // body bytes not yet returned
	rc   syscall.RawConn
	mu   sync.Mutex // restore may run while the worker's relay still reads
	mark int
}

func (l *lowWaterReader) Read(p []byte) (int, error) {
	if l.left <= lowWaterTail {
		l.set(1)
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// set sets SO_RCVLOWAT to mark unless it is set already.
func (l *lowWaterReader) set(mark int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mark == mark {
		return
	}
	l.mark = mark
	_ = l.rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVLOWAT, mark) })
}
