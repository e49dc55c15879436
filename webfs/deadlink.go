package webfs

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Why a login link is refused. Options.Redeem wraps one of them when it
// knows, so the page can tell the user what happened and what to do.
var (
	// ErrLinkUsed means the link was already used once.
	ErrLinkUsed = errors.New("login link already used")
	// ErrLinkExpired means the link's time ran out before it was used.
	ErrLinkExpired = errors.New("login link expired")
	// ErrLinkSessionClosed means the link's session is closed.
	ErrLinkSessionClosed = errors.New("session closed")
)

// deadLink is what the page says for one reason.
type deadLink struct {
	Title, What, Todo string
}

// freshLink says how to get a new link; the same for every reason.
const freshLink = "Ask for a new link where you got this one (your cluster's web UI, or your storage admin: " +
	"`storage-agent session web-login <session id>`). You can also sign in with the session id and token."

// deadLinkFor picks the page's words for err.
func deadLinkFor(err error) deadLink {
	switch {
	case errors.Is(err, ErrLinkUsed):
		return deadLink{"This login link was already used",
			"A login link works once, so it cannot be forwarded or reused from the browser history.", freshLink}
	case errors.Is(err, ErrLinkExpired):
		return deadLink{"This login link has expired",
			"A login link works for 2 minutes after it was made.", freshLink}
	case errors.Is(err, ErrLinkSessionClosed):
		return deadLink{"This session is closed",
			"The storage session this link belonged to was closed (by its owner, its time limit or the administrator), and its files are no longer reachable through it.",
			"Open a new storage session from your cluster's web UI."}
	}
	return deadLink{"This login link is not valid",
		"The link is incomplete or was not made by this server; check that it was copied whole.", freshLink}
}

var deadLinkPage = template.Must(template.New("dead").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:3em auto;line-height:1.5">
<h1>{{.Title}}</h1>
<p>{{.What}}</p>
<p>{{.Todo}}</p>
</body></html>
`))

// refuseLink answers a login link that cannot be used: 403 (as before,
// for scripts) with a page saying why, and logs the reason.
func (s *Server) refuseLink(c *gin.Context, err error) {
	d := deadLinkFor(err)
	s.log.Info("web login link refused", "reason", d.Title, "err", err, "source", sourceAddr(c).String())
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusForbidden)
	_ = deadLinkPage.Execute(c.Writer, d)
	c.Abort()
}
