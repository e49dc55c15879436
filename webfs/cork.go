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
	b := batcherOf(ctx)
	if b == nil {
		return func() {}
	}
	tcp, ok := b.Conn.(*net.TCPConn)
	if !ok {
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
