package serve

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/pkg/sftp"
	"github.com/storage-agent/storage-agent/isolation/serve/writebehind"
	"golang.org/x/sys/unix"
)

// SFTP downloads skip the worker's copies. pkg/sftp answers a READ by
// calling the handle's ReadAt into a buffer and then writing the reply
// from that same buffer: the request server shifts the data up to put the
// header in front and writes the whole packet (fileget, orderedResponse
// and sshFxpDataPacket.MarshalBinary in pkg/sftp v1.13); its plain server
// writes the header and then the buffer. The handles given to pkg/sftp
// here do not read: ReadAt notes the file range under the buffer's address
// and returns its length, and when the stream is handed that buffer as a
// reply it sends the header and then the range with sendfile(2), so the file's cached pages go to the
// daemon's socket without being copied into the worker and out again
// (stream_test.go and worker_test.go check the bytes sent). The stream
// refuses a data reply it holds no range for, so a pkg/sftp that copied the
// buffer would break downloads loudly, never send a buffer's stale bytes.

// errShrunk is a file that ended before a range promised in a reply was
// sent: it was truncated while a READ was in flight. The reply's length is
// already out, so the stream ends instead of sending other bytes.
var errShrunk = errors.New("file shrank while a read was in flight")

// errUnnotedData is a data reply whose payload no ReadAt of ours noted.
var errUnnotedData = errors.New("sftp stream: data reply without a pending read")

// streamFS is a session's tree as one SFTP stream serves it: the stream
// sends what its files' handles read.
type streamFS struct {
	*sessionFS
	stream *sftpStream
}

// Fileread opens a file for reading.
func (s streamFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, err := s.openSent(r.Filepath)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// openSent opens the file at a session path for reading, its reads sent
// by the stream.
func (s streamFS) openSent(p string) (*sentFile, error) {
	f, err := s.openRead(p)
	if err != nil {
		return nil, err
	}
	return &sentFile{File: f, reads: &s.stream.reads}, nil
}

// Filewrite opens a file for writing with the client's open flags.
func (s streamFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return s.OpenFile(r)
}

// OpenFile opens a file for reading and/or writing.
func (s streamFS) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	pf := r.Pflags()
	if !pf.Write && !pf.Creat && !pf.Trunc {
		f, err := s.openSent(r.Filepath)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	f, err := s.openWrite(r)
	if err != nil {
		return nil, err
	}
	return &sentWritable{File: f, reads: &s.stream.reads}, nil
}

// sentFile is a handle opened for reading: its reads are sent by the stream.
type sentFile struct {
	*os.File
	reads *pendingReads
}

// ReadAt notes the range for the reply that will carry p.
func (f *sentFile) ReadAt(p []byte, off int64) (int, error) { return f.reads.note(f.File, p, off) }

// sentWritable is a handle opened for writing; what it reads back is sent
// by the stream too (writes go straight to the file, so the range sent
// holds them).
type sentWritable struct {
	*writebehind.File
	reads *pendingReads
}

// ReadAt notes the range for the reply that will carry p.
func (f *sentWritable) ReadAt(p []byte, off int64) (int, error) {
	return f.reads.note(f.File.File, p, off)
}

// pendingRead is a range of a file a data reply's payload stands for; a
// nil file means the payload holds the bytes read.
type pendingRead struct {
	f   *os.File
	off int64
	n   int
}

// pendingReads maps the buffers pkg/sftp will write as data payloads to
// the ranges they stand for. It is safe for concurrent use: pkg/sftp reads
// in several goroutines while one writes the replies.
type pendingReads struct {
	mu sync.Mutex
	m  map[*byte]pendingRead
}

// note is ReadAt for f: it returns the number of bytes f holds at off, up
// to len(p), and notes them under p. Only a regular file's size says what
// a read would return, so any other file is read into p.
func (r *pendingReads) note(f *os.File, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if off < 0 {
		return 0, &os.PathError{Op: "read", Path: f.Name(), Err: syscall.EINVAL}
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		n, err := f.ReadAt(p, off)
		if n > 0 {
			r.put(p, pendingRead{n: n})
		}
		return n, err
	}
	if off >= st.Size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), st.Size-off))
	r.put(p, pendingRead{f: f, off: off, n: n})
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *pendingReads) put(p []byte, rd pendingRead) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[*byte]pendingRead)
	}
	r.m[&p[0]] = rd
}

// take removes and returns the read of n bytes noted under buf. No read
// is noted under an empty buffer (note returns 0 for one).
func (r *pendingReads) take(buf []byte, n int) (pendingRead, bool) {
	if len(buf) == 0 {
		return pendingRead{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rd, ok := r.m[&buf[0]]
	if !ok || rd.n != n {
		return pendingRead{}, false
	}
	delete(r.m, &buf[0])
	return rd, true
}

// sendFile writes n bytes of src from off to the socket behind rc with
// sendfile(2), which hands the file's cached pages to the socket without
// copying them. It holds src's descriptor meanwhile, so a CLOSE of the
// handle processed before this reply goes out cannot free the number for
// another file: the send fails instead.
func sendFile(rc syscall.RawConn, src *os.File, off int64, n int) error {
	sc, err := src.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) { serr = sendFD(rc, int(fd), off, n) }); err != nil {
		return fmt.Errorf("sftp stream: %s: %w", src.Name(), err)
	}
	if serr != nil {
		return fmt.Errorf("sftp stream: %s: %w", src.Name(), serr)
	}
	return nil
}

func sendFD(rc syscall.RawConn, fd int, off int64, n int) error {
	for n > 0 {
		var sent int
		var serr error
		err := rc.Write(func(sock uintptr) bool {
			sent, serr = unix.Sendfile(int(sock), fd, &off, n)
			return serr != unix.EAGAIN
		})
		switch {
		case err != nil:
			return err
		case serr == unix.EINTR:
			continue
		case serr != nil:
			return fmt.Errorf("sendfile: %w", serr)
		case sent == 0:
			return errShrunk
		}
		n -= sent
	}
	return nil
}
