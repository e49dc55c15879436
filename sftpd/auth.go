package sftpd

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"golang.org/x/crypto/ssh"
)

// Permissions.Extensions keys that carry the authentication result from the
// callbacks to the connection.
const (
	extSession = "storage-agent-session"
	extMethod  = "storage-agent-method"
)

// maxCandidates bounds how many sessions one handshake may have accepted
// credentials for (a client may switch usernames between attempts).
const maxCandidates = 8

// tokenPrompt is the single keyboard-interactive question. It ends like
// OpenSSH's own ("Password: "; the OpenSSH client puts "(<id>@<host>) " in
// front itself), because the tools scripts use to answer it match that:
// sshpass looks for "assword", lftp for a prompt ending in "password:".
const tokenPrompt = "Password: "

// authState holds one connection's authentication. x/crypto runs all auth
// callbacks on the handshake goroutine, one at a time, so it needs no lock.
type authState struct {
	srv *Server
	ctx context.Context // ends with the connection; cuts throttle waits short
	src netip.Addr
	log *slog.Logger

	// accepted maps session ids to sessions whose credentials a callback
	// accepted. The Permissions that x/crypto finally returns name one of
	// them in extSession; Permissions itself can only carry strings.
	accepted map[string]Session
}

func newAuthState(ctx context.Context, srv *Server, remote net.Addr, log *slog.Logger) *authState {
	var src netip.Addr
	if ap, err := netip.ParseAddrPort(remote.String()); err == nil {
		src = ap.Addr().Unmap()
	}
	return &authState{srv: srv, ctx: ctx, src: src, log: log, accepted: make(map[string]Session)}
}

// config returns the per-connection server configuration.
func (a *authState) config() *ssh.ServerConfig {
	cfg := a.srv.base // copy; shares the host keys
	cfg.PasswordCallback = a.password
	cfg.KeyboardInteractiveCallback = a.keyboardInteractive
	cfg.PublicKeyCallback = a.publicKey
	return &cfg
}

// session returns the session the handshake authenticated.
func (a *authState) session(perms *ssh.Permissions) (Session, string, bool) {
	if perms == nil {
		return nil, "", false
	}
	sess, ok := a.accepted[perms.Extensions[extSession]]
	return sess, perms.Extensions[extMethod], ok
}

func (a *authState) password(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	return a.checkToken(meta.User(), "password", string(password))
}

// keyboardInteractive asks one question, because some clients (and users'
// configs) offer only keyboard-interactive, never "password".
func (a *authState) keyboardInteractive(meta ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	answers, err := client("", "", []string{tokenPrompt}, []bool{false})
	if err != nil {
		return nil, err
	}
	token := ""
	if len(answers) == 1 {
		token = answers[0]
	}
	return a.checkToken(meta.User(), "keyboard-interactive", token)
}

// checkToken verifies a token login. Unknown sessions take the same path —
// throttle, an HMAC-based comparison, the same error — as wrong tokens, so
// neither answers nor timing tell which session ids exist.
func (a *authState) checkToken(user, method, token string) (*ssh.Permissions, error) {
	log := a.log.With("session", clip(user), "method", method)
	if err := a.srv.throttle.Wait(a.ctx, a.src); err != nil {
		log.Info("ssh auth refused", "err", err)
		return nil, fmt.Errorf("%w: %w", ErrAuthFailed, err)
	}
	sess, found := a.srv.lookup(user)
	var err error
	if found {
		err = sess.VerifyToken(token)
	} else {
		a.srv.decoyVerify(token)
		err = ErrUnknownSession
	}
	if err != nil {
		a.srv.throttle.Fail(a.src)
		log.Info("ssh auth failed", "err", err)
		return nil, ErrAuthFailed
	}
	return a.accept(sess, method)
}

// publicKey accepts the session's registered keys. Public keys cannot be
// guessed, so failures here are not throttled: clients routinely offer
// several keys before the right one.
func (a *authState) publicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	sess, found := a.srv.lookup(meta.User())
	if !found || !sess.AuthorizedKey(key) {
		a.log.Debug("ssh public key not accepted", "session", clip(meta.User()),
			"key", ssh.FingerprintSHA256(key), "known_session", found)
		return nil, ErrAuthFailed
	}
	return a.accept(sess, "publickey "+ssh.FingerprintSHA256(key))
}

func (a *authState) accept(sess Session, method string) (*ssh.Permissions, error) {
	id := sess.ID()
	if max := a.srv.conns.Max(); a.srv.conns.Used(id) >= max {
		a.log.Info("ssh login refused: session at its connection limit", "session", id, "max", max)
		return nil, &ssh.BannerError{Err: ErrTooManyConnections, Message: fmt.Sprintf(
			"storage-agent: session %s already has %d SSH connections (session.max-ssh-connections); "+
				"close one, or reuse one with ssh's ControlMaster\n", id, max)}
	}
	if _, ok := a.accepted[id]; !ok && len(a.accepted) >= maxCandidates {
		return nil, ErrAuthFailed
	}
	a.accepted[id] = sess
	return &ssh.Permissions{Extensions: map[string]string{extSession: id, extMethod: method}}, nil
}

// newDecoyKey makes the server's key for decoyVerify.
func newDecoyKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sftpd: random key: %w", err)
	}
	return key, nil
}

// decoyVerify spends about what verifying an HMAC-signed token costs, and
// always fails, so unknown session ids are not answered measurably faster.
func (s *Server) decoyVerify(token string) {
	mac := hmac.New(sha256.New, s.decoyKey)
	mac.Write([]byte(token))
	hmac.Equal(mac.Sum(nil), s.decoyKey)
}

// clip shortens client-chosen strings before they reach the logs.
func clip(s string) string {
	const limit = 128
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}
