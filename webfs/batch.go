package webfs

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
)

// recordBatcher sits under crypto/tls and can hold its writes back: TLS
// writes each 16 KiB record with a syscall of its own, 65,536 per GiB
// downloaded. A download holds the connection while it hands TLS a chunk
// of the file and releases it after, so the chunk's records leave in one
// write. Held bytes are only ever kept for the length of one handler
// write, by the goroutine that will release them; everything else (other
// handlers, TLS alerts) writes through.
type recordBatcher struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  *[]byte    // held bytes, from bufs
	bufs *sync.Pool // shared by the listener's connections, so an idle one keeps none
}

// newBatchBuffers returns the pool of hold buffers for one listener.
func newBatchBuffers() *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, 0, copyBuffer+copyBuffer/8); return &b }}
}

func (b *recordBatcher) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.held {
		return b.Conn.Write(p)
	}
	*b.buf = append(*b.buf, p...)
	return len(p), nil
}

// hold starts keeping writes back.
func (b *recordBatcher) hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held = true
	b.buf = b.bufs.Get().(*[]byte)
}

// release writes what was held, in one write, and writes through again.
func (b *recordBatcher) release() error {
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

// batchListener wraps every accepted connection in a recordBatcher.
type batchListener struct {
	net.Listener
	bufs *sync.Pool
}

func (l batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordBatcher{Conn: c, bufs: l.bufs}, nil
}

// batcherOf returns the recordBatcher under the connection of a request's
// context (see connKey), or nil.
func batcherOf(ctx context.Context) *recordBatcher {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	b, _ := c.(*recordBatcher)
	return b
}
