package main

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// startDaemonWithConfigFile starts a daemon whose state directory is set
// by a config file as the relative "state", so it lives next to the file.
func startDaemonWithConfigFile(t *testing.T) (d *daemon, configFile string) {
	t.Helper()
	d = newDaemon(t)
	cfgDir := d.varDir
	t.Cleanup(func() { os.RemoveAll(cfgDir) })
	configFile = filepath.Join(cfgDir, "storage-agent.toml")
	if err := os.WriteFile(configFile, []byte("[agent]\nvar-base-path = \"state\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if d.args[0] != "--agent.var-base-path" {
		t.Fatalf("newDaemon's args changed: %q", d.args)
	}
	d.args[0], d.args[1] = "--config", configFile
	d.varDir = filepath.Join(cfgDir, "state")
	d.start()
	t.Cleanup(d.stop)
	return d, configFile
}

// hint waits for the banner's `session open` line and returns its words.
func (d *daemon) hint(t *testing.T) []string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, after, ok := strings.Cut(d.out.String(), "Open a session from another terminal:\n")
		if line, _, ok2 := strings.Cut(after, "\n"); ok && ok2 {
			return strings.Fields(line)
		}
	}
	t.Fatalf("no session hint in the banner:\n%s", d.out.String())
	return nil
}

// TestBannerHintReachesThisDaemon runs the banner's `session open` line
// from another directory against a daemon on non-default ports whose
// state directory is relative to its config file; the same flags then
// list, renew the web link of and close the session.
func TestBannerHintReachesThisDaemon(t *testing.T) {
	d, file := startDaemonWithConfigFile(t)
	words := d.hint(t)
	line := strings.Join(words, " ")
	if !strings.Contains(line, "--config "+file) || !strings.Contains(line, "--api.manager.service-addr.port "+d.mgrURL[strings.LastIndex(d.mgrURL, ":")+1:]) {
		t.Fatalf("hint %q does not repeat --config and the bound manager port", line)
	}
	if !strings.Contains(d.out.String(), "state:        "+d.varDir+"\n") {
		t.Fatalf("banner does not name the absolute state directory %s:\n%s", d.varDir, d.out.String())
	}
	elsewhere := t.TempDir()
	open := runAgent(t, elsewhere, words[1:]...)
	if open.code != 0 || !strings.Contains(open.stdout, "session  ") {
		t.Fatalf("hint: exit %d\n%s\n%s", open.code, open.stdout, open.stderr)
	}
	id := strings.Fields(open.stdout)[1]
	flags := words[1 : len(words)-6] // without "session open --user alice --folder data"

	list := runAgent(t, elsewhere, append(flags, "session", "list")...)
	if list.code != 0 || !strings.Contains(list.stdout, id) {
		t.Fatalf("session list: exit %d\n%s\n%s", list.code, list.stdout, list.stderr)
	}
	fresh := runAgent(t, elsewhere, append(flags, "session", "web-login", id)...)
	link, _, _ := strings.Cut(fresh.stdout, "\n")
	if fresh.code != 0 || !strings.Contains(link, "/login?token=") {
		t.Fatalf("session web-login: exit %d\n%s\n%s", fresh.code, fresh.stdout, fresh.stderr)
	}
	hc, _ := d.webHTTPClient(t)
	if r := getLink(t, hc, d, link); r.StatusCode != http.StatusFound {
		t.Fatalf("fresh link: %d", r.StatusCode)
	}
	if cl := runAgent(t, elsewhere, append(flags, "session", "close", id)...); cl.code != 0 {
		t.Fatalf("session close: exit %d\n%s", cl.code, cl.stderr)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) > 0 {
		t.Fatalf("client commands wrote %v into their working directory", entries)
	}
}

// TestClientCommandsNeverCreateSecrets runs session commands where no
// daemon state is: they fail saying what to pass, and write nothing.
func TestClientCommandsNeverCreateSecrets(t *testing.T) {
	d := shared(t)
	port := d.mgrURL[strings.LastIndex(d.mgrURL, ":")+1:]
	for _, args := range [][]string{
		{"session", "list"},
		{"--api.manager.service-addr.port", port, "session", "list"},
		{"--api.manager.service-addr.port", port, "session", "open", "--user", "u", "--folder", "data"},
		{"--api.manager.service-addr.port", port, "session", "web-login", "x"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			r := runAgent(t, dir, args...)
			want := "cannot read " + filepath.Join(dir, "var", "manager.secret") + ": pass serve's --config"
			if r.code == 0 || !strings.Contains(r.stderr, want) {
				t.Fatalf("exit %d, stderr %q; want non-zero and %q", r.code, r.stderr, want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Fatalf("a client command wrote %v", entries)
			}
		})
	}
}

// getLink opens a login link without following its redirect.
func getLink(t *testing.T, hc *http.Client, d *daemon, link string) *http.Response {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	r, err := hc.Get(d.webURL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDeadLoginLinkSaysWhy: a used, expired, closed-session or mangled
// login link answers 403 with a page that says what happened and what to
// do, and the daemon logs why; the manager can get a fresh link.
func TestDeadLoginLinkSaysWhy(t *testing.T) {
	d := shared(t)
	hc, _ := d.webHTTPClient(t)
	vfid, _ := d.folder("link-user", "data")
	open := func() sessionInfo {
		return d.openSession("link-user", []map[string]any{mount(vfid, "data")}, map[string]any{"max_sessions_per_user": 10})
	}

	used := open()
	if r := getLink(t, hc, d, used.Web.URL); r.StatusCode != http.StatusFound {
		t.Fatalf("first use: %d", r.StatusCode)
	}
	closed := open()
	if code, _, body := d.api("DELETE", "/sessions/"+closed.ID, nil, nil); code != 204 {
		t.Fatalf("close: %d %s", code, body)
	}
	live := open()
	expired := used.Web.URL[:strings.Index(used.Web.URL, "token=")+len("token=")] + expiredLoginToken(t, d, live.ID)

	for _, c := range []struct {
		name, link, title, todo string
	}{
		{"used", used.Web.URL, "already used", "session web-login"},
		{"expired", expired, "has expired", "session web-login"},
		{"session closed", closed.Web.URL, "session is closed", "Open a new storage session"},
		{"mangled", live.Web.URL[:len(live.Web.URL)-4], "not valid", "copied whole"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := getLink(t, hc, d, c.link)
			body := readAll(t, r)
			if r.StatusCode != http.StatusForbidden || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(body, c.title) || !strings.Contains(body, c.todo) {
				t.Fatalf("%d %s\n%s\nwant 403 and a page saying %q and %q", r.StatusCode, r.Header.Get("Content-Type"), body, c.title, c.todo)
			}
			waitLine(t, d.log, "web login link refused", c.title)
		})
	}

	t.Run("fresh link", func(t *testing.T) {
		var l struct {
			URL       string    `json:"url"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		if code, _, body := d.api("POST", "/sessions/"+used.ID+"/web-login", nil, &l); code != 200 {
			t.Fatalf("web-login: %d %s", code, body)
		}
		if until := time.Until(l.ExpiresAt); until < time.Minute || until > 3*time.Minute {
			t.Fatalf("fresh link expires in %s, want about 2 minutes", until)
		}
		if r := getLink(t, hc, d, l.URL); r.StatusCode != http.StatusFound {
			t.Fatalf("fresh link: %d", r.StatusCode)
		}
		if code, _, _ := d.api("POST", "/sessions/"+closed.ID+"/web-login", nil, nil); code != 404 {
			t.Fatalf("web-login of a closed session: %d, want 404", code)
		}
	})
}

// expiredLoginToken signs, with the daemon's own key, a login token for
// session id that expired a minute ago.
func expiredLoginToken(t *testing.T, d *daemon, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.varDir, "token.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"typ": "login", "iss": "storage-agent-1", "aud": []string{"storage-agent-1"}, "sub": id,
		"iat": now.Add(-3 * time.Minute).Unix(), "exp": now.Add(-time.Minute).Unix(), "jti": "expired-" + id,
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func readAll(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitLine waits (at most 10 s) until buf holds a line with every part: a
// daemon's output reaches the test through a pipe, after its answers.
func waitLine(t *testing.T, buf *syncBuffer, parts ...string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(buf.String(), "\n") {
			if containsAll(line, parts) {
				return
			}
		}
	}
	t.Fatalf("no line with %q in:\n%s", parts, buf.String())
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
