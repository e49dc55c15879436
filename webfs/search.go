package webfs

import (
	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// search streams NDJSON matches below the path (see FILEBROWSER_API.md).
func (s *Server) search(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	s.stream(c, webproto.WebRequest{Op: webproto.WebSearch, Path: p, Query: c.Query("query")}, "application/x-ndjson")
}

// preview answers GET /api/preview/{thumb|big}/{path}: a JPEG of an
// image, scaled inside the worker (which refuses images too big to
// decode safely).
func (s *Server) preview(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	s.stream(c, webproto.WebRequest{Op: webproto.WebPreview, Path: p, Format: c.Param("size")}, "image/jpeg")
}

// usage answers {"total","used"} of the path's filesystem.
func (s *Server) usage(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	s.stream(c, webproto.WebRequest{Op: webproto.WebUsage, Path: p}, "application/json")
}
