package proxy

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/proxy/procs"
)

// worker is what a Session uses of its *isolation.Worker; an interface so
// session lifetimes can be tested without a sandbox.
type worker interface {
	OpenSFTP(ctx context.Context) (io.ReadWriteCloser, error)
	Exec(ctx context.Context, command string, stdio isolation.Stdio) (int, error)
	Done() <-chan struct{}
	Stop() error
}

var _ worker = (*isolation.Worker)(nil)

// Session is one open direct-access session: a sandboxed worker holding the
// session's mounts, reachable with the session's token or SSH keys until it
// closes (manager DELETE, TTL, idle timeout, worker death or shutdown).
type Session struct {
	// Immutable after open.
	id, user string
	created  time.Time
	expires  time.Time
	mounts   []MountInfo
	keys     [][]byte // ssh.PublicKey.Marshal() of each authorized key
	w        worker
	signer   tokenSigner
	procs    *procs.Scaler // each hold is a transfer in flight; nil: none counted
	idle     time.Duration // 0: no idle timeout
	log      *slog.Logger
	onClosed func(*Session) // unregister and free the slot; called once

	done     chan struct{} // closed when closing starts: tokens and streams die
	finished chan struct{} // closed when the worker is gone and the slot free

	mu        sync.Mutex
	closed    bool        // guarded by mu; set once, by the one who closes
	holds     int         // guarded by mu
	idleGen   uint64      // guarded by mu; invalidates stale idle timers
	idleTimer *time.Timer // guarded by mu
	ttlTimer  *time.Timer // guarded by mu
}

// run arms the TTL and idle timers and watches the worker. Called once,
// after the session is registered.
func (s *Session) run() {
	s.mu.Lock()
	s.ttlTimer = time.AfterFunc(time.Until(s.expires), func() { s.close("expired") })
	s.armIdleLocked()
	s.mu.Unlock()
	go func() {
		select {
		case <-s.w.Done():
			s.close("worker exited")
		case <-s.done:
		}
	}()
}

// ID returns the session id, which is also its SSH user name.
func (s *Session) ID() string { return s.id }

// User returns the name of the user the session was opened for.
func (s *Session) User() string { return s.user }

// Done is closed once the session starts closing; servers drop the
// session's connections when it is.
func (s *Session) Done() <-chan struct{} { return s.done }

// Mounts returns the session's mounts.
func (s *Session) Mounts() []MountInfo { return slices.Clone(s.mounts) }

// VerifyToken returns nil iff token is a valid session token of this agent
// for this session and the session is still open.
func (s *Session) VerifyToken(token string) error {
	c, err := s.signer.verify(token, tokenSession)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(c.Subject), []byte(s.id)) != 1 {
		return fmt.Errorf("%w: token of another session", ErrInvalidToken)
	}
	if s.isClosed() {
		return ErrSessionClosed
	}
	return nil
}

// AuthorizedKey reports whether key was registered with the session and
// the session is still open. Every registered key is compared, in constant
// time, so timing tells nothing about which one matched.
func (s *Session) AuthorizedKey(key ssh.PublicKey) bool {
	if key == nil || s.isClosed() {
		return false
	}
	b := key.Marshal()
	match := 0
	for _, k := range s.keys {
		match |= subtle.ConstantTimeCompare(b, k)
	}
	return match == 1
}

// OpenSFTP opens a stream served by an SFTP server inside the worker.
func (s *Session) OpenSFTP(ctx context.Context) (io.ReadWriteCloser, error) {
	if s.isClosed() {
		return nil, ErrSessionClosed
	}
	return s.w.OpenSFTP(ctx)
}

// Exec runs an exec request's command line inside the worker and returns
// its exit status.
func (s *Session) Exec(ctx context.Context, command string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if s.isClosed() {
		return -1, ErrSessionClosed
	}
	return s.w.Exec(ctx, command, isolation.Stdio{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// Hold marks the session active until release is called: the idle timer
// only runs while nothing is held. Release may be called more than once.
// Every SSH channel and web request holds its session, so a hold is also
// one transfer in flight for the daemon's scheduler (proxy/procs).
func (s *Session) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return func() {}
	}
	s.holds++
	s.idleGen++
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	end := s.procs.Begin()
	var once sync.Once
	return func() { once.Do(func() { end(); s.unhold() }) }
}

func (s *Session) unhold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holds--; s.holds == 0 && !s.closed {
		s.armIdleLocked()
	}
}

// armIdleLocked (re)starts the idle timer; s.mu is held.
func (s *Session) armIdleLocked() {
	if s.idle <= 0 {
		return
	}
	s.idleGen++
	gen := s.idleGen
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	s.idleTimer = time.AfterFunc(s.idle, func() { s.idleFired(gen) })
}

// idleFired closes the session unless it was held or re-armed since the
// timer started; the check and the claim happen under one lock so a Hold
// racing the timer either wins or finds the session closed.
func (s *Session) idleFired(gen uint64) {
	s.mu.Lock()
	idle := !s.closed && s.holds == 0 && gen == s.idleGen
	if idle {
		s.closed = true
	}
	s.mu.Unlock()
	if idle {
		s.finish("idle timeout")
	}
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// close closes the session for reason and returns once the worker is gone
// and the slot is free. Safe from any goroutine, any number of times; only
// the first reason is kept.
func (s *Session) close(reason string) {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	s.mu.Unlock()
	if first {
		s.finish(reason)
	}
	<-s.finished
}

// finish does the closing; exactly one goroutine calls it, after setting
// s.closed. Done closes first so tokens and streams die before the
// (possibly slow) worker stop; the slot is freed last, once the worker's
// resources are really gone.
func (s *Session) finish(reason string) {
	s.mu.Lock()
	s.idleGen++
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	if s.ttlTimer != nil {
		s.ttlTimer.Stop()
	}
	s.mu.Unlock()
	close(s.done)
	err := s.w.Stop()
	s.onClosed(s)
	close(s.finished)
	if err != nil {
		s.log.Error("session closed; worker stop failed", "session", s.id, "user", s.user, "reason", reason, "err", err)
		return
	}
	s.log.Info("session closed", "session", s.id, "user", s.user, "reason", reason)
}
