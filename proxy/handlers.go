package proxy

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

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

// handleWebLogin mints a fresh single-use login link for an open session,
// for a user whose first link was used, expired or lost.
func (s *Service) handleWebLogin(c *gin.Context) {
	sess, ok := s.Lookup(c.Param("id"))
	if !ok {
		abortProblem(c, fmt.Errorf("%w: %q", ErrSessionNotFound, c.Param("id")))
		return
	}
	now := time.Now()
	exp := now.Add(loginTokenTTL)
	tok, err := s.signer.mint(tokenLogin, sess.id, now, exp)
	if err != nil {
		abortProblem(c, err)
		return
	}
	s.log.Info("web login link issued", "session", sess.id)
	c.JSON(http.StatusOK, WebLoginInfo{URL: s.webURL(tok), ExpiresAt: exp.UTC().Truncate(time.Second)})
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
