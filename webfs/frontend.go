package webfs

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// frontendIndexPaths are where a built Filebrowser frontend may keep its
// index.html template, relative to its directory: its Vite build writes
// public/index.html into dist (Filebrowser reads it from there); a copy at
// the top also works.
var frontendIndexPaths = []string{"public/index.html", "index.html"}

// frontendSettings are the window.FileBrowser settings Filebrowser's
// server renders into index.html, as webfs's users need them: no login
// page, so the frontend logs in with empty credentials at start-up (see
// cookieLogin) as under Filebrowser's proxy auth; logout through /logout;
// no command runner, sign-up or shares.
func frontendSettings() map[string]any {
	return map[string]any{
		"Name":                  "storage-agent",
		"DisableExternal":       true,
		"DisableUsedPercentage": false,
		"Color":                 "",
		"BaseURL":               "",
		"Version":               "storage-agent",
		"StaticURL":             "/static",
		"Signup":                false,
		"NoAuth":                false,
		"AuthMethod":            "proxy",
		"LogoutPage":            "/logout",
		"LoginPage":             false,
		"CSS":                   false,
		"ReCaptcha":             false,
		"Theme":                 "",
		"EnableThumbs":          true,
		"ResizePreview":         true,
		"EnableExec":            false,
		"TusSettings":           map[string]any{"chunkSize": 10 << 20, "retryCount": 5},
		"HideLoginButton":       true,
	}
}

// ErrFrontend marks an Options.FilebrowserFrontend that New cannot serve.
var ErrFrontend = errors.New("unusable filebrowser frontend")

// CheckFrontend reports, wrapping ErrFrontend, a dir that is not a
// directory holding Filebrowser's index.html, the check New makes, so a
// configuration can be checked before anything is served. It does not
// parse the template.
func CheckFrontend(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFrontend, err)
	}
	defer root.Close()
	_, err = readIndex(root, dir)
	return err
}

// readIndex reads the frontend's index.html template from where its build
// may have put it.
func readIndex(root *os.Root, dir string) ([]byte, error) {
	for _, p := range frontendIndexPaths {
		if fi, err := root.Stat(p); err == nil && fi.Mode().IsRegular() {
			return root.ReadFile(p)
		}
	}
	return nil, fmt.Errorf("%w: %s holds no %s: not Filebrowser's built frontend (its dist)",
		ErrFrontend, dir, strings.Join(frontendIndexPaths, " or "))
}

// frontend is Filebrowser's own built frontend, served instead of our UI
// when Options.FilebrowserFrontend names it. Immutable after load.
type frontend struct {
	root  *os.Root // the dist directory: static files are read inside it only
	index []byte   // index.html rendered with frontendSettings
	csp   string   // csp allowing index.html's inline scripts by hash
}

// inlineScript finds the <script> elements of a page and their text;
// srcAttr tells one that loads a file (Vite's legacy entry has data-src
// and inline text, so it counts as inline).
var (
	inlineScript = regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`)
	srcAttr      = regexp.MustCompile(`(?i)(^|\s)src\s*=`)
)

// loadFrontend renders the frontend's index.html once, as Filebrowser's
// server does (html/template with [{[ ]}] delimiters), and hashes its
// inline scripts: the settings script and the ones Vite's legacy plugin
// adds. Only these exact scripts may run inline, so the CSP stays
// default-src 'self' otherwise.
func loadFrontend(dir string) (*frontend, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("webfs: %w: %w", ErrFrontend, err)
	}
	src, err := readIndex(root, dir)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("webfs: %w", err)
	}
	data := frontendSettings()
	js, err := json.Marshal(data)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("webfs: %w: settings: %w", ErrFrontend, err)
	}
	// As Filebrowser: the JSON is put raw into the script.
	data["Json"] = template.JS(strings.ReplaceAll(string(js), `'`, `\'`))
	tpl, err := template.New("index").Delims("[{[", "]}]").Parse(string(src))
	var page bytes.Buffer
	if err == nil {
		err = tpl.Execute(&page, data)
	}
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("webfs: %w: render %s index.html: %w", ErrFrontend, dir, err)
	}
	var hashes []string
	for _, m := range inlineScript.FindAllSubmatch(page.Bytes(), -1) {
		if srcAttr.Match(m[1]) {
			continue
		}
		sum := sha256.Sum256(m[2])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	// The settings script links a manifest made into a blob: URL.
	policy := strings.Replace(csp, "script-src 'self'", "script-src 'self' "+strings.Join(hashes, " "), 1) +
		"; manifest-src 'self' blob:"
	return &frontend{root: root, index: page.Bytes(), csp: policy}, nil
}

// fbIndex serves the rendered index.html; it holds no secret, so it needs
// no login. Every path of the frontend's router (/files/..., /settings)
// gets it, as from Filebrowser, so a reload keeps the page.
func (s *Server) fbIndex(c *gin.Context) {
	c.Header("Content-Security-Policy", s.fb.csp)
	c.Data(http.StatusOK, "text/html; charset=utf-8", s.fb.index)
}

// fbNoRoute answers unknown paths: the frontend's page for a GET outside
// /api/ and /static/ (a route of the frontend), 404 otherwise.
func (s *Server) fbNoRoute(c *gin.Context) {
	p := c.Request.URL.Path
	if c.Request.Method == http.MethodGet && !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/static/") {
		s.fbIndex(c)
		return
	}
	fail(c, http.StatusNotFound)
}

// fbStatic serves a file of the frontend under /static/ (its StaticURL).
// The names are hashed by the build, so browsers may keep them a day, as
// Filebrowser lets them.
func (s *Server) fbStatic(c *gin.Context) {
	name := path.Clean("/" + c.Param("file"))[1:]
	f, err := s.fb.root.Open(name)
	if err != nil {
		fail(c, http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		fail(c, http.StatusNotFound)
		return
	}
	typ := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".js" {
		typ = "text/javascript; charset=utf-8"
	}
	if typ != "" {
		c.Header("Content-Type", typ)
	}
	c.Header("Cache-Control", "public, max-age=86400")
	http.ServeContent(c.Writer, c.Request, "", fi.ModTime().Truncate(time.Second), f)
}

// logoutPage answers GET /logout, the LogoutPage of Filebrowser's
// frontend: the login of the auth cookie ends (as by POST /api/ui/logout),
// the cookie is cleared and the browser goes back to /. It changes
// state on a GET because the frontend leaves by navigating there; the
// SameSite=Strict cookie is not sent on a navigation from another site,
// so another site cannot end a login either.
func (s *Server) logoutPage(c *gin.Context) {
	if ck, err := c.Request.Cookie("auth"); err == nil {
		if cl, _, err := s.verify(ck.Value); err == nil {
			s.revoked.add(cl.Login, time.Unix(cl.AuthTime, 0).Add(maxTokenAge))
		}
	}
	clearAuthCookie(c)
	c.Redirect(http.StatusFound, "/")
}
