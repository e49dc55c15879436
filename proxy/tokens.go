package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token types, so a login token (which travels in a URL) can never be used
// as a session password, nor a session token be redeemed as a login.
const (
	tokenSession = "session"
	tokenLogin   = "login"
)

// loginTokenTTL bounds how long a web login link works.
const loginTokenTTL = 2 * time.Minute

// maxRedeemed caps the single-use bookkeeping. Entries live at most
// loginTokenTTL; when the cap is reached new redemptions are refused
// rather than old entries forgotten, which would make tokens reusable.
const maxRedeemed = 1 << 16

// claims are the claims of both token types.
type claims struct {
	Type string `json:"typ"`
	jwt.RegisteredClaims
}

// tokenSigner mints and verifies the agent's tokens. Immutable.
type tokenSigner struct {
	key     []byte
	agentID string // issuer and only audience
}

func (ts tokenSigner) mint(typ, sessionID string, now, exp time.Time) (string, error) {
	c := claims{
		Type: typ,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    ts.agentID,
			Audience:  jwt.ClaimStrings{ts.agentID},
			Subject:   sessionID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        randomHex(16),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(ts.key)
	if err != nil {
		return "", fmt.Errorf("sign %s token: %w", typ, err)
	}
	return s, nil
}

// verify checks signature (HS256 only), expiry (required), issuer,
// audience and type, and returns the claims. The caller checks the subject.
func (ts tokenSigner) verify(token, typ string) (*claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c,
		func(*jwt.Token) (any, error) { return ts.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(ts.agentID),
		jwt.WithAudience(ts.agentID),
	)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, fmt.Errorf("%w: %w: %w", ErrInvalidToken, ErrTokenExpired, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Type != typ {
		return nil, fmt.Errorf("%w: not a %s token", ErrInvalidToken, typ)
	}
	if c.ID == "" || c.Subject == "" {
		return nil, fmt.Errorf("%w: missing jti or sub", ErrInvalidToken)
	}
	return &c, nil
}

// redeemedSet remembers used login token ids until they expire anyway.
type redeemedSet struct {
	mu        sync.Mutex
	seen      map[string]time.Time // jti -> exp; guarded by mu
	lastPurge time.Time            // guarded by mu
}

// redeem marks jti used; it fails if it was used before.
func (r *redeemedSet) redeem(jti string, exp, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = make(map[string]time.Time)
	}
	if _, ok := r.seen[jti]; ok {
		return ErrTokenRedeemed
	}
	// An expired token fails verification before it gets here, so its
	// entry is dead weight; sweep them out now and then.
	if len(r.seen) >= maxRedeemed || now.Sub(r.lastPurge) > loginTokenTTL {
		for id, e := range r.seen {
			if !e.After(now) {
				delete(r.seen, id)
			}
		}
		r.lastPurge = now
		if len(r.seen) >= maxRedeemed {
			return fmt.Errorf("%w: too many recent logins, try again shortly", ErrInvalidToken)
		}
	}
	r.seen[jti] = exp
	return nil
}

// randomHex returns n random bytes in hex. crypto/rand.Read never fails
// (it crashes the program instead, as of Go 1.24).
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
