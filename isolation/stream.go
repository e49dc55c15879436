package isolation

import (
	"bufio"
	"net"

	"github.com/storage-agent/storage-agent/isolation/batchio"
)

// bufferedStream wraps a worker's end of a stream: pkg/sftp reads every
// packet in two small reads and writes every reply on its own; buffering
// both directions turns those into a few large syscalls.
type bufferedStream struct {
	conn *net.UnixConn
	r    *bufio.Reader
	w    *batchio.Writer
}

func newBufferedStream(c *net.UnixConn) *bufferedStream {
	return &bufferedStream{conn: c, r: bufio.NewReaderSize(c, 256<<10), w: batchio.NewWriter(c, 1<<20)}
}

func (s *bufferedStream) Read(p []byte) (int, error) { return s.r.Read(p) }

// Write batches small replies (status packets of an upload, one per 32 KiB
// written) and writes large ones (data of a download) directly after what
// is queued: copying those into the batch cost more than the syscalls it
// saved. Interleaved A/B, 18 runs each of a 1 GiB sftp get: median 1.31 s
// against 1.35 s all-batched; uploads unchanged.
func (s *bufferedStream) Write(p []byte) (int, error) {
	if len(p) < directWrite {
		return s.w.Write(p)
	}
	if err := s.w.Flush(); err != nil {
		return 0, err
	}
	return s.conn.Write(p)
}

// directWrite is the reply size from which bufferedStream writes directly.
const directWrite = 16 << 10

// Close sends what is queued, then closes the stream.
func (s *bufferedStream) Close() error {
	_ = s.w.Close()
	return s.conn.Close()
}
