package webfs

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/isolation/batchio"
	"github.com/storage-agent/storage-agent/isolation/webproto"
	"github.com/storage-agent/storage-agent/proxy/slots"
	"github.com/storage-agent/storage-agent/proxy/throttle"
)

// Session is what webfs needs of one direct-access session.
type Session interface {
	// ID returns the session id (the login user name).
	ID() string
	// User returns the name of the user the session was opened for.
	User() string
	// VerifyToken returns nil when token is this session's valid token.
	VerifyToken(token string) error
	// Web runs one file operation inside the session's worker.
	Web(ctx context.Context, req webproto.WebRequest, body io.Reader) (webproto.WebReply, io.ReadCloser, error)
	// Done is closed when the session closes: its tokens die at once.
	Done() <-chan struct{}
	// Hold marks the session busy (for its idle timeout) until release.
	Hold() (release func())
}

// Options configure a Server. Lookup and Redeem are required.
type Options struct {
	// Lookup returns the open session with an id.
	Lookup func(id string) (Session, bool)
	// Redeem checks a single-use login token and returns its session; its
	// error wraps ErrLinkUsed, ErrLinkExpired or ErrLinkSessionClosed
	// when one of them is the reason.
	Redeem func(token string) (Session, error)
	// CertFile and KeyFile name the TLS certificate; both empty means a
	// self-signed one generated once under CertDir.
	CertFile, KeyFile string
	// CertDir holds the generated certificate (var-base-path/webfs).
	CertDir string
	// Hosts are the names the generated certificate is for, besides
	// localhost, 127.0.0.1 and ::1.
	Hosts []string
	// Logger gets request errors; nil discards.
	Logger *slog.Logger
	// TokenTTL is the lifetime of a web JWT; zero means 2h.
	TokenTTL time.Duration
	// UploadMaxAge is how long an idle tus upload is kept; zero means 24h.
	UploadMaxAge time.Duration
	// FilebrowserFrontend is a directory holding Filebrowser's built
	// frontend (its dist); when set, webfs serves it at / instead of its
	// own UI, configured to log in with the login link's cookie.
	FilebrowserFrontend string
	// MaxRequestsPerSession bounds one session's requests in flight (each
	// holds daemon memory and socket buffers outside the worker's
	// cgroup); past it requests get 429. Zero means 32.
	MaxRequestsPerSession int
}

// Server is the HTTPS file API. Create it with New.
type Server struct {
	// Immutable after New.
	opts    Options
	log     *slog.Logger
	key     []byte // HS256 key of web JWTs, fresh per daemon start
	certs   *certStore
	handler http.Handler
	limiter *throttle.Throttle
	prefs   prefsStore
	busy    *slots.Counter // requests in flight per session
	fb      *frontend      // Filebrowser's frontend, or nil for our UI
	revoked revocations
}

// New builds the server and loads (or generates) its certificate.
func New(opts Options) (*Server, error) {
	if opts.Lookup == nil || opts.Redeem == nil {
		return nil, errors.New("webfs: Lookup and Redeem are required")
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 2 * time.Hour
	}
	if opts.UploadMaxAge <= 0 {
		opts.UploadMaxAge = 24 * time.Hour
	}
	if opts.MaxRequestsPerSession <= 0 {
		opts.MaxRequestsPerSession = 32
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	certs, err := newCertStore(opts.CertFile, opts.KeyFile, opts.CertDir, opts.Hosts)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: log, key: make([]byte, 32), certs: certs, limiter: throttle.New(loginPolicy, time.Now),
		busy: slots.New(opts.MaxRequestsPerSession)}
	if opts.FilebrowserFrontend != "" {
		if s.fb, err = loadFrontend(opts.FilebrowserFrontend); err != nil {
			return nil, err
		}
	}
	rand.Read(s.key)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP handler (without TLS), for tests.
func (s *Server) Handler() http.Handler { return s.handler }

// Reload re-reads the certificate from disk; connections stay up and new
// handshakes use the new one. The daemon calls it on SIGHUP.
func (s *Server) Reload() error { return s.certs.reload() }

// TLSConfig returns the server's TLS configuration: TLS 1.2 or newer, the
// certificate taken from the atomically swapped store at each handshake.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: s.certs.get,
		// HTTP/1.1 only: Go's HTTP/2 server moves a 1 GiB download at about
		// half the speed (~700 MB/s vs ~1.3 GB/s here, one writer goroutine,
		// 16 KiB frames); for a file server the bytes matter more than
		// multiplexing, and browsers open parallel connections instead.
		NextProtos: []string{"http/1.1"},
	}
}

// Serve serves HTTPS on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := batchio.NewHTTPServer(s.handler, s.log)
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	if err := batchio.ServeHTTP(ctx, srv, ln, s.TLSConfig()); err != nil {
		return fmt.Errorf("webfs: %w", err)
	}
	return nil
}

// routes builds the gin engine. Everything not listed is 404; the
// command runner of Filebrowser is deliberately absent.
func (s *Server) routes() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.Use(s.recoverer, securityHeaders)
	r.NoRoute(func(c *gin.Context) { fail(c, http.StatusNotFound) })
	r.NoMethod(func(c *gin.Context) { fail(c, http.StatusMethodNotAllowed) })

	r.GET("/health", func(c *gin.Context) { c.Data(200, "application/json", []byte(`{"status":"OK"}`)) })
	r.GET("/login", s.loginLink)
	r.POST("/api/login", s.login)
	if s.fb != nil {
		r.GET("/", s.fbIndex)
		r.GET("/static/*file", s.fbStatic)
		r.NoRoute(s.fbNoRoute)
	} else {
		r.GET("/", s.index)
	}
	r.GET("/logout", s.logoutPage)
	r.GET("/ui/*file", s.asset)
	r.POST("/api/ui/token", s.uiToken)

	api := r.Group("/api", s.authenticate)
	api.POST("/renew", s.renew)
	api.GET("/ui/session", s.uiSession)
	api.POST("/ui/logout", s.uiLogout)
	api.POST("/ui/cookie", s.uiCookie)
	api.GET("/resources/*path", s.resourceGet)
	api.POST("/resources/*path", s.resourcePost)
	api.PUT("/resources/*path", s.resourcePut)
	api.PATCH("/resources/*path", s.resourcePatch)
	api.DELETE("/resources/*path", s.resourceDelete)
	api.GET("/raw/*path", s.raw)
	api.HEAD("/raw/*path", s.raw)
	api.POST("/tus/*path", s.tusPost)
	api.HEAD("/tus/*path", s.tusHead)
	api.PATCH("/tus/*path", s.tusPatch)
	api.DELETE("/tus/*path", s.tusDelete)
	api.GET("/search/*path", s.search)
	api.GET("/usage/*path", s.usage)
	api.GET("/users/:id", s.userGet)
	api.PUT("/users/:id", s.userPut)
	api.GET("/users", forbidden)
	api.POST("/users", forbidden)
	api.DELETE("/users/:id", forbidden)
	api.GET("/settings", forbidden)
	api.PUT("/settings", forbidden)
	api.Any("/shares", forbidden)
	api.Any("/share/*path", forbidden)
	api.GET("/preview/:size/*path", s.preview)
	return r
}

// loginPolicy slows token guessing on /api/login: five free failures per
// source (browsers retry), then 200 ms doubling to 5 s; queues over 15 s
// are refused with 429.
var loginPolicy = throttle.Policy{Free: 5, Base: 200 * time.Millisecond, Max: 5 * time.Second,
	Window: time.Minute, Queue: 15 * time.Second, Entries: 4096}
