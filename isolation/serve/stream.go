package serve

import (
	"bufio"
	"encoding/binary"
	"net"
	"sync"
	"syscall"

	"github.com/storage-agent/storage-agent/isolation/batchio"
)

// sftpStream is the worker's end of an sftp stream, between the daemon and
// pkg/sftp. It buffers both directions (pkg/sftp reads every packet in two
// small reads and writes every reply on its own: whole from its request
// server, as a header Write followed by a payload Write from its plain
// one), it sends data replies' file bytes itself (see sftpsend.go), and it
// serves limits@openssh.com (see sftplimits.go).
type sftpStream struct {
	conn *net.UnixConn
	r    *bufio.Reader
	w    *batchio.Writer

	left int64 // bytes of the current incoming packet not yet read

	mu sync.Mutex // Writes come from pkg/sftp and from Read (limits replies)
	// held is a packet header whose payload is the next Write: a data
	// reply goes out as one writev of both instead of a batched header and
	// a direct payload, which cost a flusher hand-off per reply.
	held        []byte
	heldBuf     [64]byte
	vec         net.Buffers
	after       []byte // a limits reply to send once the held packet is out
	versionSent bool   // the VERSION reply has gone out

	reads pendingReads // the file ranges data replies stand for (sftpsend.go)
	raw   syscall.RawConn
}

func newSFTPStream(c *net.UnixConn) (*sftpStream, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &sftpStream{conn: c, raw: raw, r: bufio.NewReaderSize(c, 256<<10), w: batchio.NewWriter(c, 1<<20)}, nil
}

// Read passes the client's packets to pkg/sftp, except limits requests,
// which it answers.
func (s *sftpStream) Read(p []byte) (int, error) {
	for s.left == 0 {
		hdr, err := s.r.Peek(5)
		if err != nil {
			return s.r.Read(p) // what is left of a broken stream, then its error
		}
		size := 4 + int64(binary.BigEndian.Uint32(hdr))
		if hdr[4] == fxpExtended && size <= maxPeekedRequest {
			if pkt, err := s.r.Peek(int(size)); err == nil {
				if id, ok := limitsRequestID(pkt); ok {
					_, _ = s.r.Discard(int(size))
					if err := s.send(limitsReply(id)); err != nil {
						return 0, err
					}
					continue
				}
			}
		}
		s.left = size
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	return n, err
}

// send writes a reply of the stream's own between pkg/sftp's packets.
func (s *sftpStream) send(pkt []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held != nil {
		s.after = pkt
		return nil
	}
	_, err := s.w.Write(pkt)
	return err
}

// Write batches small replies (status packets of an upload) and writes
// large ones (data of a download) directly after what is queued: copying
// those into the batch cost more than the syscalls it saved.
func (s *sftpStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.versionSent {
		s.versionSent = true
		if v := withLimitsExtension(p); v != nil {
			if _, err := s.w.Write(v); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	if s.held == nil && isDataReply(p) {
		// pkg/sftp's request server writes a data reply whole (header
		// in front of the data in ReadAt's buffer).
		return s.writeData(p[:dataHeaderLen], p, p[dataHeaderLen:])
	}
	if s.held == nil && len(p) >= 4 && len(p) <= len(s.heldBuf) &&
		int64(binary.BigEndian.Uint32(p))+4 > int64(len(p)) {
		// A header announcing more than it holds: its payload follows.
		s.held = append(s.heldBuf[:0], p...)
		return len(p), nil
	}
	if s.held == nil {
		return s.write(nil, p)
	}
	header := s.held
	s.held = nil
	defer s.sendAfter()
	if len(header) > 4 && header[4] == fxpData {
		return s.writeData(header, p, p)
	}
	return s.write(header, p)
}

// writeData sends a data reply: its header, then the file range ReadAt
// noted under the reply's buffer buf, or payload itself if the read filled
// it. It returns len(buf). pkg/sftp carries on after a reply it could not
// send, so a failure here ends the stream: the client sees the session's
// sftp end rather than wait for the reply, or read a reply cut short.
func (s *sftpStream) writeData(header, buf, payload []byte) (int, error) {
	n, err := s.sendData(header, buf, payload)
	if err != nil {
		_ = s.conn.Close()
	}
	return n, err
}

func (s *sftpStream) sendData(header, buf, payload []byte) (int, error) {
	rd, ok := s.reads.take(buf, len(payload))
	if !ok {
		return 0, errUnnotedData
	}
	if rd.f == nil {
		if _, err := s.write(header, payload); err != nil {
			return 0, err
		}
		return len(buf), nil
	}
	if err := s.w.Flush(); err != nil {
		return 0, err
	}
	if _, err := s.conn.Write(header); err != nil {
		return 0, err
	}
	if err := sendFile(s.raw, rd.f, rd.off, rd.n); err != nil {
		return 0, err
	}
	return len(buf), nil
}

// write sends header (which may be empty) and p: small replies into the
// batch, large ones directly after what is queued, both in one writev.
func (s *sftpStream) write(header, p []byte) (int, error) {
	if len(p) < directWrite {
		if len(header) > 0 {
			if _, err := s.w.Write(header); err != nil {
				return 0, err
			}
		}
		return s.w.Write(p)
	}
	if err := s.w.Flush(); err != nil {
		return 0, err
	}
	s.vec = append(s.vec[:0], header, p)
	if _, err := s.vec.WriteTo(s.conn); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *sftpStream) sendAfter() {
	if s.after != nil {
		_, _ = s.w.Write(s.after)
		s.after = nil
	}
}

// isDataReply reports whether p is a whole SSH_FXP_DATA reply with data.
func isDataReply(p []byte) bool {
	return len(p) > dataHeaderLen && p[4] == fxpData &&
		int(binary.BigEndian.Uint32(p))+4 == len(p) &&
		int(binary.BigEndian.Uint32(p[9:]))+dataHeaderLen == len(p)
}

// dataHeaderLen is the length of an SSH_FXP_DATA header: length, type,
// id, data length.
const dataHeaderLen = 4 + 1 + 4 + 4

// directWrite is the reply size from which sftpStream writes directly.
const directWrite = 16 << 10

// Close sends what is queued, then closes the stream.
func (s *sftpStream) Close() error {
	s.mu.Lock()
	if s.held != nil { // a header without its payload: the stream is broken anyway
		_, _ = s.w.Write(s.held)
		s.held = nil
	}
	s.sendAfter()
	s.mu.Unlock()
	_ = s.w.Close()
	return s.conn.Close()
}
