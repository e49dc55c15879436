package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestUILogin: the login link lands in the UI logged in, showing the user
// and the session's end; the token exchange is same-origin only; logout
// kills both the cookie and the JWT on the server; the form logs in.
func TestUILogin(t *testing.T) {
	d := shared(t)
	s, w, hosts := uiSession(t, d, "ui-login", nil)
	writeFiles(t, hosts["data"], map[string]string{"hello.txt": "hi"})
	b := newUIBrowser(t, d)

	// The page itself: strict CSP, no secrets, served without login.
	r := w.resp("GET", "/", nil, nil)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("index: %d %v", r.StatusCode, r.Header)
	}

	b.openUI(s, "/")
	if got := evalJS[string](b, `document.querySelector('#user').textContent`); got != "ui-login" {
		t.Fatalf("user shown: %q", got)
	}
	if got := evalJS[string](b, `document.querySelector('.expiry').textContent`); got == "" {
		t.Fatal("no session expiry shown")
	}
	if got := b.names(); len(got) != 1 || got[0] != "data" {
		t.Fatalf("root listing %q", got)
	}
	jwt := evalJS[string](b, `sessionStorage.getItem('sa.jwt')`)
	authCookie := b.cookie("auth")
	if authCookie == "" || jwt == "" {
		t.Fatalf("cookie %q jwt %q", authCookie, jwt)
	}

	// The exchange refuses what a cross-site page (or a plain client
	// without the custom header) could send.
	anon := &webClient{t: t, base: w.base, http: w.http}
	ck := "auth=" + authCookie
	anon.expect(403, "POST", "/api/ui/token", nil, map[string]string{"Cookie": ck, "Sec-Fetch-Site": "cross-site", "X-Requested-With": "storage-agent-ui"})
	anon.expect(403, "POST", "/api/ui/token", nil, map[string]string{"Cookie": ck, "Sec-Fetch-Site": "same-origin"})
	anon.expect(403, "POST", "/api/ui/token", nil, map[string]string{"Cookie": ck, "X-Requested-With": "storage-agent-ui"})
	anon.expect(401, "POST", "/api/ui/token", nil, map[string]string{"Sec-Fetch-Site": "same-origin", "X-Requested-With": "storage-agent-ui"})
	// A browser without Sec-Fetch-Site: its Origin must be this host.
	host := strings.TrimPrefix(w.base, "https://")
	anon.expect(403, "POST", "/api/ui/token", nil, map[string]string{"Cookie": ck, "Origin": "https://evil.example", "X-Requested-With": "storage-agent-ui"})
	if b := anon.expect(200, "POST", "/api/ui/token", nil, map[string]string{"Cookie": ck, "Origin": "https://" + host, "X-Requested-With": "storage-agent-ui"}); strings.Count(string(b), ".") != 2 {
		t.Fatalf("token by Origin: %q", b)
	}

	// Logout: the UI shows the form; the old cookie and JWT are dead.
	b.run(chromedp.Click(`#btn-logout`))
	b.wait(`document.querySelector('form.login') !== null`)
	anon.expect(401, "GET", "/api/resources/", nil, map[string]string{"Cookie": ck})
	anon.expect(401, "GET", "/api/resources/", nil, map[string]string{"X-Auth": jwt})
	anon.expect(401, "POST", "/api/renew", nil, map[string]string{"X-Auth": jwt})
	w.expect(200, "GET", "/api/resources/", nil, nil) // another login of the session lives on

	// The form: a wrong token says so; the right one opens the files.
	b.do(fmt.Sprintf(`document.querySelector('#login-session').value = %s; document.querySelector('#login-token').value = 'wrong'`, js(s.ID)))
	b.run(chromedp.Click(`form.login button[type=submit]`))
	b.wait(`document.querySelector('.login-msg').textContent.length > 0`)
	b.do(fmt.Sprintf(`document.querySelector('#login-token').value = %s`, js(s.Token)))
	b.run(chromedp.Click(`form.login button[type=submit]`))
	b.wait(`document.querySelector('#app').dataset.ready`)
	b.gotoPath("/data")
	// Downloads are plain GETs: after a form login they work by cookie too.
	if got := evalJS[string](b, `fetch('/api/raw/data/hello.txt').then(r => r.text())`); got != "hi" {
		t.Fatalf("download after form login: %q", got)
	}
}
