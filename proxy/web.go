package proxy

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// webWorker is the part of a worker that serves webfs; *isolation.Worker
// has it. Kept apart from the worker interface so session tests need not.
type webWorker interface {
	Web(ctx context.Context, req webproto.WebRequest, body io.Reader) (webproto.WebReply, io.ReadCloser, error)
}

var _ webWorker = (*isolation.Worker)(nil)

// Web runs one webfs file operation inside the session's worker.
func (s *Session) Web(ctx context.Context, req webproto.WebRequest, body io.Reader) (webproto.WebReply, io.ReadCloser, error) {
	if s.isClosed() {
		return webproto.WebReply{}, nil, ErrSessionClosed
	}
	w, ok := s.w.(webWorker)
	if !ok {
		return webproto.WebReply{}, nil, errors.New("proxy: this worker does not serve web requests")
	}
	return w.Web(ctx, req, body)
}

// ExpiresAt is when the session ends by its TTL; the web UI shows it.
func (s *Session) ExpiresAt() time.Time { return s.expires }
