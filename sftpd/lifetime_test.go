package sftpd

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestOpenSSHForwardingRefused checks that no kind of forwarding works:
// stdio (-W) and local (-L) forwarding open direct-tcpip channels, remote
// forwarding (-R) sends a tcpip-forward global request.
func TestOpenSSHForwardingRefused(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-fwd")
	keyFile, pub := genKey(t)
	s.keys = []ssh.PublicKey{pub}
	ts := startServer(t, Options{}, s)
	l := keyLogin(keyFile)

	// A target the forwards would reach if they were allowed.
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	reached := make(chan struct{}, 1)
	go func() {
		if c, err := target.Accept(); err == nil {
			reached <- struct{}{}
			c.Close()
		}
	}()
	targetAddr := target.Addr().String()

	t.Run("-W", func(t *testing.T) {
		r := run(t, context.Background(), "ssh", l, nil, ts.sshArgs(s.id, l, "-W", targetAddr)...)
		if r.exitCode == 0 || !strings.Contains(r.stderr, "stdio forwarding failed") {
			t.Errorf("exit %d, stderr %q; want stdio forwarding failed", r.exitCode, r.stderr)
		}
	})
	t.Run("-R", func(t *testing.T) {
		args := ts.sshArgs(s.id, l, "-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:"+targetAddr)
		r := run(t, context.Background(), "ssh", l, nil, args...)
		if r.exitCode == 0 || !strings.Contains(r.stderr, "remote port forwarding failed") {
			t.Errorf("exit %d, stderr %q; want remote port forwarding failed", r.exitCode, r.stderr)
		}
	})
	t.Run("-L", func(t *testing.T) {
		localAddr := freeAddr(t)
		args := ts.sshArgs(s.id, l, "-N", "-L", localAddr+":"+targetAddr)
		var stderr bytes.Buffer
		cmd := exec.Command(requireTool(t, "ssh"), args...)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		var c net.Conn
		waitFor(t, "ssh -L to listen", func() bool {
			c, err = net.Dial("tcp", localAddr)
			return err == nil
		})
		if c == nil {
			t.Fatalf("ssh -L never listened: %s", stderr.String())
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if n, err := io.Copy(io.Discard, c); err != nil || n != 0 {
			t.Errorf("forwarded conn: read %d bytes, err %v; want clean EOF with no data", n, err)
		}
	})
	select {
	case <-reached:
		t.Error("a forward reached the target")
	default:
	}
}

// freeAddr returns a loopback address nobody listens on, for a client that
// must be told its port up front.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestOpenSSHSessionCloseDropsConnection closes a session under a connected,
// idle sftp client and expects the client to be cut off at once.
func TestOpenSSHSessionCloseDropsConnection(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-drop")
	ts := startServer(t, Options{}, s)
	l := tokenLogin(t, s.token, "password")

	cmd := exec.Command(requireTool(t, "sftp"), ts.sftpArgs(s.id, l)...)
	cmd.Env = append(os.Environ(), l.env...)
	stdin, err := cmd.StdinPipe() // kept open: sftp waits for commands
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-s.opened:
	case err := <-exited:
		t.Fatalf("sftp exited before connecting: %v: %s", err, stderr.String())
	case <-time.After(clientTimeout):
		cmd.Process.Kill()
		t.Fatal("sftp never opened its subsystem")
	}

	s.close()
	select {
	case err := <-exited:
		if err == nil {
			t.Error("sftp exited 0 after its session was closed")
		}
		t.Logf("sftp: %v, stderr %q", err, stderr.String())
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("sftp still connected 5s after its session closed")
	}
	waitFor(t, "holds released", func() bool { return s.heldCount() == 0 })
}
