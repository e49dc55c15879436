package webfs

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// resourceGet answers GET /api/resources/{path}: a listing, a file's info
// (with content for text, checksums on request), the raw bytes with
// X-Encoding: true, or the recursive listing under /recursive/.
func (s *Server) resourceGet(c *gin.Context) {
	if rest, found := strings.CutPrefix(c.Param("path"), "/recursive"); found && (rest == "" || rest[0] == '/') {
		p, err := cleanPath(rest)
		if err != nil {
			fail(c, http.StatusBadRequest)
			return
		}
		s.stream(c, webproto.WebRequest{Op: webproto.WebRecursive, Path: p}, "application/json; charset=utf-8")
		return
	}
	p, ok := userPath(c)
	if !ok {
		return
	}
	sum := c.Query("checksum")
	switch sum {
	case "", "md5", "sha1", "sha256", "sha512":
	default:
		fail(c, http.StatusBadRequest)
		return
	}
	if c.GetHeader("X-Encoding") == "true" {
		// The raw bytes, typed as Filebrowser types them: its CSV view
		// takes them only as application/octet-stream. Any file, since a
		// single file's type may come from its content (results.out).
		st, ok := s.run(c, webproto.WebRequest{Op: webproto.WebStat, Path: p}, nil)
		if !ok {
			return
		}
		if st.IsDir {
			fail(c, http.StatusBadRequest)
			return
		}
		s.stream(c, webproto.WebRequest{Op: webproto.WebRead, Path: p, Length: -1}, "application/octet-stream")
		return
	}
	// A folder lists in the user's sorting (PUT /api/users/{id}), as
	// Filebrowser's server does: its frontend shows items in this order.
	sess := sessionOf(c)
	srt := sessionUser(sess, s.prefs.get(sess.ID())).Sorting
	req := webproto.WebRequest{Op: webproto.WebInfo, Path: p, Checksum: sum, Content: true, Sort: srt.By, Asc: srt.Asc}
	s.stream(c, req, "application/json; charset=utf-8")
}

// resourcePost answers POST: mkdir -p for a path ending in "/", else the
// raw body becomes the file (409 if it exists, unless override=true).
func (s *Server) resourcePost(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	if strings.HasSuffix(c.Param("path"), "/") {
		if _, ok := s.run(c, webproto.WebRequest{Op: webproto.WebMkdir, Path: p}, nil); ok {
			ok200(c)
		}
		return
	}
	req := webproto.WebRequest{Op: webproto.WebWrite, Path: p, Override: c.Query("override") == "true"}
	if _, ok := s.run(c, req, c.Request.Body); ok {
		ok200(c)
	}
}

// resourcePut overwrites an existing file with the body; 404 if absent.
func (s *Server) resourcePut(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	if _, ok := s.run(c, webproto.WebRequest{Op: webproto.WebWrite, Path: p, Existing: true}, c.Request.Body); ok {
		ok200(c)
	}
}

// resourcePatch copies or moves (action=copy|rename) to destination.
func (s *Server) resourcePatch(c *gin.Context) {
	src, ok := userPath(c)
	if !ok {
		return
	}
	dst, err := url.PathUnescape(c.Query("destination"))
	if err == nil {
		dst, err = cleanPath(dst)
	}
	if err != nil || c.Query("destination") == "" {
		fail(c, http.StatusBadRequest)
		return
	}
	var op string
	switch c.Query("action") {
	case "copy":
		op = webproto.WebCopy
	case "rename":
		op = webproto.WebMove
	default:
		fail(c, http.StatusBadRequest)
		return
	}
	if src == "/" || dst == "/" {
		fail(c, http.StatusForbidden)
		return
	}
	if dst == src && op == webproto.WebMove {
		ok200(c)
		return
	}
	if strings.HasPrefix(dst, src+"/") {
		fail(c, http.StatusBadRequest) // into itself
		return
	}
	req := webproto.WebRequest{Op: op, Path: src, Dest: dst, Override: c.Query("override") == "true", Rename: c.Query("rename") == "true"}
	if _, ok := s.run(c, req, nil); ok {
		ok200(c)
	}
}

// resourceDelete removes recursively; "/" is 403; 204 on success.
func (s *Server) resourceDelete(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	if p == "/" {
		fail(c, http.StatusForbidden)
		return
	}
	if _, ok := s.run(c, webproto.WebRequest{Op: webproto.WebDelete, Path: p}, nil); ok {
		c.Status(http.StatusNoContent)
	}
}
