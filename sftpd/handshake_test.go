package sftpd

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// rawConn opens a TCP connection that speaks whatever the test writes.
func rawConn(t *testing.T, ts *testServer, send string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if send != "" {
		if _, err := c.Write([]byte(send)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// closedWithin reports whether the server closes c within d, reading and
// dropping whatever it sends first.
func closedWithin(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errors.New("still open")
	}
	return nil // EOF or reset: closed by the server
}

// TestHandshakeTimeout keeps stalled and garbage connections open next to a
// real client: the client is served, the others are closed.
func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-hs")
	ts := startServer(t, Options{HandshakeTimeout: 1500 * time.Millisecond}, s)
	bad := map[string]net.Conn{
		"silent":                rawConn(t, ts, ""),
		"stalled after version": rawConn(t, ts, "SSH-2.0-stall\r\n"),
		"http":                  rawConn(t, ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"binary garbage":        rawConn(t, ts, "\x00\xff\x13\x37garbage\x00\x00\x00\x01"),
	}
	start := time.Now()
	l := tokenLogin(t, s.token, "password")
	if r := run(t, context.Background(), "sftp", l, []byte("pwd\n"), ts.sftpArgs(s.id, l)...); r.err != nil {
		t.Errorf("real client failed next to stalled ones: %v", r.err)
	}
	for name, c := range bad {
		if err := closedWithin(c, 5*time.Second); err != nil {
			t.Errorf("%s: %v %v after connecting", name, err, time.Since(start))
		}
	}
}

// TestHugePacketRefused checks that x/crypto refuses a packet length far
// over its limit at once, instead of waiting for (or allocating) the data.
func TestHugePacketRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{HandshakeTimeout: time.Minute})
	c := rawConn(t, ts, "SSH-2.0-huge\r\n")
	var packet [4 + 64]byte
	binary.BigEndian.PutUint32(packet[:], 1<<30)
	if _, err := c.Write(packet[:]); err != nil {
		t.Fatal(err)
	}
	if err := closedWithin(c, 5*time.Second); err != nil {
		t.Errorf("huge packet: connection %v", err)
	}
}

// TestServeStopClosesConnections cancels Serve under a live sftp channel.
func TestServeStopClosesConnections(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-stop")
	ts := startServer(t, Options{}, s)
	c, err := dialGo(t, ts, s.id, ssh.Password(s.token))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	ts.cancel()
	select {
	case <-ts.stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("client still connected after Serve returned")
	}
	if n := s.heldCount(); n != 0 {
		t.Errorf("%d holds not released", n)
	}
}

// failingListener fails its first Accept for good.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("listener broke") }

// TestServeListenerFails checks that Serve gives up on a broken listener.
func TestServeListenerFails(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{HostKeyDir: t.TempDir(), Lookup: func(string) (Session, bool) { return nil, false }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Serve(context.Background(), failingListener{ln})
	if !errors.Is(err, ErrListener) {
		t.Errorf("Serve = %v, want ErrListener", err)
	}
}
