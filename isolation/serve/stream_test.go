package serve

import (
	"bytes"
	"encoding/binary"
	"errors"
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
	s, err := newSFTPStream(worker)
	if err != nil {
		t.Fatal(err)
	}
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
	f := fileWith(t, payload)
	buf := make([]byte, len(payload))
	if n, err := s.reads.note(f, buf, 0); n != len(buf) || err != nil {
		t.Fatalf("note: %d, %v", n, err)
	}
	header := dataHeader(5, len(payload))
	// A limits reply due while a header waits for its payload goes after it.
	if _, err := s.Write(header); err != nil {
		t.Fatal(err)
	}
	if err := s.send(limitsReply(9)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(buf); err != nil {
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

// fileWith returns a file holding content, open for reading.
func fileWith(t *testing.T, content []byte) *os.File {
	t.Helper()
	p := t.TempDir() + "/f"
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// dataHeader is the header pkg/sftp writes before a data reply's payload.
func dataHeader(id uint32, n int) []byte {
	h := []byte{0, 0, 0, 0, fxpData}
	h = binary.BigEndian.AppendUint32(h, id)
	h = binary.BigEndian.AppendUint32(h, uint32(n))
	binary.BigEndian.PutUint32(h, uint32(len(h)-4+n))
	return h
}

// reply plays pkg/sftp answering a READ of n bytes at off: ReadAt into a
// buffer, then the header and the buffer as the payload.
func reply(t *testing.T, s *sftpStream, f *os.File, id uint32, off int64, n int) (int, error) {
	t.Helper()
	buf := make([]byte, n)
	got, err := s.reads.note(f, buf, off)
	if got == 0 {
		return 0, err
	}
	if _, err := s.Write(dataHeader(id, got)); err != nil {
		t.Fatal(err)
	}
	return s.Write(buf[:got])
}

// writeWhole writes a data reply as pkg/sftp's request server does
// (sshFxpDataPacket.MarshalBinary): the data shifted up in its own buffer
// to put header h in front, written whole.
func writeWhole(t *testing.T, s *sftpStream, h, data []byte) {
	t.Helper()
	b := append(data, make([]byte, len(h))...)
	if &b[0] != &data[0] {
		t.Fatal("test buffer too small to reply in place")
	}
	copy(b[len(h):], data)
	copy(b, h)
	if n, err := s.Write(b); n != len(b) || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
}

func TestSFTPStreamSendsReadRanges(t *testing.T) {
	content := make([]byte, 300<<10)
	for i := range content {
		content[i] = byte(i * 7)
	}
	f := fileWith(t, content)
	s, daemon := streamPair(t)
	out := make(chan []byte)
	go func() { b, _ := io.ReadAll(daemon); out <- b }()
	// A whole read, a read cut short by the end of the file, a read past it.
	var want []byte
	for i, r := range []struct {
		off  int64
		n    int
		want int
		eof  bool
	}{
		{0, 255 << 10, 255 << 10, false},
		{255 << 10, 255 << 10, 45 << 10, true},
		{300 << 10, 10, 0, true},
	} {
		buf := make([]byte, r.n, r.n+dataHeaderLen)
		n, err := s.reads.note(f, buf, r.off)
		if n != r.want || (err == io.EOF) != r.eof || (err != nil && err != io.EOF) {
			t.Fatalf("read %d: %d, %v; want %d (EOF %v)", i, n, err, r.want, r.eof)
		}
		if n == 0 {
			continue
		}
		h := dataHeader(uint32(i), n)
		if i%2 == 0 {
			writeWhole(t, s, h, buf[:n])
		} else {
			if _, err := s.Write(h); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
		}
		want = append(append(want, h...), content[r.off:r.off+int64(n)]...)
	}
	s.Close()
	if got := <-out; !bytes.Equal(got, want) {
		t.Fatal("the replies do not carry the file's bytes")
	}
}

func TestSFTPStreamSendsReadBytesOfOtherFiles(t *testing.T) {
	// /dev/zero has no size: its reads fill the buffer, which goes as is.
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, daemon := streamPair(t)
	if _, err := reply(t, s, f, 1, 0, 64<<10); err != nil {
		t.Fatal(err)
	}
	want := append(dataHeader(1, 64<<10), make([]byte, 64<<10)...)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(daemon, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("a character device's read was not sent as read")
	}
}

func TestSFTPStreamRefusesDataItDidNotRead(t *testing.T) {
	s, daemon := streamPair(t)
	// A payload no ReadAt noted (as if pkg/sftp had copied the buffer),
	// and one whose length differs from what was noted.
	if _, err := s.Write(dataHeader(1, 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(bytes.Repeat([]byte("x"), 100)); !errors.Is(err, errUnnotedData) {
		t.Fatalf("unnoted payload: %v", err)
	}
	whole := append(dataHeader(3, 100), bytes.Repeat([]byte("x"), 100)...)
	if _, err := s.Write(whole); !errors.Is(err, errUnnotedData) {
		t.Fatalf("unnoted whole reply: %v", err)
	}
	// A data header announcing 5 bytes, then an empty payload: nothing was
	// noted for it.
	s.Write(dataHeader(4, 5))
	if _, err := s.Write(nil); !errors.Is(err, errUnnotedData) {
		t.Fatalf("empty payload: %v", err)
	}
	f := fileWith(t, bytes.Repeat([]byte("y"), 1000))
	buf := make([]byte, 1000)
	if n, _ := s.reads.note(f, buf, 0); n != 1000 {
		t.Fatal(n)
	}
	s.Write(dataHeader(2, 999))
	if _, err := s.Write(buf[:999]); !errors.Is(err, errUnnotedData) {
		t.Fatalf("payload of another length: %v", err)
	}
	s.Close()
	rest, _ := io.ReadAll(daemon)
	if bytes.ContainsAny(rest, "xy") {
		t.Fatal("a refused payload's bytes went out")
	}
}

// TestSFTPStreamPassesABareLengthHeader: a held header too short to name
// a packet type is passed on with its payload, not taken for a data reply.
func TestSFTPStreamPassesABareLengthHeader(t *testing.T) {
	s, daemon := streamPair(t)
	s.Write(packet(fxpVersion, u32(3))) // the VERSION reply goes first
	if _, err := s.Write(u32(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	rest, _ := io.ReadAll(daemon)
	if !bytes.HasSuffix(rest, append(u32(3), "abc"...)) {
		t.Fatalf("sent %q", rest)
	}
}

func TestSFTPStreamEndsWhenAFileShrinks(t *testing.T) {
	f := fileWith(t, make([]byte, 128<<10))
	s, _ := streamPair(t)
	buf := make([]byte, 128<<10)
	if n, err := s.reads.note(f, buf, 0); n != len(buf) || err != nil {
		t.Fatal(n, err)
	}
	if err := os.Truncate(f.Name(), 1000); err != nil {
		t.Fatal(err)
	}
	s.Write(dataHeader(1, len(buf)))
	if _, err := s.Write(buf); !errors.Is(err, errShrunk) {
		t.Fatalf("got %v, want errShrunk", err)
	}
}

func TestSFTPStreamNeverSendsAnotherFileAfterClose(t *testing.T) {
	// A client may CLOSE a handle while a READ of it awaits its reply; the
	// closed descriptor's number may already name another file.
	f := fileWith(t, bytes.Repeat([]byte("a"), 4096))
	s, daemon := streamPair(t)
	buf := make([]byte, 4096, 4096+dataHeaderLen)
	if n, err := s.reads.note(f, buf, 0); n != 4096 || err != nil {
		t.Fatal(n, err)
	}
	f.Close()
	other := fileWith(t, bytes.Repeat([]byte("b"), 4096))
	defer other.Close()
	b := append(buf, make([]byte, dataHeaderLen)...)
	copy(b[dataHeaderLen:], buf)
	copy(b, dataHeader(1, 4096))
	if _, err := s.Write(b); err == nil {
		t.Fatal("a reply of a closed handle went out")
	}
	s.Close()
	if rest, _ := io.ReadAll(daemon); bytes.ContainsAny(rest, "ab") {
		t.Fatal("file bytes went out for a closed handle")
	}
}
