package proxy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/proxy/procs"
	"github.com/storage-agent/storage-agent/proxy/storage"
)

// Sandbox starts session workers; *isolation.Manager is one.
type Sandbox interface {
	Start(ctx context.Context, spec isolation.Spec) (*isolation.Worker, error)
}

var _ Sandbox = (*isolation.Manager)(nil)

// Options configure a Service.
type Options struct {
	Config  *config.Config // validated; Secret already filled in by the caller
	Sandbox Sandbox
	Logger  *slog.Logger // nil: discard
	Version string
	// Walls are the sandbox's kernel-dependent walls, for /status.
	Walls isolation.Walls
	// TokenKey signs session tokens (HS256). Caller loads it with LoadOrCreateKey.
	TokenKey []byte
	// Storage adds the storage-proxy routes behind the manager secret;
	// nil serves sessions only.
	Storage StorageRoutes
	// Procs counts each session's channels and web requests as transfers
	// in flight; nil counts nothing (tests: GOMAXPROCS is the process's).
	Procs *procs.Scaler
}

// StorageRoutes registers routes; *storageapi.API is one.
type StorageRoutes interface {
	Register(r gin.IRoutes)
}

// minKeyLen is HS256's key size: shorter keys weaken the MAC.
const minKeyLen = 32

// Service is the session registry behind the manager API.
type Service struct {
	// Immutable after New.
	cfg       *config.Config
	log       *slog.Logger
	version   string
	walls     isolation.Walls
	start     func(ctx context.Context, spec isolation.Spec) (worker, error)
	signer    tokenSigner
	secretSum [sha256.Size]byte
	volumes   map[string]volume
	storage   StorageRoutes
	handler   http.Handler
	procs     *procs.Scaler

	slots    *admission
	redeemed redeemedSet

	mu       sync.Mutex
	sessions map[string]*Session // guarded by mu; registered until finished closing
	closed   bool                // guarded by mu
}

// New builds the service. ctx only bounds the set-up; sessions live until
// they close or Close is called.
func New(ctx context.Context, opts Options) (*Service, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg := opts.Config
	switch {
	case cfg == nil:
		return nil, errors.New("proxy: no config")
	case opts.Sandbox == nil:
		return nil, errors.New("proxy: no sandbox")
	case cfg.API.Manager.Secret == "":
		return nil, errors.New("proxy: api.manager.secret is empty")
	case len(opts.TokenKey) < minKeyLen:
		return nil, fmt.Errorf("proxy: token key shorter than %d bytes", minKeyLen)
	case cfg.Agent.ID == "":
		return nil, errors.New("proxy: agent.id is empty")
	case cfg.Session.MaxSessions < 1:
		return nil, errors.New("proxy: session.max-sessions must be at least 1")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		cfg:       cfg,
		log:       log,
		version:   opts.Version,
		walls:     opts.Walls,
		signer:    tokenSigner{key: append([]byte(nil), opts.TokenKey...), agentID: cfg.Agent.ID},
		secretSum: sha256.Sum256([]byte(cfg.API.Manager.Secret)),
		volumes:   make(map[string]volume, len(cfg.Volume)),
		storage:   opts.Storage,
		procs:     opts.Procs,
		slots:     newAdmission(cfg.Session.MaxSessions),
		sessions:  make(map[string]*Session),
	}
	sandbox := opts.Sandbox
	s.start = func(ctx context.Context, spec isolation.Spec) (worker, error) {
		w, err := sandbox.Start(ctx, spec)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return w, nil
	}
	for name, v := range cfg.Volume {
		vol, err := openVolume(name, v.Backend, v.Path)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		s.volumes[name] = vol
	}
	s.handler = s.routes()
	return s, nil
}

// Lookup returns the open session with id.
func (s *Service) Lookup(id string) (*Session, bool) {
	s.mu.Lock()
	sess, ok := s.sessions[id]
	s.mu.Unlock()
	if !ok || sess.isClosed() {
		return nil, false
	}
	return sess, true
}

// RedeemLoginToken checks a web login token and returns its session. Each
// login token works once, and only while its session is open.
func (s *Service) RedeemLoginToken(token string) (*Session, error) {
	c, err := s.signer.verify(token, tokenLogin)
	if err != nil {
		return nil, err
	}
	sess, ok := s.Lookup(c.Subject)
	if !ok {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrSessionClosed)
	}
	if err := s.redeemed.redeem(c.ID, c.ExpiresAt.Time, time.Now()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return sess, nil
}

// Close closes every session and refuses new ones; it returns when all
// are closed or ctx ends, whichever is first.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	all := make([]*Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()

	var wg sync.WaitGroup
	for _, sess := range all {
		wg.Go(func() { sess.close("shutdown") })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("proxy: close: %w", ctx.Err())
	}
}

// get returns a registered session, open or closing.
func (s *Service) get(id string) (*Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrSessionNotFound, id)
	}
	return sess, nil
}

// CloseSessionsMounting closes every open session that mounts vfid on
// volume and returns how many it closed; it returns once they are closed.
// Deleting a vfolder calls it first, so no session keeps writing into a
// folder that is gone.
func (s *Service) CloseSessionsMounting(volume string, vfid storage.VFID) int {
	if !vfid.HasScope() {
		return 0 // sessions mount only vfids with a quota scope
	}
	want := mountVFID(vfid)
	n := 0
	for _, sess := range s.list() {
		if slices.ContainsFunc(sess.mounts, func(m MountInfo) bool {
			return m.Volume == volume && m.VFID == want
		}) {
			sess.close("vfolder deleted")
			n++
		}
	}
	return n
}

// list returns the open sessions.
func (s *Service) list() []*Session {
	s.mu.Lock()
	all := make([]*Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	open := all[:0]
	for _, sess := range all {
		if !sess.isClosed() {
			open = append(open, sess)
		}
	}
	return open
}

// unregister is every session's onClosed.
func (s *Service) unregister(sess *Session) {
	s.mu.Lock()
	delete(s.sessions, sess.id)
	s.mu.Unlock()
}
