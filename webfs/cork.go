package webfs

import (
	"context"
	"net"

	"golang.org/x/sys/unix"
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
// the session already has autotunedRequests in flight.
func boundSendQueue(ctx context.Context, inFlight int) {
	if inFlight <= autotunedRequests {
		return
	}
	if tcp := tcpOf(ctx); tcp != nil {
		_ = tcp.SetWriteBuffer(boundedSendBuffer)
	}
}
