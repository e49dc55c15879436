package proxy

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerifyToken(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	sess := openFake(t, svc, openBody("alice"))
	other := openFake(t, svc, openBody("bob"))
	now := time.Now()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claimsFor := func(mut func(c *claims)) claims {
		c := claims{Type: tokenSession, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "agent-test", Audience: jwt.ClaimStrings{"agent-test"}, Subject: sess.ID(),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), ID: "jti",
		}}
		if mut != nil {
			mut(&c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c claims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	valid := sign(jwt.SigningMethodHS256, testKey, claimsFor(nil))
	minted, _ := svc.signer.mint(tokenSession, sess.ID(), now, now.Add(time.Hour))
	login, _ := svc.signer.mint(tokenLogin, sess.ID(), now, now.Add(time.Minute))

	tests := []struct {
		name, token string
		ok          bool
	}{
		{"valid", valid, true},
		{"minted", minted, true},
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor(nil)), false},
		{"HS512 same key", sign(jwt.SigningMethodHS512, testKey, claimsFor(nil)), false},
		{"HS384 same key", sign(jwt.SigningMethodHS384, testKey, claimsFor(nil)), false},
		{"RS256", sign(jwt.SigningMethodRS256, rsaKey, claimsFor(nil)), false},
		{"wrong key", sign(jwt.SigningMethodHS256, []byte("another key of thirty-two bytes!"), claimsFor(nil)), false},
		{"expired", sign(jwt.SigningMethodHS256, testKey, claimsFor(func(c *claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute)) })), false},
		{"no exp", sign(jwt.SigningMethodHS256, testKey, claimsFor(func(c *claims) { c.ExpiresAt = nil })), false},
		{"other session", sign(jwt.SigningMethodHS256, testKey, claimsFor(func(c *claims) { c.Subject = other.ID() })), false},
		{"no subject", sign(jwt.SigningMethodHS256, testKey, claimsFor(func(c *claims) { c.Subject = "" })), false},
		{"wrong issuer", sign(jwt.SigningMethodHS256, testKey, claimsFor(func(c *claims) { c.Issuer = "agent-2" })), false},
		{"wrong audience", sign(jwt.SigningMethodHS256, testKey, claimsFor(func(c *claims) { c.Audience = jwt.ClaimStrings{"manager"} })), false},
		{"no type", sign(jwt.SigningMethodHS256, testKey, claimsFor(func(c *claims) { c.Type = "" })), false},
		{"login token as password", login, false},
		{"garbage", "not.a.jwt", false},
		{"empty", "", false},
		{"tampered", valid[:len(valid)-2] + "xx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sess.VerifyToken(tt.token)
			if (err == nil) != tt.ok {
				t.Fatalf("VerifyToken = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("error %v does not wrap ErrInvalidToken", err)
			}
		})
	}

	sess.close("test")
	if err := sess.VerifyToken(valid); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("closed session: VerifyToken = %v", err)
	}
}

func TestRedeemLoginToken(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	sess := openFake(t, svc, openBody("alice"))
	now := time.Now()
	login, _ := svc.signer.mint(tokenLogin, sess.ID(), now, now.Add(loginTokenTTL))
	expired, _ := svc.signer.mint(tokenLogin, sess.ID(), now.Add(-time.Hour), now.Add(-time.Minute))
	session, _ := svc.signer.mint(tokenSession, sess.ID(), now, now.Add(time.Hour))
	ghost, _ := svc.signer.mint(tokenLogin, "nosuchsession", now, now.Add(loginTokenTTL))

	for name, tok := range map[string]string{"expired": expired, "session token": session, "unknown session": ghost, "garbage": "x"} {
		if _, err := svc.RedeemLoginToken(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: RedeemLoginToken = %v", name, err)
		}
	}
	if got, err := svc.RedeemLoginToken(login); err != nil || got != sess {
		t.Fatalf("first redeem: %v", err)
	}
	if _, err := svc.RedeemLoginToken(login); !errors.Is(err, ErrTokenRedeemed) {
		t.Fatalf("second redeem: %v", err)
	}
	fresh, _ := svc.signer.mint(tokenLogin, sess.ID(), now, now.Add(loginTokenTTL))
	sess.close("test")
	if _, err := svc.RedeemLoginToken(fresh); err == nil {
		t.Fatal("login token of a closed session works")
	}
}

func TestRedeemedSetPurges(t *testing.T) {
	var r redeemedSet
	now := time.Now()
	for i := range maxRedeemed {
		if err := r.redeem(strconv.Itoa(i), now.Add(time.Minute), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.redeem("one more", now.Add(time.Minute), now); err == nil {
		t.Fatal("full set accepted a redemption")
	}
	later := now.Add(2 * time.Minute)
	if err := r.redeem("after expiry", later.Add(time.Minute), later); err != nil {
		t.Fatalf("set did not purge expired entries: %v", err)
	}
	if len(r.seen) != 1 {
		t.Fatalf("%d entries after purge", len(r.seen))
	}
}
