package webfs

import (
	"context"
	"net"

	"github.com/gin-gonic/gin"

	"golang.org/x/sys/unix"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// connKey holds a request's connection in its context (http.Server.ConnContext).
type connKey struct{}

// corkThreshold is the body size from which a download is corked.
const corkThreshold = 1 << 20

// cork holds back partial TCP segments while a big body streams: crypto/tls
// writes one 16 KiB record per syscall, and on their own each would leave
// as a small segment and wake the client; corked, the kernel sends full
// segments. The returned func uncorks, which sends what is left at once.
func cork(ctx context.Context) (uncork func()) {
	tcp := tcpOf(ctx)
	if tcp == nil {
		return func() {}
	}
	rc, err := tcp.SyscallConn()
	if err != nil {
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
	b := batcherOf(ctx)
	if b == nil {
		return nil
	}
	tcp, _ := b.Conn.(*net.TCPConn)
	return tcp
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
