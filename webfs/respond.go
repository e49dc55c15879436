package webfs

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/isolation"
)

// csp is the Content-Security-Policy of every response: only our own
// scripts and styles, nothing framed, no plugins.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// rawCSP is for user content shown inline: it runs nothing at all.
const rawCSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"

// securityHeaders sets what every response carries.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	c.Next()
}

// recoverer turns a panic into a 500 instead of a dropped connection.
func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.log.Error("webfs: panic", "path", c.Request.URL.Path, "panic", fmt.Sprint(r))
			fail(c, http.StatusInternalServerError)
		}
	}()
	c.Next()
}

// fail answers with Filebrowser's plain-text error body "<code> <text>".
func fail(c *gin.Context, code int) {
	if c.Writer.Written() {
		c.Abort()
		return
	}
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.String(code, "%d %s", code, http.StatusText(code))
	c.Abort()
}

// ok200 answers 200 with body "200 OK", Filebrowser's bodiless success.
func ok200(c *gin.Context) { c.String(http.StatusOK, "200 OK") }

func forbidden(c *gin.Context) { fail(c, http.StatusForbidden) }

// errBadPath marks a user path refused before it reaches a worker.
var errBadPath = errors.New("webfs: bad path")

// cleanPath checks a user path from the URL (already percent-decoded by
// net/http, so %2e%2e and %2f arrive as "." and "/") and returns it
// cleaned, rooted and without a trailing slash. It refuses NUL, invalid
// UTF-8 (overlong encodings included) and any ".." element outright,
// rather than cleaning them away: such a request is never honest.
// Backslashes are ordinary name characters on Linux and pass.
func cleanPath(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 || !utf8.ValidString(p) {
		return "", errBadPath
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return "", errBadPath
		}
	}
	return path.Clean("/" + p), nil
}

// userPath is cleanPath of the route's *path parameter; on a bad path it
// answers 400 and returns ok=false.
func userPath(c *gin.Context) (string, bool) {
	p, err := cleanPath(c.Param("path"))
	if err != nil {
		fail(c, http.StatusBadRequest)
		return "", false
	}
	return p, true
}

// statusOf maps an error of Session.Web to an HTTP status.
func statusOf(err error) int {
	if errors.Is(err, isolation.ErrWorkerGone) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
