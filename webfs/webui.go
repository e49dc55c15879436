package webfs

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/web"
)

// uiHeader is the custom header the UI's token exchange must carry. A
// cross-origin page cannot add it without a CORS preflight, which webfs
// never grants, so it proves the request comes from a same-origin script.
const (
	uiHeader      = "X-Requested-With"
	uiHeaderValue = "storage-agent-ui"
)

// expirer is the optional part of a Session that knows its end by TTL;
// the UI shows it and warns before it.
type expirer interface {
	ExpiresAt() time.Time
}

// uiToken answers POST /api/ui/token: it trades the auth cookie, which
// the login link set and which scripts cannot read (HttpOnly), for a JWT
// of the same login, so the UI can send X-Auth on writes.
//
// Why this is safe: the cookie is SameSite=Strict, so a cross-site request
// never carries it; the request must say Sec-Fetch-Site: same-origin
// (set by the browser, not by scripts) and carry uiHeader, which a
// cross-origin page cannot send without a preflight we never allow; and
// the answer has no CORS headers, so only a same-origin script can read
// it. A cross-site page can thus neither trigger nor read the exchange;
// a same-origin script could already act with the cookie, and the CSP
// lets only our own scripts run. POST keeps the token out of caches and
// history. Browsers too old to send Sec-Fetch-Site still send Origin on
// a POST: then it must name this very host.
func (s *Server) uiToken(c *gin.Context) {
	if !sameOrigin(c.Request) || c.GetHeader(uiHeader) != uiHeaderValue {
		fail(c, http.StatusForbidden)
		return
	}
	if s.tradeCookie(c) != nil {
		fail(c, http.StatusUnauthorized)
	}
}

// tradeCookie answers with a JWT of the login whose auth cookie came with
// the request (same lid, same first login time, so logout ends both), or
// answers nothing and returns http.ErrNoCookie or verify's error.
func (s *Server) tradeCookie(c *gin.Context) error {
	ck, err := c.Request.Cookie("auth")
	if err != nil {
		return err
	}
	cl, sess, err := s.verify(ck.Value)
	if err != nil {
		return err
	}
	s.sendToken(c, sess, time.Unix(cl.AuthTime, 0), cl.Login)
	return nil
}

// sameOrigin tells whether the browser says the request comes from a page
// of this origin: Sec-Fetch-Site, or failing that, Origin.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	return r.Header.Get("Origin") == "https://"+r.Host
}

// uiSession answers GET /api/ui/session: who is logged in and until when.
func (s *Server) uiSession(c *gin.Context) {
	sess, cl := sessionOf(c), claimsOf(c)
	out := gin.H{"user": sess.User(), "session": sess.ID(), "tokenExpires": cl.ExpiresAt.Time.UTC()}
	if e, ok := sess.(expirer); ok {
		out["expires"] = e.ExpiresAt().UTC()
	}
	c.JSON(http.StatusOK, out)
}

// uiCookie answers POST /api/ui/cookie: after a login by form, the UI
// asks for the auth cookie of its X-Auth token, so that downloads, previews
// and media (plain GETs the browser makes itself) authenticate too.
func (s *Server) uiCookie(c *gin.Context) {
	s.setAuthCookie(c, c.GetHeader("X-Auth"))
	ok200(c)
}

// uiLogout answers POST /api/ui/logout: every token of this login (the
// JWT in X-Auth, the cookie, their renewals) stops working at once, and
// the cookie is cleared.
func (s *Server) uiLogout(c *gin.Context) {
	cl := claimsOf(c)
	s.revoked.add(cl.Login, time.Unix(cl.AuthTime, 0).Add(maxTokenAge))
	clearAuthCookie(c)
	ok200(c)
}

// clearAuthCookie tells the browser to drop the auth cookie.
func clearAuthCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: "auth", Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// asset serves a file of the embedded UI from under /ui/.
func (s *Server) asset(c *gin.Context) {
	name := path.Clean("/" + c.Param("file"))[1:]
	s.sendUIFile(c, name)
}

// index serves the UI's entry page; it holds no secret, so it needs no
// login: the page itself shows the login form when it has no token.
func (s *Server) index(c *gin.Context) { s.sendUIFile(c, "index.html") }

func (s *Server) sendUIFile(c *gin.Context, name string) {
	body, err := fs.ReadFile(web.FS(), name)
	if err != nil || name == "" {
		fail(c, http.StatusNotFound)
		return
	}
	typ := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".js" {
		typ = "text/javascript; charset=utf-8" // some hosts map .js to application/x-...
	}
	if typ == "" {
		typ = "application/octet-stream"
	}
	c.Data(http.StatusOK, typ, body)
}

// newLoginID names one login (link, form or API): all tokens renewed from
// it share the id, so logout can end them together.
func newLoginID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// revocations holds the logins ended by logout until their tokens would
// have expired anyway (at most maxTokenAge), so it stays small.
type revocations struct {
	mu    sync.Mutex
	until map[string]time.Time // login id -> when forgetting it is safe; guarded by mu
}

func (r *revocations) add(id string, until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.until == nil {
		r.until = make(map[string]time.Time)
	}
	now := time.Now()
	for k, t := range r.until {
		if now.After(t) {
			delete(r.until, k)
		}
	}
	r.until[id] = until
}

func (r *revocations) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.until[id]
	return ok
}
