package webfs

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// copyBuffer is the relay buffer size from a worker to a client.
const copyBuffer = 256 << 10

// do runs req in the caller's session worker, which reads body (the
// request's, or nil) as the operation's input. On a worker error or an
// error status it answers the client and returns ok=false; otherwise the
// caller owns payload (close it).
func (s *Server) do(c *gin.Context, req webproto.WebRequest, body io.Reader) (webproto.WebReply, io.ReadCloser, bool) {
	if body != nil {
		lw, restore := lowWaterBody(c, body)
		defer restore() // the worker has replied: it read what it wanted
		body = lw
	}
	rep, payload, err := sessionOf(c).Web(c.Request.Context(), req, body)
	if err != nil {
		s.log.Warn("webfs: worker request failed", "op", req.Op, "err", err)
		fail(c, statusOf(err))
		return rep, nil, false
	}
	if rep.Status >= 300 {
		payload.Close()
		if rep.Status >= 500 {
			s.log.Warn("webfs: operation failed", "op", req.Op, "status", rep.Status, "err", rep.Error)
		}
		fail(c, rep.Status)
		return rep, nil, false
	}
	return rep, payload, true
}

// run is do for operations without a payload.
func (s *Server) run(c *gin.Context, req webproto.WebRequest, body io.Reader) (webproto.WebReply, bool) {
	rep, payload, ok := s.do(c, req, body)
	if ok {
		payload.Close()
	}
	return rep, ok
}

// stream relays an operation's payload as the response body.
func (s *Server) stream(c *gin.Context, req webproto.WebRequest, contentType string) {
	_, payload, ok := s.do(c, req, nil)
	if !ok {
		return
	}
	defer payload.Close()
	c.Header("Content-Type", contentType)
	c.Status(http.StatusOK)
	relay(c.Writer, payload)
}

// relay copies with a large buffer; a client gone away just ends it.
func relay(w io.Writer, r io.Reader) {
	buf := make([]byte, copyBuffer)
	_, _ = io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, buf)
}
