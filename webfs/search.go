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

// usage answers {"total","used"} of the path's filesystem.
func (s *Server) usage(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	s.stream(c, webproto.WebRequest{Op: webproto.WebUsage, Path: p}, "application/json")
}
