package sftpd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// dialGo logs in with x/crypto's client, for checks the OpenSSH client
// cannot express.
func dialGo(t *testing.T, ts *testServer, user string, auth ssh.AuthMethod) (*ssh.Client, error) {
	t.Helper()
	return ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// TestChannelRules drives one connection through everything sftpd refuses
// and then uses the sftp subsystem on the same connection.
func TestChannelRules(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-rules")
	ts := startServer(t, Options{}, s)
	c, err := dialGo(t, ts, s.id, ssh.Password(s.token))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for _, typ := range []string{"direct-tcpip", "forwarded-tcpip", "x11", "auth-agent@openssh.com", "direct-streamlocal@openssh.com"} {
		_, _, err := c.OpenChannel(typ, nil)
		var oce *ssh.OpenChannelError
		if !errors.As(err, &oce) || oce.Reason != ssh.Prohibited || oce.Message != rejectChannel {
			t.Errorf("open %s: %v; want Prohibited with a reason", typ, err)
		}
	}
	for _, typ := range []string{"tcpip-forward", "streamlocal-forward@openssh.com", "no-more-sessions@openssh.com"} {
		if ok, _, err := c.SendRequest(typ, true, nil); ok || err != nil {
			t.Errorf("global request %s: ok=%v err=%v; want refused", typ, ok, err)
		}
	}

	ch, reqs, err := c.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	go ssh.DiscardRequests(reqs)
	var stderr bytes.Buffer
	var stderrDone sync.WaitGroup
	stderrDone.Go(func() { io.Copy(&stderr, ch.Stderr()) })

	request := func(typ string, payload []byte, want bool) {
		t.Helper()
		if ok, err := ch.SendRequest(typ, true, payload); ok != want || err != nil {
			t.Errorf("channel request %s: ok=%v err=%v; want %v", typ, ok, err, want)
		}
	}
	for _, typ := range []string{"pty-req", "env", "x11-req", "auth-agent-req@openssh.com", "signal", "window-change", "break"} {
		request(typ, nil, false)
	}
	request("subsystem", ssh.Marshal(struct{ Name string }{"netconf"}), false)
	request("subsystem", ssh.Marshal(struct{ Name string }{"sftp"}), true)
	// The channel is taken now; nothing else may start on it.
	request("exec", ssh.Marshal(struct{ Command string }{"echo hi"}), false)
	request("shell", nil, false)
	request("subsystem", ssh.Marshal(struct{ Name string }{"sftp"}), false)

	client, err := sftp.NewClientPipe(ch, ch)
	if err != nil {
		t.Fatal(err)
	}
	f, err := client.Create("hello.txt")
	if err == nil {
		_, err = f.Write([]byte("hello"))
		f.Close()
	}
	if err != nil {
		t.Fatalf("sftp write: %v", err)
	}
	if fi, err := client.Stat("hello.txt"); err != nil || fi.Size() != 5 {
		t.Errorf("sftp stat: %v, %v", fi, err)
	}
	client.Close() // EOF to the worker, which then ends the channel
	stderrDone.Wait()
	want := `storage-agent: subsystem "netconf" is not available here; the only subsystem is sftp (scp and rsync work too)` + "\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
	waitFor(t, "holds released", func() bool { return s.heldCount() == 0 })
}

// TestKeyboardInteractivePrompt checks the one question and that it does
// not echo.
func TestKeyboardInteractivePrompt(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-ki")
	ts := startServer(t, Options{}, s)
	var questions []string
	var echos []bool
	c, err := dialGo(t, ts, s.id, ssh.KeyboardInteractive(func(name, instruction string, q []string, e []bool) ([]string, error) {
		questions, echos = q, e
		return []string{s.token}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if len(questions) != 1 || questions[0] != tokenPrompt || echos[0] {
		t.Errorf("questions %q, echos %v; want one %q without echo", questions, echos, tokenPrompt)
	}
}

// TestUnansweredPromptIsCutAtTheDeadline: a client that never answers the
// keyboard-interactive question is disconnected by the login deadline.
func TestUnansweredPromptIsCutAtTheDeadline(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-mute")
	ts := startServer(t, Options{HandshakeTimeout: time.Second}, s)
	raw, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn := &eofConn{Conn: raw, eof: make(chan struct{})}
	asked, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	go ssh.NewClientConn(conn, ts.addr, &ssh.ClientConfig{
		User: s.id, HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Auth: []ssh.AuthMethod{ssh.KeyboardInteractive(func(_, _ string, q []string, _ []bool) ([]string, error) {
			close(asked)
			<-release // a user who walked away from the prompt
			return nil, errors.New("gone")
		})},
	})
	select {
	case <-asked:
	case <-time.After(5 * time.Second):
		t.Fatal("the prompt never came")
	}
	start := time.Now()
	select {
	case <-conn.eof:
	case <-time.After(5 * time.Second):
		t.Fatal("a client that never answers the prompt was not disconnected")
	}
	t.Logf("cut %s after the prompt", time.Since(start).Round(time.Millisecond))
}

// eofConn closes eof once a read from the server fails (it hung up).
type eofConn struct {
	net.Conn
	eof  chan struct{}
	once sync.Once
}

func (c *eofConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.once.Do(func() { close(c.eof) })
	}
	return n, err
}

// TestFailedLoginsSlowedDown checks that a source is delayed after its free
// failures, for wrong tokens and unknown sessions alike.
func TestFailedLoginsSlowedDown(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-slow")
	ts := startServer(t, Options{}, s)
	users := []string{s.id, "nobody", s.id, "nobody", s.id}
	for i, user := range users {
		start := time.Now()
		if _, err := dialGo(t, ts, user, ssh.Password("wrong")); err == nil {
			t.Fatal("wrong password accepted")
		}
		took := time.Since(start)
		t.Logf("attempt %d (%s) took %v", i+1, user, took)
		if i >= loginPolicy.Free {
			if want := loginPolicy.Base << (i - loginPolicy.Free); took < want {
				t.Errorf("attempt %d took %v; want at least %v", i+1, took, want)
			}
		}
	}
	// The right token still works, after its own delay.
	c, err := dialGo(t, ts, s.id, ssh.Password(s.token))
	if err != nil {
		t.Fatalf("right token after failures: %v", err)
	}
	c.Close()
}

// TestChannelLimit checks that one connection cannot open session channels
// without bound.
func TestChannelLimit(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, "sess-limit")
	ts := startServer(t, Options{}, s)
	c, err := dialGo(t, ts, s.id, ssh.Password(s.token))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var chans []ssh.Channel
	for range defaultMaxChannels {
		ch, reqs, err := c.OpenChannel("session", nil)
		if err != nil {
			t.Fatal(err)
		}
		go ssh.DiscardRequests(reqs)
		chans = append(chans, ch)
	}
	_, _, err = c.OpenChannel("session", nil)
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.ResourceShortage {
		t.Errorf("channel %d: %v; want ResourceShortage", defaultMaxChannels+1, err)
	}
	// A finished channel frees its place.
	chans[0].Close()
	waitFor(t, "a free channel", func() bool {
		ch, reqs, err := c.OpenChannel("session", nil)
		if err == nil {
			go ssh.DiscardRequests(reqs)
			ch.Close()
		}
		return err == nil
	})
}
