package webfs

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuer is the iss claim of web tokens.
const issuer = "storage-agent webfs"

// renewWindow: a token expiring within it gets X-Renew-Token: true.
const renewWindow = time.Hour

// maxTokenAge caps renewals: a web login lasts at most this long past
// the first login (the session's own TTL usually ends it first).
const maxTokenAge = 24 * time.Hour

// Perm is Filebrowser's user permission set.
type Perm struct {
	Admin    bool `json:"admin"`
	Execute  bool `json:"execute"`
	Create   bool `json:"create"`
	Rename   bool `json:"rename"`
	Modify   bool `json:"modify"`
	Delete   bool `json:"delete"`
	Share    bool `json:"share"`
	Download bool `json:"download"`
}

// User is Filebrowser's user object as its frontend reads it from the token.
type User struct {
	ID                    uint     `json:"id"`
	Username              string   `json:"username"`
	Locale                string   `json:"locale"`
	ViewMode              string   `json:"viewMode"`
	SingleClick           bool     `json:"singleClick"`
	RedirectAfterCopyMove bool     `json:"redirectAfterCopyMove"`
	Perm                  Perm     `json:"perm"`
	Commands              []string `json:"commands"`
	LockPassword          bool     `json:"lockPassword"`
	HideDotfiles          bool     `json:"hideDotfiles"`
	DateFormat            bool     `json:"dateFormat"`
	AceEditorTheme        string   `json:"aceEditorTheme"`
	Sorting               Sorting  `json:"sorting"`
}

// Sorting is a user's listing order in Filebrowser's frontend (set by
// clicking a column header); folder listings come in this order. By is
// "name", "size" or "modified"; for names asc=false is A→Z, as in
// Filebrowser.
type Sorting struct {
	By  string `json:"by"`
	Asc bool   `json:"asc"`
}

// Claims are a web JWT's claims: Filebrowser's (user, iat, exp, iss) plus
// the session it is bound to (sub), the first login time (auth_time) and
// the login it belongs to (lid), which logout revokes.
type Claims struct {
	User     User   `json:"user"`
	AuthTime int64  `json:"auth_time"`
	Login    string `json:"lid"`
	jwt.RegisteredClaims
}

// sessionUser is the user record of a session; view preferences come from
// prefs (PUT /api/users/{id}), carried from token to token.
func sessionUser(sess Session, prefs User) User {
	u := User{
		ID: 1, Username: sess.User(), Locale: "en", ViewMode: "list", LockPassword: true,
		Commands: []string{},
		// Write permissions are granted here and enforced per mount by
		// the worker (ro mounts and "/" refuse with 403).
		Perm: Perm{Create: true, Rename: true, Modify: true, Delete: true, Download: true},
	}
	if prefs.Locale != "" {
		u.Locale = prefs.Locale
	}
	if prefs.ViewMode == "list" || prefs.ViewMode == "mosaic" || prefs.ViewMode == "mosaic gallery" {
		u.ViewMode = prefs.ViewMode
	}
	u.SingleClick, u.HideDotfiles, u.DateFormat = prefs.SingleClick, prefs.HideDotfiles, prefs.DateFormat
	u.RedirectAfterCopyMove, u.AceEditorTheme = prefs.RedirectAfterCopyMove, prefs.AceEditorTheme
	// Filebrowser's default: by name, A→Z, which its reversed name order
	// calls asc=false (see the worker's sortOrder).
	u.Sorting = Sorting{By: "name", Asc: false}
	if prefs.Sorting.By != "" {
		u.Sorting = prefs.Sorting
	}
	return u
}

// mint signs a token for sess, part of the login named lid.
func (s *Server) mint(sess Session, authTime time.Time, lid string) (string, error) {
	now := time.Now()
	exp := now.Add(s.opts.TokenTTL)
	if lim := authTime.Add(maxTokenAge); exp.After(lim) {
		exp = lim
	}
	c := Claims{
		User:     sessionUser(sess, s.prefs.get(sess.ID())),
		AuthTime: authTime.Unix(),
		Login:    lid,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   sess.ID(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("webfs: sign token: %w", err)
	}
	return tok, nil
}

// errBadToken is any refused web token.
var errBadToken = errors.New("webfs: invalid token")

// verify checks a web token (HS256 only, exp required, our issuer) and
// returns its claims and its session, which must still be open.
func (s *Server) verify(token string) (*Claims, Session, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c,
		func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errBadToken, err)
	}
	if c.Login == "" || s.revoked.has(c.Login) {
		return nil, nil, fmt.Errorf("%w: logged out", errBadToken)
	}
	sess, ok := s.opts.Lookup(c.Subject)
	if !ok || subtle.ConstantTimeCompare([]byte(sess.ID()), []byte(c.Subject)) != 1 {
		return nil, nil, fmt.Errorf("%w: session closed", errBadToken)
	}
	select {
	case <-sess.Done():
		return nil, nil, fmt.Errorf("%w: session closed", errBadToken)
	default:
	}
	return &c, sess, nil
}
