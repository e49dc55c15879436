package batchio

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// recordingConn is a net.Conn that records each Write as one call.
type recordingConn struct {
	net.Conn
	writes [][]byte
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func TestRecordConn(t *testing.T) {
	tests := []struct {
		name  string
		steps string // w=write a record, h=hold, r=release
		want  []string
	}{
		{"writes through when not held", "ww", []string{"1", "2"}},
		{"held records leave in one write", "hwwwr", []string{"123"}},
		{"release without writes writes nothing", "hr", nil},
		{"release twice is harmless", "hwrr", []string{"1"}},
		{"through, held, through", "whwwrw", []string{"1", "23", "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			under := &recordingConn{}
			b := &RecordConn{Conn: under, bufs: newRecordBuffers()}
			n := 0
			for _, step := range tt.steps {
				switch step {
				case 'w':
					n++
					if _, err := b.Write([]byte{byte('0' + n)}); err != nil {
						t.Fatal(err)
					}
				case 'h':
					b.Hold()
				case 'r':
					if err := b.Release(); err != nil {
						t.Fatal(err)
					}
				}
			}
			var got []string
			for _, w := range under.writes {
				got = append(got, string(w))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("writes %q, want %q", got, tt.want)
			}
		})
	}
}

// lowWaterProbe is a FlushWriter that records the socket's
// TCP_NOTSENT_LOWAT at each Write.
type lowWaterProbe struct {
	t    *testing.T
	tcp  *net.TCPConn
	seen []int
}

func (p *lowWaterProbe) Write(b []byte) (int, error) {
	p.seen = append(p.seen, notSentLowat(p.t, p.tcp))
	return len(b), nil
}

func (p *lowWaterProbe) Flush() {}

func notSentLowat(t *testing.T, tcp *net.TCPConn) int {
	t.Helper()
	rc, err := tcp.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT)
	}); err != nil || gerr != nil {
		t.Fatalf("getsockopt TCP_NOTSENT_LOWAT: %v, %v", err, gerr)
	}
	return v
}

// TestRelayBoundsUnsentBytes: while a body is relayed the socket keeps at
// most notSentLowWater unsent; afterwards the system default is back, for
// the next request on the connection.
func TestRelayBoundsUnsentBytes(t *testing.T) {
	a, b := socketPairs[0].pair(t)
	defer a.Close()
	defer b.Close()
	tcp := b.(*net.TCPConn)
	before := notSentLowat(t, tcp)
	rc := &RecordConn{Conn: NewSysConn(b), bufs: newRecordBuffers()}
	probe := &lowWaterProbe{t: t, tcp: tcp}
	n, err := rc.Relay(probe, strings.NewReader(strings.Repeat("x", 3*RecordChunk/2)), RecordChunk)
	if err != nil || n != 3*RecordChunk/2 {
		t.Fatalf("Relay = %d, %v", n, err)
	}
	if len(probe.seen) != 2 || probe.seen[0] != notSentLowWater || probe.seen[1] != notSentLowWater {
		t.Errorf("TCP_NOTSENT_LOWAT during the relay's writes = %v, want %d for each of 2", probe.seen, notSentLowWater)
	}
	if after := notSentLowat(t, tcp); after != before {
		t.Errorf("TCP_NOTSENT_LOWAT after the relay = %d, want the default %d back", after, before)
	}
	// Not over TCP: nothing to set, and the relay still works.
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	rp := &RecordConn{Conn: p1, bufs: newRecordBuffers()}
	if n, err := rp.Relay(&lowWaterProbe{t: t, tcp: tcp}, strings.NewReader("abc"), RecordChunk); err != nil || n != 3 {
		t.Fatalf("Relay over a pipe = %d, %v", n, err)
	}
}
