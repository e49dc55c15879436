package webfs

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeIndex is shaped like Filebrowser 2.63's built public/index.html:
// placeholders in [{[ ]}], the settings script, an inline script of Vite's
// legacy plugin, and the bundle under StaticURL.
const fakeIndex = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>[{[ if .Name -]}][{[ .Name ]}][{[ else ]}]File Browser[{[ end ]}]</title>
    <link rel="icon" type="image/svg+xml" href="[{[ .StaticURL ]}]/img/icons/favicon.svg" />
    <meta name="theme-color" content="[{[ if .Color -]}][{[ .Color ]}][{[ else ]}]#2979ff[{[ end ]}]" />
    <script>
      // We can assign JSON directly
      window.FileBrowser = [{[ .Json ]}];
      window.__prependStaticUrl = (url) => {
        return ` + "`${window.FileBrowser.StaticURL}/${url.replace(/^\\/+/, \"\")}`" + `;
      };
    </script>
    <script type="module" crossorigin src="[{[ .StaticURL ]}]/assets/index-abc.js"></script>
  </head>
  <body>
    <div id="app"></div>
    <script type="module">import.meta.url;import("_").catch(()=>1);window.__vite_is_modern_browser=true</script>
    <script nomodule crossorigin id="vite-legacy-entry" data-src="[{[ .StaticURL ]}]/assets/index-legacy-abc.js">System.import(document.getElementById('vite-legacy-entry').getAttribute('data-src'))</script>
    [{[ if .CSS -]}]
    <link rel="stylesheet" href="[{[ .StaticURL ]}]/custom.css" />
    [{[ end ]}]
  </body>
</html>
`

// fakeDist writes a small Filebrowser dist and returns its directory.
func fakeDist(t *testing.T, index string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"public/index.html": index, "assets/index-abc.js": "console.log(1)", "img/icons/favicon.svg": "<svg/>"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("secret"), 0o644)
	if err := os.Symlink(secret, filepath.Join(dir, "assets", "escape.js")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newTestServer(t *testing.T, frontendDir string) (*Server, error) {
	t.Helper()
	return New(Options{
		Lookup:              func(string) (Session, bool) { return nil, false },
		Redeem:              func(string) (Session, error) { return nil, ErrLinkUsed },
		CertDir:             t.TempDir(),
		FilebrowserFrontend: frontendDir,
	})
}

func get(h http.Handler, path string) *http.Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Result()
}

// TestFilebrowserFrontend: with a Filebrowser dist configured, / and the
// frontend's routes serve its index.html rendered with settings that make
// it log in by the link's cookie, under a CSP that lets only the page's
// own inline scripts run.
func TestFilebrowserFrontend(t *testing.T) {
	t.Parallel()
	s, err := newTestServer(t, fakeDist(t, fakeIndex))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, p := range []string{"/", "/files/", "/files/data/a%20b/", "/settings/profile", "/login?redirect=%2Ffiles%2F"} {
		r := get(h, p)
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: %d %s", p, r.StatusCode, r.Header.Get("Content-Type"))
		}
		m := regexp.MustCompile(`window.FileBrowser = (\{.*?\});`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no settings in\n%s", p, body)
		}
		var set map[string]any
		if err := json.Unmarshal(m[1], &set); err != nil {
			t.Fatalf("settings %s: %v", m[1], err)
		}
		for k, want := range map[string]any{"LoginPage": false, "AuthMethod": "proxy", "NoAuth": false, "BaseURL": "",
			"StaticURL": "/static", "Name": "storage-agent", "EnableExec": false, "Signup": false, "LogoutPage": "/logout"} {
			if set[k] != want {
				t.Errorf("%s: setting %s = %v, want %v", p, k, set[k], want)
			}
		}
		for _, want := range []string{"<title>storage-agent</title>", `href="/static/img/icons/favicon.svg"`, `src="/static/assets/index-abc.js"`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("%s: page lacks %s", p, want)
			}
		}
		// Each inline script, and nothing else inline, may run.
		policy := r.Header.Get("Content-Security-Policy")
		scripts := inlineScript.FindAllSubmatch(body, -1)
		inline := 0
		for _, sc := range scripts {
			if srcAttr.Match(sc[1]) {
				continue
			}
			inline++
			sum := sha256.Sum256(sc[2])
			if !strings.Contains(policy, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
				t.Errorf("%s: CSP %q lacks the hash of %q", p, policy, sc[2])
			}
		}
		scriptSrc := regexp.MustCompile(`script-src [^;]*`).FindString(policy)
		if inline != 3 || !strings.HasPrefix(policy, "default-src 'self';") || strings.Contains(scriptSrc, "unsafe") {
			t.Errorf("%s: %d inline scripts, CSP %q", p, inline, policy)
		}
	}
	for _, tc := range []struct {
		path, typ string
		code      int
	}{
		{"/static/assets/index-abc.js", "text/javascript; charset=utf-8", 200},
		{"/static/img/icons/favicon.svg", "image/svg+xml", 200},
		{"/static/assets/escape.js", "", 404}, // a symlink out of the dist
		{"/static/../../../../etc/passwd", "", 404},
		{"/static/assets/", "", 404},
		{"/api/nothing", "", 404},
		{"/api/resources/", "", 401},
		{"/login?token=used", "text/html; charset=utf-8", 403}, // still the login link
	} {
		r := get(h, tc.path)
		if r.StatusCode != tc.code || (tc.typ != "" && r.Header.Get("Content-Type") != tc.typ) {
			t.Errorf("%s: %d %s, want %d %s", tc.path, r.StatusCode, r.Header.Get("Content-Type"), tc.code, tc.typ)
		}
	}
}

// TestCheckFrontend: a frontend directory is accepted only with its
// index.html inside it, found through the directory's own root, so a link
// out of it or a directory in the index's place is refused.
func TestCheckFrontend(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "index.html")
	if err := os.WriteFile(outside, []byte(fakeIndex), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := func(setup func(d string) error) string {
		d := t.TempDir()
		if err := setup(d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		name, dir, err string
	}{
		{"filebrowser dist", fakeDist(t, fakeIndex), ""},
		{"flat copy", dir(func(d string) error { return os.WriteFile(filepath.Join(d, "index.html"), []byte(fakeIndex), 0o644) }), ""},
		{"missing", filepath.Join(t.TempDir(), "none"), "no such file or directory"},
		{"a file", outside, "not a directory"},
		{"no index", t.TempDir(), "holds no public/index.html or index.html"},
		{"index is a directory", dir(func(d string) error { return os.MkdirAll(filepath.Join(d, "public", "index.html"), 0o755) }), "holds no"},
		{"index links out", dir(func(d string) error { return os.Symlink(outside, filepath.Join(d, "index.html")) }), "holds no"},
		{"index links out by ..", dir(func(d string) error {
			return os.Symlink("../"+filepath.Base(filepath.Dir(outside))+"/index.html", filepath.Join(d, "index.html"))
		}), "holds no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckFrontend(tc.dir)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrFrontend) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want ErrFrontend saying %q", err, tc.err)
			}
		})
	}
}

func TestFilebrowserFrontendRefused(t *testing.T) {
	t.Parallel()
	for name, dir := range map[string]string{
		"missing":         filepath.Join(t.TempDir(), "none"),
		"no index":        t.TempDir(),
		"broken template": fakeDist(t, "[{[ .Json "),
	} {
		if _, err := newTestServer(t, dir); !errors.Is(err, ErrFrontend) {
			t.Errorf("%s: New: %v, want ErrFrontend", name, err)
		}
	}
	// Without it, / is our own UI.
	s, err := newTestServer(t, "")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(get(s.Handler(), "/").Body)
	if !strings.Contains(string(body), "/ui/js/main.js") {
		t.Errorf("/ without a frontend: %.200s", body)
	}
	if r := get(s.Handler(), "/files/"); r.StatusCode != 404 {
		t.Errorf("/files/ without a frontend: %d", r.StatusCode)
	}
}
