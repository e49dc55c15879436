package sftpd

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// testSession stands in for a proxy session and its sandboxed worker: its
// sftp server is pkg/sftp in-process, on the far end of a socketpair, rooted
// in a temporary directory.
type testSession struct {
	id, token string
	root      string
	keys      []ssh.PublicKey

	done      chan struct{}
	closeOnce sync.Once
	opened    chan struct{} // one value per OpenSFTP
	mu        sync.Mutex
	holds     int // Hold calls not yet released
}

func newTestSession(t *testing.T, id string) *testSession {
	return &testSession{
		id: id, token: "tok-" + id + "-s3cret", root: t.TempDir(),
		done: make(chan struct{}), opened: make(chan struct{}, 16),
	}
}

func (s *testSession) ID() string { return s.id }

func (s *testSession) VerifyToken(token string) error {
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) != 1 {
		return errors.New("wrong token")
	}
	return nil
}

func (s *testSession) AuthorizedKey(key ssh.PublicKey) bool {
	for _, k := range s.keys {
		if subtle.ConstantTimeCompare(k.Marshal(), key.Marshal()) == 1 {
			return true
		}
	}
	return false
}

func (s *testSession) OpenSFTP(ctx context.Context) (io.ReadWriteCloser, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ours, err := fileConn(fds[0])
	if err != nil {
		syscall.Close(fds[1])
		return nil, err
	}
	theirs, err := fileConn(fds[1])
	if err != nil {
		ours.Close()
		return nil, err
	}
	srv, err := sftp.NewServer(theirs, sftp.WithServerWorkingDirectory(s.root))
	if err != nil {
		ours.Close()
		theirs.Close()
		return nil, err
	}
	go func() {
		srv.Serve()
		theirs.Close()
	}()
	s.opened <- struct{}{}
	return ours, nil
}

// fileConn turns a socket descriptor into a *net.UnixConn, as the worker's
// stream will be.
func fileConn(fd int) (*net.UnixConn, error) {
	f := os.NewFile(uintptr(fd), "socketpair")
	defer f.Close() // FileConn holds its own duplicate
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}

// Exec knows two commands, enough to check that output and exit status
// travel back; everything else is refused the way the real policy will.
func (s *testSession) Exec(ctx context.Context, command string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	switch {
	case strings.HasPrefix(command, "echo "):
		fmt.Fprintln(stdout, strings.TrimPrefix(command, "echo "))
		return 0, nil
	case command == "exit 3":
		return 3, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrExecNotSupported, command)
}

func (s *testSession) Done() <-chan struct{} { return s.done }

func (s *testSession) close() { s.closeOnce.Do(func() { close(s.done) }) }

func (s *testSession) Hold() func() {
	s.mu.Lock()
	s.holds++
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.holds--
			s.mu.Unlock()
		})
	}
}

func (s *testSession) heldCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holds
}

// testServer is a running Server with its sessions.
type testServer struct {
	*Server
	addr     string
	port     string
	sessions map[string]*testSession // read-only once serving
	cancel   context.CancelFunc      // stops Serve
	stopped  chan struct{}           // closed when Serve has returned
	serveErr error                   // Serve's result, once stopped is closed
}

// startServer serves sessions on 127.0.0.1:0 until the test ends.
func startServer(t *testing.T, opts Options, sessions ...*testSession) *testServer {
	t.Helper()
	ts := &testServer{sessions: make(map[string]*testSession), stopped: make(chan struct{})}
	for _, s := range sessions {
		ts.sessions[s.id] = s
	}
	if opts.HostKeyDir == "" {
		opts.HostKeyDir = t.TempDir()
	}
	opts.Lookup = func(id string) (Session, bool) {
		s, ok := ts.sessions[id]
		return s, ok
	}
	opts.Logger = testLogger(t)
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts.Server, ts.addr, ts.cancel = srv, ln.Addr().String(), cancel
	_, ts.port, _ = net.SplitHostPort(ts.addr)
	go func() {
		ts.serveErr = srv.Serve(ctx, ln)
		close(ts.stopped)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ts.stopped:
			if ts.serveErr != nil {
				t.Errorf("Serve: %v", ts.serveErr)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after cancel")
		}
	})
	return ts
}

// testLogger logs through t.Log until the test's cleanups are done.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() }) // runs last
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}
