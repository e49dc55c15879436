package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
)

// webClient talks to a daemon's webfs over real HTTPS, trusting the
// daemon's self-signed certificate.
type webClient struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
	ca    string // path of the daemon's certificate, for curl --cacert
}

// webHTTPClient trusts the daemon's generated certificate.
func (d *daemon) webHTTPClient(t *testing.T) (*http.Client, string) {
	t.Helper()
	ca := filepath.Join(d.varDir, "webfs", "cert.pem")
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, ca
}

// webLogin opens a web client for session s with POST /api/login.
func (d *daemon) webLogin(t *testing.T, s sessionInfo) *webClient {
	t.Helper()
	hc, ca := d.webHTTPClient(t)
	w := &webClient{t: t, base: d.webURL, http: hc, ca: ca}
	code, body := w.req("POST", "/api/login", `{"username":"`+s.ID+`","password":"`+s.Token+`"}`, nil)
	if code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	w.token = string(body)
	return w
}

// webFolderSession creates folders and opens a session mounting them;
// mounts maps mount name -> mode ("rw" or "ro"). It returns the session,
// a logged-in client and the host paths of the folders.
func (d *daemon) webFolderSession(t *testing.T, user string, mounts map[string]string) (sessionInfo, *webClient, map[string]string) {
	t.Helper()
	hosts := map[string]string{}
	var ms []map[string]any
	for name, mode := range mounts {
		vfid, host := d.folder(user, name)
		hosts[name] = host
		ms = append(ms, map[string]any{"volume": "local", "vfid": vfid, "name": name, "mode": mode})
	}
	s := d.openSession(user, ms, nil)
	return s, d.webLogin(t, s), hosts
}

// req sends a request with the client's token (if any) and returns the
// status and body; body may be nil, a string, []byte or an io.Reader.
func (w *webClient) req(method, path string, body any, hdr map[string]string) (int, []byte) {
	w.t.Helper()
	resp := w.resp(method, path, body, hdr)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// resp is req returning the whole response (body unread).
func (w *webClient) resp(method, path string, body any, hdr map[string]string) *http.Response {
	w.t.Helper()
	req, err := http.NewRequest(method, w.base+path, bodyReader(w.t, body))
	if err != nil {
		w.t.Fatal(err)
	}
	if w.token != "" {
		req.Header.Set("X-Auth", w.token)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// expect fails the test unless the request answers want.
func (w *webClient) expect(want int, method, path string, body any, hdr map[string]string) []byte {
	w.t.Helper()
	code, b := w.req(method, path, body, hdr)
	if code != want {
		w.t.Fatalf("%s %s: got %d %q, want %d", method, path, code, truncate(b), want)
	}
	return b
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// chownTree gives a host tree to the session's default uid, as files a
// user made themselves would be.
func chownTree(t *testing.T, dir string) {
	t.Helper()
	sandboxtest.Chown(t, dir, 1000)
}
