package webfs

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// tusHeaders marks tus answers (protocol 1.0.0).
func tusHeaders(c *gin.Context) {
	c.Header("Tus-Resumable", "1.0.0")
	c.Header("Cache-Control", "no-store")
}

// escapePath escapes each element of a session path for a URL.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// tusPost starts an upload: Upload-Length >= 0; 409 if the file exists
// and override is not true; 201 with the upload's Location. Our UI may
// ask for a striped upload (Upload-Stripes: N, at most
// webproto.MaxStripes): N parts of the file sent side by side, each from
// its start, with Upload-Offset saying where a PATCH's bytes go (see
// isolation/serve/web/tusstripes.go).
func (s *Server) tusPost(c *gin.Context) {
	tusHeaders(c)
	p, ok := userPath(c)
	if !ok {
		return
	}
	n, err := strconv.ParseInt(c.GetHeader("Upload-Length"), 10, 64)
	if err != nil || n < 0 {
		fail(c, http.StatusBadRequest)
		return
	}
	stripes := 0
	if h := c.GetHeader("Upload-Stripes"); h != "" {
		if stripes, err = strconv.Atoi(h); err != nil || stripes < 1 || stripes > webproto.MaxStripes {
			fail(c, http.StatusBadRequest)
			return
		}
	}
	req := webproto.WebRequest{Op: webproto.WebTusCreate, Path: p, Length: n, Stripes: stripes,
		Override: c.Query("override") == "true", MaxAge: int64(s.opts.UploadMaxAge.Seconds())}
	if _, ok := s.run(c, req, nil); !ok {
		return
	}
	c.Header("Location", "/api/tus"+escapePath(p))
	c.Header("Upload-Offset", "0")
	c.Status(http.StatusCreated)
}

// tusHead reports the offset of an active upload; 404 if none.
func (s *Server) tusHead(c *gin.Context) {
	tusHeaders(c)
	p, ok := userPath(c)
	if !ok {
		return
	}
	rep, ok := s.run(c, webproto.WebRequest{Op: webproto.WebTusHead, Path: p}, nil)
	if !ok {
		return
	}
	c.Header("Upload-Offset", strconv.FormatInt(rep.Offset, 10))
	c.Header("Upload-Length", strconv.FormatInt(rep.Length, 10))
	if len(rep.Stripes) > 0 {
		offs := make([]string, len(rep.Stripes))
		for i, o := range rep.Stripes {
			offs[i] = strconv.FormatInt(o, 10)
		}
		c.Header("Upload-Stripes", strconv.Itoa(len(offs)))
		c.Header("Upload-Stripe-Offsets", strings.Join(offs, ","))
	}
	c.Status(http.StatusOK)
}

// tusPatch appends a chunk at Upload-Offset (409 if not the current
// offset, 415 without the tus content type, 413 past Upload-Length).
func (s *Server) tusPatch(c *gin.Context) {
	tusHeaders(c)
	p, ok := userPath(c)
	if !ok {
		return
	}
	if c.GetHeader("Content-Type") != "application/offset+octet-stream" {
		fail(c, http.StatusUnsupportedMediaType)
		return
	}
	off, err := strconv.ParseInt(c.GetHeader("Upload-Offset"), 10, 64)
	if err != nil || off < 0 {
		fail(c, http.StatusBadRequest)
		return
	}
	rep, ok := s.run(c, webproto.WebRequest{Op: webproto.WebTusPatch, Path: p, Offset: off}, c.Request.Body)
	if !ok {
		return
	}
	c.Header("Upload-Offset", strconv.FormatInt(rep.Offset, 10))
	c.Status(http.StatusNoContent)
}

// tusDelete drops an upload; 404 if none.
func (s *Server) tusDelete(c *gin.Context) {
	tusHeaders(c)
	p, ok := userPath(c)
	if !ok {
		return
	}
	if _, ok := s.run(c, webproto.WebRequest{Op: webproto.WebTusDelete, Path: p}, nil); ok {
		c.Status(http.StatusNoContent)
	}
}
