package proxy

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/storage-agent/storage-agent/isolation"
)

// startTimeout bounds one worker start; a start is normally ~20 ms.
const startTimeout = 30 * time.Second

// opened is what open hands back: the session and its two fresh tokens.
type opened struct {
	sess       *Session
	token      string
	loginToken string
}

// open resolves p's mounts on disk, takes a slot, starts the worker and
// registers the session. The slot is taken before the start, so
// concurrent opens never oversubscribe, and given back if anything fails.
func (s *Service) open(ctx context.Context, p *openParams) (*opened, error) {
	if err := s.resolveMounts(p); err != nil {
		return nil, err
	}
	if s.isClosed() {
		return nil, ErrServiceClosed
	}
	release, err := s.slots.reserve(p.user, p.userLimit)
	if err != nil {
		return nil, err
	}
	id := randomHex(16)
	spec := isolation.Spec{ID: id, UID: p.uid, GID: p.gid, Limits: p.limits}
	for _, m := range p.mounts {
		spec.Mounts = append(spec.Mounts, isolation.Mount{Name: m.info.Name, HostPath: m.hostPath, ReadOnly: m.readOnly})
	}
	// The timeout bounds the start only; the worker lives until Stop.
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	w, err := s.start(sctx, spec)
	cancel()
	if err != nil {
		release()
		s.log.Error("session start failed", "session", id, "user", p.user, "err", err)
		return nil, fmt.Errorf("%w: %w", ErrWorkerStart, err)
	}

	now := time.Now().UTC().Truncate(time.Second)
	sess := &Session{
		id:       id,
		user:     p.user,
		created:  now,
		expires:  now.Add(p.ttl),
		w:        w,
		keys:     p.keys,
		signer:   s.signer,
		procs:    s.procs,
		idle:     time.Duration(s.cfg.Session.IdleTimeout),
		log:      s.log,
		onClosed: func(sess *Session) { s.unregister(sess); release() },
		done:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	for _, m := range p.mounts {
		sess.mounts = append(sess.mounts, m.info)
	}
	o := &opened{sess: sess}
	if o.token, err = s.signer.mint(tokenSession, id, now, sess.expires); err == nil {
		o.loginToken, err = s.signer.mint(tokenLogin, id, now, now.Add(loginTokenTTL))
	}
	if err != nil {
		sess.close("token signing failed")
		return nil, err
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sess.close("shutdown")
		return nil, ErrServiceClosed
	}
	s.sessions[id] = sess
	s.mu.Unlock()
	sess.run()
	s.log.Info("session opened", "session", id, "user", p.user, "mounts", len(p.mounts), "expires", sess.expires)
	return o, nil
}

// resolveMounts maps each mount to its folder's host path; unknown
// volumes and missing folders are "not found".
func (s *Service) resolveMounts(p *openParams) error {
	for i := range p.mounts {
		m := &p.mounts[i]
		vol, ok := s.volumes[m.info.Volume]
		if !ok {
			return fmt.Errorf("mounts[%d].volume %q: %w", i, m.info.Volume, ErrUnknownVolume)
		}
		dir, err := vol.folderDir(m.vf)
		if err != nil {
			return fmt.Errorf("mounts[%d]: %w", i, err)
		}
		m.hostPath = dir
	}
	return nil
}

func (s *Service) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// info describes sess; loginToken, when set, goes into the web URL.
func (s *Service) info(sess *Session, loginToken string) SessionInfo {
	return SessionInfo{
		ID:        sess.id,
		User:      sess.user,
		CreatedAt: sess.created,
		ExpiresAt: sess.expires,
		SFTP: SFTPInfo{
			Host:     s.cfg.Agent.PublicHost,
			Port:     s.cfg.SFTP.ServiceAddr.Port,
			Username: sess.id,
		},
		Web:    WebInfo{URL: s.webURL(loginToken)},
		Mounts: sess.Mounts(),
	}
}

// webURL is the web login address, with loginToken when set.
func (s *Service) webURL(loginToken string) string {
	u := url.URL{
		Scheme: "https",
		Host:   net.JoinHostPort(s.cfg.Agent.PublicHost, strconv.Itoa(s.cfg.WebFS.ServiceAddr.Port)),
		Path:   "/login",
	}
	if loginToken != "" {
		u.RawQuery = url.Values{"token": {loginToken}}.Encode()
	}
	return u.String()
}
