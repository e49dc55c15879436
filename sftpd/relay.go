package sftpd

import (
	"context"
	"io"

	"golang.org/x/crypto/ssh"
)

// relay copies bytes between an SSH channel and the worker's sftp stream
// until the worker's side ends, then reports exit status 0 and closes the
// channel. Each direction has one buffer for its whole life (see upBufSize).
func (c *conn) relay(ch ssh.Channel, stream io.ReadWriteCloser) {
	// A dropped connection or closed session must also unblock a worker
	// that is waiting for requests.
	stop := context.AfterFunc(c.ctx, func() { stream.Close() })
	defer stop()

	up := make(chan struct{})
	go func() {
		defer close(up)
		buf := c.srv.upBufs.Get().(*[]byte)
		defer c.srv.upBufs.Put(buf)
		_, err := io.CopyBuffer(writerOnly{stream}, readerOnly{ch}, *buf)
		// The client sent EOF: pass it on, so the worker answers what is
		// still queued and then ends its side, which ends the copy below.
		if cw, ok := stream.(interface{ CloseWrite() error }); ok && err == nil {
			cw.CloseWrite()
			return
		}
		stream.Close()
	}()

	buf := c.srv.downBufs.Get().(*[]byte)
	_, err := io.CopyBuffer(writerOnly{ch}, readerOnly{stream}, *buf)
	c.srv.downBufs.Put(buf)
	if err != nil {
		c.log.Debug("sftp relay ended", "err", err)
	}
	stream.Close()
	exit(ch, 0) // also ends the upward copy: reads of a closed channel return EOF
	<-up
}

// readerOnly and writerOnly hide WriterTo/ReaderFrom, so io.CopyBuffer uses
// our large buffer instead of a 32 KiB one of its own.
type readerOnly struct{ io.Reader }
type writerOnly struct{ io.Writer }
