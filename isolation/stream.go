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

func (s *bufferedStream) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *bufferedStream) Write(p []byte) (int, error) { return s.w.Write(p) }

// Close sends what is queued, then closes the stream.
func (s *bufferedStream) Close() error {
	_ = s.w.Close()
	return s.conn.Close()
}
