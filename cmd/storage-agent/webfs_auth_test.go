package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestWebFSLogin(t *testing.T) {
	d := shared(t)
	s, w, _ := d.webFolderSession(t, "web-auth", map[string]string{"data": "rw"})
	anon := &webClient{t: t, base: w.base, http: w.http}

	if b := anon.expect(200, "GET", "/health", nil, nil); string(b) != `{"status":"OK"}` {
		t.Fatalf("health %q", b)
	}
	// The token carries Filebrowser's user claims.
	parts := strings.Split(w.token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		User struct {
			ID       int             `json:"id"`
			Username string          `json:"username"`
			ViewMode string          `json:"viewMode"`
			Perm     map[string]bool `json:"perm"`
			Commands []string        `json:"commands"`
		} `json:"user"`
		Iat, Exp int64
		Iss      string
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.User.Username != "web-auth" || !claims.User.Perm["create"] ||
		claims.User.Perm["execute"] || claims.User.Perm["admin"] || claims.Exp <= claims.Iat || claims.Iss == "" || claims.User.Commands == nil {
		t.Fatalf("claims %s: %v", payload, err)
	}
	// Every response: no caching, strict CSP.
	r := w.resp("GET", "/api/resources/", nil, nil)
	r.Body.Close()
	if r.Header.Get("Cache-Control") != "no-cache, no-store, must-revalidate" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("headers %v", r.Header)
	}

	anon.expect(403, "POST", "/api/login", `{"username":"`+s.ID+`","password":"wrong"}`, nil)
	anon.expect(403, "POST", "/api/login", `{"username":"nope","password":"`+s.Token+`"}`, nil)
	anon.expect(413, "POST", "/api/login", `{"username":"`+strings.Repeat("a", 2<<20)+`"}`, nil)
	anon.expect(401, "GET", "/api/resources/", nil, nil)
	if b := anon.expect(404, "GET", "/api/command/", nil, nil); string(b) != "404 Not Found" {
		t.Fatalf("error body %q", b)
	}

	// Renew, users, settings, shares.
	if b := w.expect(200, "POST", "/api/renew", nil, nil); strings.Count(string(b), ".") != 2 {
		t.Fatalf("renew %q", b)
	}
	w.expect(200, "GET", "/api/users/1", nil, nil)
	w.expect(403, "GET", "/api/users/2", nil, nil)
	w.expect(403, "GET", "/api/users", nil, nil)
	w.expect(200, "PUT", "/api/users/1", `{"what":"user","which":["viewMode"],"data":{"viewMode":"mosaic"}}`, nil)
	if b := w.expect(200, "GET", "/api/users/1", nil, nil); !strings.Contains(string(b), `"viewMode":"mosaic"`) {
		t.Fatalf("prefs %s", b)
	}
	w.expect(403, "PUT", "/api/users/1", `{"what":"user","which":["perm"],"data":{"perm":{"admin":true}}}`, nil)
	w.expect(403, "GET", "/api/settings", nil, nil)
	w.expect(403, "GET", "/api/shares", nil, nil)

	// Login link: single use, sets a Secure HttpOnly SameSite=Strict cookie.
	link := strings.Replace(s.Web.URL, "https://127.0.0.1:"+w.base[strings.LastIndex(w.base, ":")+1:], "", 1)
	r = anon.resp("GET", link, nil, nil)
	r.Body.Close()
	var cookie *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "auth" {
			cookie = c
		}
	}
	if r.StatusCode != 302 || r.Header.Get("Location") != "/" || cookie == nil || !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login link: %d %v", r.StatusCode, r.Header)
	}
	anon.expect(403, "GET", link, nil, nil)
	ck := map[string]string{"Cookie": "auth=" + cookie.Value}
	if b := anon.expect(200, "GET", "/", nil, ck); !strings.Contains(string(b), `src="/ui/js/main.js"`) {
		t.Fatalf("index %q", b)
	}
	anon.expect(200, "GET", "/api/resources/", nil, ck)
	anon.expect(401, "POST", "/api/resources/data/x/", nil, ck) // a cookie alone changes nothing

	// Forged tokens: other algorithms, other keys, tampered claims.
	var mc jwt.MapClaims
	json.Unmarshal(payload, &mc)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey := make([]byte, 32)
	rand.Read(otherKey)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, mc).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, mc).SignedString(otherKey)
	rs256, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, mc).SignedString(rsaKey)
	wrong, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, mc).SignedString(otherKey)
	exp := jwt.MapClaims{}
	for k, v := range mc {
		exp[k] = v
	}
	exp["exp"] = time.Now().Add(-time.Hour).Unix()
	expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, exp).SignedString(otherKey)
	exp["exp"] = time.Now().Add(100 * time.Hour).Unix()
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(must(json.Marshal(exp))) + "." + parts[2]
	for name, tok := range map[string]string{"none": none, "HS512": hs512, "RS256": rs256, "wrong key": wrong, "expired": expired, "tampered": tampered, "garbage": "x.y.z"} {
		if code, _ := anon.req("GET", "/api/resources/", nil, map[string]string{"X-Auth": tok}); code != 401 {
			t.Errorf("%s token: %d", name, code)
		}
	}

	// Another session's token sees only that session; closed, it dies at once.
	vfid, _ := d.folder("web-auth2", "other")
	s2 := d.openSession("web-auth2", []map[string]any{{"volume": "local", "vfid": vfid, "name": "other"}}, nil)
	w2 := d.webLogin(t, s2)
	if b := w2.expect(200, "GET", "/api/resources/", nil, nil); strings.Contains(string(b), `"data"`) {
		t.Fatalf("session 2 sees session 1: %s", b)
	}
	w2.expect(404, "GET", "/api/resources/data/", nil, nil)
	if code, _, _ := d.api("DELETE", "/sessions/"+s2.ID, nil, nil); code != 204 {
		t.Fatalf("close: %d", code)
	}
	w2.expect(401, "GET", "/api/resources/", nil, nil)
	w.expect(200, "GET", "/api/resources/", nil, nil)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestWebFSAttacks sends hostile paths with curl --path-as-is, so no
// client-side cleaning hides them.
func TestWebFSAttacks(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-attack", map[string]string{"data": "rw"})
	os.WriteFile(filepath.Join(hosts["data"], "ok.txt"), []byte("ok"), 0o644)
	os.Symlink("/etc", filepath.Join(hosts["data"], "etc"))
	os.Symlink("../../../../../../../../etc/passwd", filepath.Join(hosts["data"], "passwd"))
	chownTree(t, hosts["data"])
	curl := requireTool(t, "curl")
	get := func(path string) string {
		out, err := exec.Command(curl, "-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", w.ca,
			"-H", "X-Auth: "+w.token, w.base+path).Output()
		if err != nil {
			t.Fatalf("curl %s: %v", path, err)
		}
		return string(out)
	}
	for path, want := range map[string]string{
		"/api/raw/data/ok.txt":                         "200",
		"/api/raw/data/../../../etc/passwd":            "400",
		"/api/raw/data/%2e%2e/%2e%2e/etc/passwd":       "400",
		"/api/raw/data%2f..%2f..%2fetc%2fpasswd":       "400",
		"/api/raw/data/..%5c..%5cetc%5cpasswd":         "404",
		`/api/raw/data/\..\..\etc\passwd`:              "404",
		"/api/raw/data/ok.txt%00.png":                  "400",
		"/api/raw/data/%c0%ae%c0%ae/%c0%ae%c0%ae/etc":  "400",
		"/api/raw/data/etc/passwd":                     "403",
		"/api/raw/data/passwd":                         "403",
		"/api/resources/data/etc/":                     "200", // its info: an invalid_link, nothing of /etc
		"/api/resources/%2e%2e/":                       "400",
		"/api/raw/proc/self/environ":                   "404",
		"/api/raw/tmp/":                                "404",
		"/api/search/data/?query=passwd%20type:txt":    "200",
		"/api/raw/data?algo=zip&files=..%2F..%2Fetc":   "400",
		"/api/raw/data?algo=zip&files=%2Fetc%2Fpasswd": "403",
		"/api/resources/data/ok.txt?checksum=md5%00":   "400",
	} {
		if got := get(path); got != want {
			t.Errorf("GET %s: %s, want %s", path, got, want)
		}
	}
}

// TestWebFSLoginFlood: failed logins from one source get slower.
func TestWebFSLoginFlood(t *testing.T) {
	d := startDaemon(t)
	hc, _ := d.webHTTPClient(t)
	anon := &webClient{t: t, base: d.webURL, http: hc}
	start := time.Now()
	var last time.Duration
	for i := range 10 {
		t0 := time.Now()
		anon.expect(403, "POST", "/api/login", `{"username":"x","password":"guess`+string(rune('a'+i))+`"}`, nil)
		last = time.Since(t0)
	}
	if total := time.Since(start); total < 2*time.Second || last < 500*time.Millisecond {
		t.Fatalf("10 failed logins took %s (last %s): not slowed", total, last)
	}
}
