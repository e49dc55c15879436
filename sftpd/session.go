package sftpd

import (
	"context"
	"io"
	"log/slog"
	"time"

	"golang.org/x/crypto/ssh"
)

// Session is what sftpd needs of one direct-access session. The proxy's
// session registry implements it; sftpd never sees more of a session.
type Session interface {
	// ID returns the session id, which is also the SSH username.
	ID() string
	// VerifyToken returns nil when token is this session's valid token (constant time).
	VerifyToken(token string) error
	// AuthorizedKey reports whether key is one of the session's ssh_public_keys.
	AuthorizedKey(key ssh.PublicKey) bool
	// OpenSFTP opens a byte stream to an SFTP server running inside the session's sandbox.
	// The returned value is usually a *net.UnixConn; when it has CloseWrite() error, use it to pass EOF.
	OpenSFTP(ctx context.Context) (io.ReadWriteCloser, error)
	// Exec runs an exec request inside the sandbox (scp, rsync, checksums — a later issue).
	// It returns the exit status. Return ErrExecNotSupported-style errors to refuse.
	Exec(ctx context.Context, command string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
	// Done is closed when the session is closed: drop its connections at once.
	Done() <-chan struct{}
	// Hold marks the session busy (for its idle timeout) until release is called.
	Hold() (release func())
}

// Options configures a Server. Only HostKeyDir and Lookup are required.
type Options struct {
	HostKeyDir       string                                 // where host keys are generated once and reused
	Lookup           func(sessionID string) (Session, bool) // username = session id
	Logger           *slog.Logger                           // nil -> slog.Default()
	HandshakeTimeout time.Duration                          // zero -> 20s
	Ciphers          []string                               // offered ciphers; nil -> AES-GCM, then AES-CTR
	// MaxConnectionsPerSession bounds one session's SSH connections (each
	// holds relay buffers and kernel socket memory in the daemon); zero
	// means 16. A login past it is refused with a banner saying why.
	MaxConnectionsPerSession int
	// MaxChannelsPerConnection bounds one connection's open session
	// channels, as OpenSSH's MaxSessions; zero means 10.
	MaxChannelsPerConnection int
	// MaxChannelsPerSession bounds the open session channels of all of a
	// session's connections together; zero means 16.
	MaxChannelsPerSession int
}

// defaultHandshakeTimeout bounds how long an unauthenticated connection may
// occupy the server: long enough for a human typing a token, short enough
// that stalled or hostile clients do not pile up.
const defaultHandshakeTimeout = 20 * time.Second
