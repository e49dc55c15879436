package proxy

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

func (s *Service) handleOpen(c *gin.Context) {
	var req OpenRequest
	if err := decodeStrict(c.Writer, c.Request, &req); err != nil {
		abortProblem(c, err)
		return
	}
	p, err := validateOpen(&req, &s.cfg.Session)
	if err != nil {
		abortProblem(c, err)
		return
	}
	o, err := s.open(c.Request.Context(), p)
	if err != nil {
		abortProblem(c, err)
		return
	}
	info := s.info(o.sess, o.loginToken)
	info.Token = o.token
	c.JSON(http.StatusCreated, info)
}

func (s *Service) handleList(c *gin.Context) {
	all := s.list()
	out := SessionList{Sessions: make([]SessionInfo, 0, len(all))}
	for _, sess := range all {
		out.Sessions = append(out.Sessions, s.info(sess, ""))
	}
	// Oldest first, ties by id, so the listing is stable.
	slices.SortFunc(out.Sessions, func(a, b SessionInfo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	c.JSON(http.StatusOK, out)
}

func (s *Service) handleGet(c *gin.Context) {
	sess, ok := s.Lookup(c.Param("id"))
	if !ok {
		abortProblem(c, fmt.Errorf("%w: %q", ErrSessionNotFound, c.Param("id")))
		return
	}
	c.JSON(http.StatusOK, s.info(sess, ""))
}

// handleDelete answers once the session is fully closed: worker gone,
// slot free, tokens dead.
func (s *Service) handleDelete(c *gin.Context) {
	sess, err := s.get(c.Param("id"))
	if err != nil {
		abortProblem(c, err)
		return
	}
	sess.close("closed by manager")
	c.Status(http.StatusNoContent)
}
