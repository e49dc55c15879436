package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// AuthHeader carries the manager secret on every authenticated request.
const AuthHeader = "X-BackendAI-Storage-Auth-Token"

// Handler returns the manager API.
func (s *Service) Handler() http.Handler { return s.handler }

func (s *Service) routes() http.Handler {
	// Release mode keeps gin from printing its debug banner and routes;
	// we log requests ourselves through slog.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	_ = r.SetTrustedProxies(nil) // the manager connects directly
	r.Use(s.recoverer, s.logRequests)
	r.NoRoute(func(c *gin.Context) { abortProblem(c, fmt.Errorf("%w: no route %s", ErrNotFound, c.Request.URL.Path)) })
	r.NoMethod(func(c *gin.Context) { abortProblem(c, fmt.Errorf("%w: %s", errMethodNotAllowed, c.Request.Method)) })

	// Status and probes need no secret, as in Backend.AI's storage proxy,
	// so probes need not hold one.
	alive := func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }
	r.GET("/health", alive)
	r.GET("/livez", alive)
	r.GET("/readyz", alive)
	r.GET("/", s.handleStatus)
	r.GET("/status", s.handleStatus)

	a := r.Group("/", s.authenticate)
	if s.storage != nil {
		s.storage.Register(a)
	}
	a.POST("/sessions", s.handleOpen)
	a.GET("/sessions", s.handleList)
	a.GET("/sessions/:id", s.handleGet)
	a.DELETE("/sessions/:id", s.handleDelete)
	a.POST("/sessions/:id/web-login", s.handleWebLogin)
	return r
}

// authenticate compares SHA-256 digests in constant time, so neither the
// secret's bytes nor its length leak through timing.
func (s *Service) authenticate(c *gin.Context) {
	got := c.Request.Header.Values(AuthHeader)
	if len(got) != 1 {
		abortProblem(c, fmt.Errorf("%w: missing %s header", ErrForbidden, AuthHeader))
		return
	}
	sum := sha256.Sum256([]byte(got[0]))
	if subtle.ConstantTimeCompare(sum[:], s.secretSum[:]) != 1 {
		abortProblem(c, fmt.Errorf("%w: wrong %s", ErrForbidden, AuthHeader))
		return
	}
	c.Next()
}

// recoverer turns a handler panic into a logged 500 instead of a dropped
// connection with gin's default output.
func (s *Service) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("manager API panic", "method", c.Request.Method, "path", c.Request.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			abortProblem(c, fmt.Errorf("internal error"))
		}
	}()
	c.Next()
}

// logRequests logs one line per request; never headers or bodies, which
// hold the secret and keys.
func (s *Service) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.log.Info("manager API", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(start), "remote", c.Request.RemoteAddr)
}

func (s *Service) handleStatus(c *gin.Context) {
	c.JSON(http.StatusOK, StatusInfo{
		Status:       "ok",
		Type:         "manager-facing",
		StorageProxy: s.version,
		AgentID:      s.cfg.Agent.ID,
		Version:      s.version,
		Sessions:     s.slots.slots(),
		Sandbox:      s.walls,
	})
}
