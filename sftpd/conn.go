package sftpd

import (
	"context"
	"github.com/storage-agent/storage-agent/isolation/batchio"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Default bounds of one session's cost to the daemon (see Options).
const (
	defaultMaxConnections = 16
	defaultMaxChannels    = 10
	defaultMaxSessionChan = 16
)

// conn is one authenticated SSH connection. Its fields other than channels
// are immutable after authentication.
type conn struct {
	srv  *Server
	ctx  context.Context // done when the connection ends, the session closes or Serve returns
	sess Session
	log  *slog.Logger // carries remote and session

	channels atomic.Int32 // session channels accepted and not yet finished
}

// serveConn runs one connection from handshake to close. It returns only
// after every goroutine it started has finished.
func (s *Server) serveConn(ctx context.Context, raw net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer raw.Close()
	// Serve's shutdown, a closed session and the end of this function all
	// close the raw conn, which ends every read and write on it at once.
	context.AfterFunc(ctx, func() { raw.Close() })

	log := s.log.With("remote", raw.RemoteAddr().String())
	auth := newAuthState(ctx, s, raw.RemoteAddr(), log)

	// The deadline covers the whole handshake, authentication included, so
	// a client that stalls or trickles bytes cannot hold a goroutine forever.
	raw.SetDeadline(time.Now().Add(s.handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(batchio.NewConn(raw), auth.config())
	if err != nil {
		log.Debug("ssh handshake failed", "err", err)
		return
	}
	raw.SetDeadline(time.Time{})
	sess, method, ok := auth.session(sc.Permissions)
	if !ok { // cannot happen: every accepting callback records its session
		log.Error("ssh login without a session")
		return
	}
	// Logins past the bound are refused with a banner during
	// authentication; this catches the ones that raced past that check.
	release, _, ok := s.conns.Acquire(sess.ID())
	if !ok {
		log.Info("ssh connection refused: session at its connection limit", "session", sess.ID())
		return
	}
	defer release()
	c := &conn{srv: s, ctx: ctx, sess: sess, log: log.With("session", sess.ID())}
	start := time.Now()
	c.log.Info("ssh connected", "method", method, "client", clip(string(sc.ClientVersion())))

	var wg sync.WaitGroup
	// Global requests (tcpip-forward and friends) are all answered "no".
	wg.Go(func() { ssh.DiscardRequests(reqs) })
	wg.Go(func() {
		select {
		case <-sess.Done():
			c.log.Info("session closed; dropping ssh connection")
			cancel()
		case <-ctx.Done():
		}
	})
	for nc := range chans { // ends when the connection closes
		wg.Go(func() { c.handleChannel(nc) })
	}
	cancel()
	wg.Wait()
	c.log.Info("ssh disconnected", "duration", time.Since(start).Round(time.Millisecond))
}
