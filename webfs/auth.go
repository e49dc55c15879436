package webfs

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// maxLoginBody caps POST /api/login bodies.
const maxLoginBody = 1 << 20

// Context keys set by authenticate.
const (
	keySession = "webfs.session"
	keyClaims  = "webfs.claims"
	keyBounded = "webfs.bounded" // bool: past autotunedRequests in flight
)

// authenticate admits a request with a valid web token: the X-Auth header,
// or for GET and HEAD also the auth cookie (a cookie alone never changes
// anything, so a forged cross-site request cannot either). The session is
// held busy for the request's duration.
func (s *Server) authenticate(c *gin.Context) {
	tok := c.GetHeader("X-Auth")
	if tok == "" && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
		if ck, err := c.Request.Cookie("auth"); err == nil {
			tok = ck.Value
		}
	}
	if tok == "" {
		fail(c, http.StatusUnauthorized)
		return
	}
	claims, sess, err := s.verify(tok)
	if err != nil {
		fail(c, http.StatusUnauthorized)
		return
	}
	if time.Until(claims.ExpiresAt.Time) < renewWindow {
		c.Header("X-Renew-Token", "true")
	}
	done, inFlight, ok := s.busy.Acquire(sess.ID())
	if !ok {
		// Each request in flight holds daemon memory and kernel socket
		// buffers that no cgroup of the session accounts for.
		c.Header("Retry-After", "1")
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.String(http.StatusTooManyRequests, "429 Too Many Requests: this session already has %d requests in flight "+
			"(session.max-web-requests); retry when one of them ends\n", s.busy.Max())
		c.Abort()
		return
	}
	defer done()
	c.Set(keyBounded, boundSendQueue(c.Request.Context(), inFlight))
	release := sess.Hold()
	defer release()
	c.Set(keySession, sess)
	c.Set(keyClaims, claims)
	c.Next()
}

func sessionOf(c *gin.Context) Session { return c.MustGet(keySession).(Session) }
func claimsOf(c *gin.Context) *Claims  { return c.MustGet(keyClaims).(*Claims) }

// sourceAddr is the client's IP for throttling (no proxy headers trusted).
func sourceAddr(c *gin.Context) netip.Addr {
	ap, err := netip.ParseAddrPort(c.Request.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// login answers POST /api/login: username = session id, password =
// session token; a bare JWT on success, 403 otherwise, slowed per source.
// Empty credentials ask for the auth cookie's login (see cookieLogin).
func (s *Server) login(c *gin.Context) {
	src := sourceAddr(c)
	if err := s.limiter.Wait(c.Request.Context(), src); err != nil {
		fail(c, http.StatusTooManyRequests)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxLoginBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		fail(c, http.StatusRequestEntityTooLarge)
		return
	}
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err != nil || json.Unmarshal(body, &in) != nil {
		fail(c, http.StatusBadRequest)
		return
	}
	if in.Username == "" && in.Password == "" {
		s.cookieLogin(c, src)
		return
	}
	sess, found := s.opts.Lookup(in.Username)
	if !found || sess.VerifyToken(in.Password) != nil {
		s.limiter.Fail(src)
		fail(c, http.StatusForbidden)
		return
	}
	s.sendToken(c, sess, time.Now(), newLoginID())
}

// cookieLogin answers POST /api/login with an empty username and
// password: the JWT of the login whose auth cookie the browser sent, or
// 403. Filebrowser's frontend, told LoginPage: false (as its proxy auth
// does), logs in this way at start-up and keeps the answer in
// localStorage; since the login link sets the cookie, the link logs that
// frontend in too.
//
// Why this is safe (as uiToken): the cookie is SameSite=Strict, so a
// cross-site request never carries it; the body must be declared JSON,
// which no HTML form can send and a cross-origin script can send only
// after a CORS preflight, which webfs never grants; the browser must say
// the request comes from this origin (Sec-Fetch-Site, which scripts cannot
// set, or failing that Origin); and the answer has no CORS headers, so
// only a same-origin script can read it. A cross-site page can thus
// neither obtain nor read the token. Nothing new is granted either: the
// answer is a token of the cookie's own login (same lid, same first login
// time), so logout ends it with the cookie, and a closed session or a
// logged-out cookie gets nothing.
func (s *Server) cookieLogin(c *gin.Context, src netip.Addr) {
	if c.ContentType() != "application/json" || !sameOrigin(c.Request) {
		fail(c, http.StatusForbidden)
		return
	}
	if err := s.tradeCookie(c); err != nil {
		if !errors.Is(err, http.ErrNoCookie) {
			s.limiter.Fail(src) // a cookie that is not ours counts as a failed login
		}
		fail(c, http.StatusForbidden)
	}
}

func (s *Server) sendToken(c *gin.Context, sess Session, authTime time.Time, lid string) {
	tok, err := s.mint(sess, authTime, lid)
	if err != nil {
		fail(c, http.StatusInternalServerError)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(tok))
}

// renew answers POST /api/renew with a fresh token for the same login.
// A browser that also sent the auth cookie gets it renewed too, so that
// downloads and previews (which authenticate by cookie) keep working.
func (s *Server) renew(c *gin.Context) {
	cl, sess := claimsOf(c), sessionOf(c)
	tok, err := s.mint(sess, time.Unix(cl.AuthTime, 0), cl.Login)
	if err != nil {
		fail(c, http.StatusInternalServerError)
		return
	}
	if _, err := c.Request.Cookie("auth"); err == nil {
		s.setAuthCookie(c, tok)
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(tok))
}

// setAuthCookie sets the cookie GET requests may authenticate with: HttpOnly
// (scripts never read it) and SameSite=Strict (never sent cross-site).
func (s *Server) setAuthCookie(c *gin.Context, tok string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: "auth", Value: tok, Path: "/", MaxAge: int(s.opts.TokenTTL / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

// loginLink answers the web.url of a new session: it redeems the
// single-use login token, sets the auth cookie and sends the browser to /.
func (s *Server) loginLink(c *gin.Context) {
	if s.fb != nil && !c.Request.URL.Query().Has("token") {
		// /login is also a route of Filebrowser's frontend (its login
		// form): a reload there gets the page, not a dead link.
		s.fbIndex(c)
		return
	}
	src := sourceAddr(c)
	if err := s.limiter.Wait(c.Request.Context(), src); err != nil {
		fail(c, http.StatusTooManyRequests)
		return
	}
	sess, err := s.opts.Redeem(c.Query("token"))
	if err != nil {
		s.limiter.Fail(src)
		s.refuseLink(c, err)
		return
	}
	tok, err := s.mint(sess, time.Now(), newLoginID())
	if err != nil {
		fail(c, http.StatusInternalServerError)
		return
	}
	s.setAuthCookie(c, tok)
	c.Redirect(http.StatusFound, "/")
}

// userGet answers GET /api/users/{id}: only the caller's own record.
func (s *Server) userGet(c *gin.Context) {
	cl := claimsOf(c)
	if c.Param("id") != strconv.FormatUint(uint64(cl.User.ID), 10) {
		fail(c, http.StatusForbidden)
		return
	}
	sess := sessionOf(c)
	c.JSON(http.StatusOK, sessionUser(sess, s.prefs.get(sess.ID())))
}

// userPut updates the caller's view preferences (kept per session, for
// later tokens and GET /api/users). Anything else of a user (password,
// permissions, scope) cannot be changed here: 403.
func (s *Server) userPut(c *gin.Context) {
	cl := claimsOf(c)
	if c.Param("id") != strconv.FormatUint(uint64(cl.User.ID), 10) {
		fail(c, http.StatusForbidden)
		return
	}
	var in struct {
		What  string   `json:"what"`
		Which []string `json:"which"`
		Data  User     `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(c.Request.Body, maxLoginBody)).Decode(&in); err != nil {
		fail(c, http.StatusBadRequest)
		return
	}
	sess := sessionOf(c)
	prefs := s.prefs.get(sess.ID())
	for _, w := range in.Which {
		switch w {
		case "locale":
			prefs.Locale = in.Data.Locale
		case "viewMode":
			prefs.ViewMode = in.Data.ViewMode
		case "singleClick":
			prefs.SingleClick = in.Data.SingleClick
		case "hideDotfiles":
			prefs.HideDotfiles = in.Data.HideDotfiles
		case "dateFormat":
			prefs.DateFormat = in.Data.DateFormat
		case "redirectAfterCopyMove":
			prefs.RedirectAfterCopyMove = in.Data.RedirectAfterCopyMove
		case "aceEditorTheme":
			prefs.AceEditorTheme = in.Data.AceEditorTheme
		case "sorting":
			switch in.Data.Sorting.By {
			case "name", "size", "modified":
				prefs.Sorting = in.Data.Sorting
			default:
				fail(c, http.StatusBadRequest)
				return
			}
		default:
			fail(c, http.StatusForbidden)
			return
		}
	}
	s.prefs.set(sess, prefs)
	ok200(c)
}

// prefsStore keeps each session's view preferences until it closes.
type prefsStore struct {
	mu    sync.Mutex
	bySID map[string]User // guarded by mu
}

func (p *prefsStore) get(sid string) User {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bySID[sid]
}

func (p *prefsStore) set(sess Session, u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bySID == nil {
		p.bySID = make(map[string]User)
	}
	if _, known := p.bySID[sess.ID()]; !known {
		go func() {
			<-sess.Done()
			p.mu.Lock()
			delete(p.bySID, sess.ID())
			p.mu.Unlock()
		}()
	}
	p.bySID[sess.ID()] = u
}
