package serve

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"golang.org/x/sys/unix"
)

// streamPair returns an sftpStream and the daemon's end of its socket.
func streamPair(t *testing.T) (*sftpStream, net.Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := unixsock.Conn(os.NewFile(uintptr(fds[0]), "worker"))
	if err != nil {
		t.Fatal(err)
	}
	daemon, err := net.FileConn(os.NewFile(uintptr(fds[1]), "daemon"))
	if err != nil {
		t.Fatal(err)
	}
	s := newSFTPStream(worker)
	t.Cleanup(func() { s.Close(); daemon.Close() })
	return s, daemon
}

// packet frames an SFTP packet of type typ with body.
func packet(typ byte, body ...[]byte) []byte {
	b := []byte{0, 0, 0, 0, typ}
	for _, part := range body {
		b = append(b, part...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func str(s string) []byte { return appendString(nil, s) }

func TestSFTPStreamPassesPacketsThrough(t *testing.T) {
	big := bytes.Repeat([]byte("w"), 200<<10)
	tests := []struct {
		name string
		in   []byte
	}{
		{"init", packet(1, u32(3))},
		{"other extension", packet(fxpExtended, u32(7), str("statvfs@openssh.com"), str("/"))},
		{"limits name as a prefix", packet(fxpExtended, u32(7), str("limits@openssh.com.evil"))},
		{"name longer than the packet", packet(fxpExtended, u32(7), u32(1<<30), []byte("limits@openssh.com"))},
		{"extended packet too big to inspect", packet(fxpExtended, u32(7), str("limits@openssh.com"), big)},
		{"write with a limits request in its data", packet(6, u32(9), str("h"), make([]byte, 8), str(string(packet(fxpExtended, u32(1), str(limitsExtension)))))},
		{"short extended packet", packet(fxpExtended, []byte{1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, daemon := streamPair(t)
			go daemon.Write(tt.in)
			got := make([]byte, len(tt.in))
			if _, err := io.ReadFull(s, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.in) {
				t.Fatalf("packet changed on its way to pkg/sftp")
			}
			daemon.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if n, _ := daemon.Read(make([]byte, 1)); n != 0 {
				t.Fatal("the stream answered a packet it should have passed on")
			}
		})
	}
}

func TestSFTPStreamAnswersLimits(t *testing.T) {
	s, daemon := streamPair(t)
	next := packet(3, u32(2), str("/data/x"), u32(1), u32(0))
	go daemon.Write(append(packet(fxpExtended, u32(42), str(limitsExtension)), next...))

	// pkg/sftp sees only the packet after the limits request...
	got := make([]byte, len(next))
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, next) {
		t.Fatalf("pkg/sftp got %x, want %x", got, next)
	}
	// ...and the client gets the limits reply.
	reply := make([]byte, 4+1+4+32)
	if _, err := io.ReadFull(daemon, reply); err != nil {
		t.Fatal(err)
	}
	want := packet(fxpExtendedReply, u32(42),
		binary.BigEndian.AppendUint64(nil, sftpMaxPacket), binary.BigEndian.AppendUint64(nil, sftpMaxIO),
		binary.BigEndian.AppendUint64(nil, sftpMaxIO), binary.BigEndian.AppendUint64(nil, sftpOpenHandles))
	if !bytes.Equal(reply, want) {
		t.Fatalf("limits reply %x, want %x", reply, want)
	}
}

func TestSFTPStreamAdvertisesLimitsOnce(t *testing.T) {
	s, daemon := streamPair(t)
	version := packet(fxpVersion, u32(3), str("statvfs@openssh.com"), str("2"))
	if _, err := s.Write(version); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(version); err != nil { // a second VERSION is not ours to touch
		t.Fatal(err)
	}
	want := append(packet(fxpVersion, u32(3), str("statvfs@openssh.com"), str("2"), str(limitsExtension), str("1")), version...)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(daemon, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
}

func TestSFTPStreamKeepsHeaderAndPayloadTogether(t *testing.T) {
	s, daemon := streamPair(t)
	s.Write(packet(fxpVersion, u32(3)))
	payload := bytes.Repeat([]byte("d"), 32<<10)
	header := []byte{0, 0, 0, 0, 103, 0, 0, 0, 5, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(header, uint32(len(header)-4+len(payload)))
	binary.BigEndian.PutUint32(header[9:], uint32(len(payload)))
	// A limits reply due while a header waits for its payload goes after it.
	if _, err := s.Write(header); err != nil {
		t.Fatal(err)
	}
	if err := s.send(limitsReply(9)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(payload); err != nil {
		t.Fatal(err)
	}
	want := append(append(append(withLimitsExtension(packet(fxpVersion, u32(3))), header...), payload...), limitsReply(9)...)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(daemon, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("packets interleaved or reordered")
	}
}
