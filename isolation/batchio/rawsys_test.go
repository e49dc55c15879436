package batchio

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"golang.org/x/sys/unix"
)

// socketPairs are the sockets SysConn wraps: the SSH connection (TCP) and
// the worker streams (Unix stream sockets). Each returns a connected pair.
var socketPairs = []struct {
	name string
	pair func(t *testing.T) (a, b net.Conn)
}{
	{"tcp", func(t *testing.T) (net.Conn, net.Conn) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		a, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		b, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}},
	{"unix", func(t *testing.T) (net.Conn, net.Conn) {
		l, r, err := unixsock.Pair(unix.SOCK_STREAM)
		if err != nil {
			t.Fatal(err)
		}
		a, err := unixsock.Conn(l)
		if err != nil {
			t.Fatal(err)
		}
		b, err := unixsock.Conn(r)
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}},
}

// wrappedPair returns both ends wrapped, closed when the test ends.
func wrappedPair(t *testing.T, pair func(*testing.T) (net.Conn, net.Conn)) (a, b net.Conn) {
	t.Helper()
	ra, rb := pair(t)
	a, b = NewSysConn(ra), NewSysConn(rb)
	if _, ok := a.(*SysConn); !ok {
		t.Fatalf("NewSysConn(%T) did not wrap it", ra)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestSysConnMovesEveryByte sends more than the socket buffers hold, so
// writes wait for the reader (EAGAIN, then the netpoller) and reads come
// in pieces; both directions at once.
func TestSysConnMovesEveryByte(t *testing.T) {
	for _, sp := range socketPairs {
		t.Run(sp.name, func(t *testing.T) {
			a, b := wrappedPair(t, sp.pair)
			want := make([]byte, 8<<20+12345)
			rand.Read(want)
			for _, dir := range []struct{ from, to net.Conn }{{a, b}, {b, a}} {
				errc := make(chan error, 1)
				go func() {
					n, err := dir.from.Write(want)
					if err == nil && n != len(want) {
						err = io.ErrShortWrite
					}
					errc <- err
				}()
				got := make([]byte, len(want))
				if _, err := io.ReadFull(dir.to, got); err != nil {
					t.Fatal(err)
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatal("bytes differ")
				}
			}
		})
	}
}

// TestSysConnEnds: the ends of a stream come out as net.Conn's do, so
// callers' errors.Is checks keep working.
func TestSysConnEnds(t *testing.T) {
	for _, sp := range socketPairs {
		t.Run(sp.name, func(t *testing.T) {
			t.Run("empty read", func(t *testing.T) {
				a, _ := wrappedPair(t, sp.pair)
				if n, err := a.Read(nil); n != 0 || err != nil {
					t.Fatalf("Read(nil) = %d, %v", n, err)
				}
			})
			t.Run("peer closes: data, then EOF", func(t *testing.T) {
				a, b := wrappedPair(t, sp.pair)
				if _, err := b.Write([]byte("last words")); err != nil {
					t.Fatal(err)
				}
				b.Close()
				got, err := io.ReadAll(a)
				if err != nil || string(got) != "last words" {
					t.Fatalf("ReadAll = %q, %v", got, err)
				}
			})
			t.Run("CloseWrite: EOF to the peer, reads go on", func(t *testing.T) {
				a, b := wrappedPair(t, sp.pair)
				if err := a.(*SysConn).CloseWrite(); err != nil {
					t.Fatal(err)
				}
				if n, err := b.Read(make([]byte, 8)); n != 0 || err != io.EOF {
					t.Fatalf("peer Read = %d, %v; want EOF", n, err)
				}
				if _, err := b.Write([]byte("reply")); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, 5)
				if _, err := io.ReadFull(a, got); err != nil || string(got) != "reply" {
					t.Fatalf("Read after CloseWrite = %q, %v", got, err)
				}
			})
			t.Run("read deadline", func(t *testing.T) {
				a, _ := wrappedPair(t, sp.pair)
				a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
				_, err := a.Read(make([]byte, 8))
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Read past the deadline: %v", err)
				}
			})
			t.Run("write deadline on a full socket", func(t *testing.T) {
				a, _ := wrappedPair(t, sp.pair)
				a.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
				n, err := a.Write(make([]byte, 64<<20)) // more than any socket buffer
				if !errors.Is(err, os.ErrDeadlineExceeded) || n >= 64<<20 {
					t.Fatalf("Write past the deadline: %d, %v", n, err)
				}
			})
			t.Run("closed while reading", func(t *testing.T) {
				a, _ := wrappedPair(t, sp.pair)
				errc := make(chan error, 1)
				go func() { _, err := a.Read(make([]byte, 8)); errc <- err }()
				time.Sleep(20 * time.Millisecond)
				a.Close()
				if err := <-errc; !errors.Is(err, net.ErrClosed) {
					t.Fatalf("Read of a closed conn: %v", err)
				}
			})
			t.Run("write to a peer that is gone", func(t *testing.T) {
				a, b := wrappedPair(t, sp.pair)
				b.Close()
				var err error
				for range 100 { // the first writes may still be queued
					if _, err = a.Write(make([]byte, 64<<10)); err != nil {
						break
					}
				}
				if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
					t.Fatalf("Write to a closed peer: %v", err)
				}
			})
		})
	}
}

// TestNewSysConnLeavesOthers: a conn that is not a socket (net.Pipe) is
// returned as it is.
func TestNewSysConnLeavesOthers(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if c := NewSysConn(a); c != a {
		t.Fatalf("NewSysConn(net.Pipe) = %T", c)
	}
}

// TestSysReaderReadsAPipe reads more than the pipe holds, so reads wait
// on the netpoller; then EOF once the writer closes, and an error (not a
// hang) when the pipe is closed under a waiting read.
func TestSysReaderReadsAPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	r := NewSysReader(pr)
	if _, ok := r.(*SysReader); !ok {
		t.Fatalf("NewSysReader(pipe) did not wrap it: %T", r)
	}
	blocking, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer blocking.Close()
	if r := NewSysReader(blocking); r != io.Reader(blocking) {
		t.Fatalf("NewSysReader wrapped a blocking file: %T", r)
	}
	want := make([]byte, 8<<20+777)
	rand.Read(want)
	go func() {
		_, _ = pw.Write(want)
		pw.Close()
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
	}

	pr2, pw2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw2.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := NewSysReader(pr2).Read(make([]byte, 16))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	pr2.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("read of a closed pipe: %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read of a closed pipe did not return")
	}
}

// TestTCPOfSeesThroughWrappers finds the TCP socket under every layer the
// web servers put on it, for TCP_CORK and the send-buffer bound.
func TestTCPOfSeesThroughWrappers(t *testing.T) {
	a, b := socketPairs[0].pair(t)
	defer a.Close()
	defer b.Close()
	tcp := b.(*net.TCPConn)
	record := &RecordConn{Conn: NewSysConn(b), bufs: newRecordBuffers()}
	tests := []struct {
		name string
		c    net.Conn
		want *net.TCPConn
	}{
		{"tcp", b, tcp},
		{"sysconn", NewSysConn(b), tcp},
		{"record over sysconn", record, tcp},
		{"tls over record", tls.Server(record, &tls.Config{}), tcp},
		{"not a socket", func() net.Conn { p, _ := net.Pipe(); return p }(), nil},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		if got := TCPOf(tt.c); got != tt.want {
			t.Errorf("%s: TCPOf = %v, want %v", tt.name, got, tt.want)
		}
		if rc := TCPRawConn(tt.c); (rc == nil) != (tt.want == nil) {
			t.Errorf("%s: TCPRawConn = %v, want a raw conn only over TCP", tt.name, rc)
		}
	}
}
