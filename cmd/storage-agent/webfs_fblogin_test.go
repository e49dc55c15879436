package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fbBrowser acts as a browser running Filebrowser's frontend: a cookie
// jar, the headers a browser adds to a same-origin fetch, and the
// frontend's own requests.
type fbBrowser struct {
	*webClient
	jar  http.CookieJar
	site *url.URL // origin of the login link
}

// followLink opens the session's login link as a browser would.
func followLink(t *testing.T, d *daemon, s sessionInfo) *fbBrowser {
	t.Helper()
	hc, ca := d.webHTTPClient(t)
	jar, _ := cookiejar.New(nil)
	hc.Jar = jar
	link, err := url.Parse(s.Web.URL)
	if err != nil {
		t.Fatal(err)
	}
	b := &fbBrowser{webClient: &webClient{t: t, base: link.Scheme + "://" + link.Host, http: hc, ca: ca}, jar: jar, site: link}
	r := b.resp("GET", strings.TrimPrefix(s.Web.URL, b.base), nil, nil)
	r.Body.Close()
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/" || b.cookie() == "" {
		t.Fatalf("login link: %d %s, cookie %q", r.StatusCode, r.Header.Get("Location"), b.cookie())
	}
	return b
}

// cookie is the auth cookie the browser holds, "" if none.
func (b *fbBrowser) cookie() string {
	for _, c := range b.jar.Cookies(b.site) {
		if c.Name == "auth" {
			return c.Value
		}
	}
	return ""
}

// frontendLogin is Filebrowser's login("", "", "") with LoginPage false,
// with the headers a browser adds to it; extra replaces or adds headers
// ("" removes one).
func (b *fbBrowser) frontendLogin(extra map[string]string) (int, string) {
	hdr := map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin", "Origin": b.base}
	for k, v := range extra {
		hdr[k] = v
	}
	req, _ := http.NewRequest("POST", b.base+"/api/login", strings.NewReader(`{"username":"","password":"","recaptcha":""}`))
	for k, v := range hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	r, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	body := new(strings.Builder)
	_, _ = io.Copy(body, r.Body)
	return r.StatusCode, body.String()
}

// TestWebFSFilebrowserLinkLogin: the login link logs Filebrowser's own
// frontend in, by the request it makes at start-up; nothing else (no
// cookie, another site, a forged or dead cookie, another session's JWT)
// gets a token, and logout ends it.
func TestWebFSFilebrowserLinkLogin(t *testing.T) {
	d := shared(t)
	s, other, _ := d.webFolderSession(t, "web-fblink", map[string]string{"data": "rw"})
	b := followLink(t, d, s)

	code, jwt := b.frontendLogin(nil)
	if code != 200 || strings.Count(jwt, ".") != 2 {
		t.Fatalf("frontend login: %d %q", code, jwt)
	}
	api := &webClient{t: t, base: b.base, http: b.http, token: jwt}
	if body := api.expect(200, "GET", "/api/resources/", nil, nil); !strings.Contains(string(body), `"name":"data"`) {
		t.Fatalf("listing with the frontend's token: %s", body)
	}
	cookie := b.cookie()

	anon, _ := d.webHTTPClient(t)
	plain := &fbBrowser{webClient: &webClient{t: t, base: b.base, http: anon}}
	forged := cookie[:strings.LastIndex(cookie, ".")+1] + strings.Repeat("A", 43)
	vfid, _ := d.folder("web-fblink", "other")
	closed := d.openSession("web-fblink", []map[string]any{mount(vfid, "other")}, nil)
	closedB := followLink(t, d, closed)
	if code, _, body := d.api("DELETE", "/sessions/"+closed.ID, nil, nil); code != 204 {
		t.Fatalf("close session: %d %s", code, body)
	}
	for _, tc := range []struct {
		name   string
		b      *fbBrowser
		header map[string]string
	}{
		{"no cookie", plain, nil},
		{"cross-site", b, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site other origin", b, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"other origin, no Sec-Fetch-Site", b, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}},
		{"no Sec-Fetch-Site nor Origin", b, map[string]string{"Sec-Fetch-Site": "", "Origin": ""}},
		{"form content type", b, map[string]string{"Content-Type": "text/plain"}},
		{"forged cookie", plain, map[string]string{"Cookie": "auth=" + forged}},
		{"another session's JWT as X-Auth", plain, map[string]string{"X-Auth": other.token}},
		{"cookie of a closed session", closedB, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := tc.b.frontendLogin(tc.header); code != 403 {
				t.Fatalf("got %d %q, want 403", code, body)
			}
		})
	}
	// Nothing changed: both logins still work.
	api.expect(200, "GET", "/api/resources/", nil, nil)
	other.expect(200, "GET", "/api/resources/", nil, nil)
	if code, _ := b.frontendLogin(nil); code != 200 {
		t.Fatalf("frontend login after the attacks: %d", code)
	}

	// Logout (our UI's) ends the login: the cookie yields no token and the
	// frontend's token is dead; another login of the session lives on.
	api.expect(200, "POST", "/api/ui/logout", nil, nil)
	if code, _ := plain.frontendLogin(map[string]string{"Cookie": "auth=" + cookie}); code != 403 {
		t.Fatalf("frontend login after logout: %d", code)
	}
	api.expect(401, "GET", "/api/resources/", nil, nil)
	other.expect(200, "GET", "/api/resources/", nil, nil)

	// The frontend's logout button navigates to /logout: same effect.
	s2 := d.openSession("web-fblink", []map[string]any{mount(vfid, "other")}, nil)
	b2 := followLink(t, d, s2)
	cookie2 := b2.cookie()
	if code, _ := b2.frontendLogin(nil); code != 200 {
		t.Fatalf("second link: %d", code)
	}
	r := b2.resp("GET", "/logout", nil, nil)
	r.Body.Close()
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/" || b2.cookie() != "" {
		t.Fatalf("/logout: %d %s, cookie %q", r.StatusCode, r.Header.Get("Location"), b2.cookie())
	}
	if code, _ := plain.frontendLogin(map[string]string{"Cookie": "auth=" + cookie2}); code != 403 {
		t.Fatalf("frontend login after /logout: %d", code)
	}
}

// TestWebFSFilebrowserDist: with [webfs] filebrowser-frontend set, the
// daemon serves that frontend at / (rendered not to show a login page)
// and its files, and the link then logs it in; a directory without
// index.html stops the start, naming the key.
func TestWebFSFilebrowserDist(t *testing.T) {
	requireRoot(t)
	dist := t.TempDir()
	writeFiles(t, dist, map[string]string{
		"public/index.html": `<html><head><title>[{[ .Name ]}]</title><script>window.FileBrowser = [{[ .Json ]}];</script><script type="module" src="[{[ .StaticURL ]}]/assets/index-x.js"></script></head><body><div id="app"></div></body></html>`,
		"assets/index-x.js": `console.log("frontend")`,
	})
	d := startDaemon(t, "--webfs.filebrowser-frontend", dist)
	vfid, _ := d.folder("web-fbdist", "data")
	s := d.openSession("web-fbdist", []map[string]any{mount(vfid, "data")}, nil)
	b := followLink(t, d, s)
	page := string(b.expect(200, "GET", "/", nil, nil))
	if !strings.Contains(page, `"LoginPage":false`) || !strings.Contains(page, "<title>storage-agent</title>") {
		t.Fatalf("/: %s", page)
	}
	if js := b.expect(200, "GET", "/static/assets/index-x.js", nil, nil); string(js) != `console.log("frontend")` {
		t.Fatalf("bundle: %q", js)
	}
	code, jwt := b.frontendLogin(nil)
	if code != 200 {
		t.Fatalf("frontend login: %d %q", code, jwt)
	}
	api := &webClient{t: t, base: b.base, http: b.http, token: jwt}
	api.expect(200, "GET", "/api/resources/data/", nil, nil)

	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	r := runAgent(t, dir, append(append([]string{"--agent.var-base-path", filepath.Join(dir, "var"), "--webfs.filebrowser-frontend", empty}, freePorts...), "serve")...)
	if r.code == 0 || !strings.Contains(r.stderr, "webfs.filebrowser-frontend") || !strings.Contains(r.stderr, "index.html") {
		t.Fatalf("exit %d, stderr %q: want non-zero naming webfs.filebrowser-frontend", r.code, r.stderr)
	}
}
