package clientapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

// The folder belongs to a session user, as the daemon makes them.
const folderUID, folderGID = 1234, 2345

const testVFID = "user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"

// env is the client API behind a real HTTP server, over one vfolder.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	vol    *storage.Volume
	signer *xfertoken.Signer
	dir    string // the vfolder's host path
}

func newEnv(t *testing.T) *env {
	t.Helper()
	vol, err := storage.NewVolume("local", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := storage.ParseVFID(testVFID)
	if _, err := vol.CreateFolder(v, storage.CreateOptions{UID: folderUID, GID: folderGID, Mode: 0o755, AutoScope: true}); err != nil {
		t.Fatal(err)
	}
	f, err := vol.OpenFolder(v)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	e := &env{t: t, vol: vol, signer: xfertoken.NewSigner([]byte(strings.Repeat("c", 32)), time.Hour), dir: f.HostPath}
	s := New(Options{Volumes: map[string]*storage.Volume{"local": vol}, Signer: e.signer, MaxUploadSize: 1 << 30, Version: "test"})
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) write(rel, data string) {
	e.t.Helper()
	p := filepath.Join(e.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) downloadToken(rel string) string {
	e.t.Helper()
	tok, err := e.signer.SignDownload("local", testVFID, rel)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// uploadURL mints an upload of size bytes to rel and returns its URL.
func (e *env) uploadURL(rel string, size int64, query string) string {
	e.t.Helper()
	session, err := e.vol.CreateUpload()
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.signer.SignUpload("local", testVFID, rel, size, session)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.srv.URL + "/upload?token=" + url.QueryEscape(tok) + query
}

// get sends one request and returns the answer with its body read.
func (e *env) send(method, u string, body io.Reader, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// wantStatus fails unless resp has status.
func wantStatus(t *testing.T, what string, resp *http.Response, body []byte, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: %d %s, want %d", what, resp.StatusCode, body, status)
	}
}

// newExpiredSigner signs with the test key tokens that expired already.
func newExpiredSigner() *xfertoken.Signer {
	return xfertoken.NewSigner([]byte(strings.Repeat("c", 32)), -time.Minute)
}

// ownedBySession fails unless path belongs to the folder's owner.
func ownedBySession(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != folderUID || st.Gid != folderGID {
		t.Errorf("%s belongs to %d:%d, want the folder's owner", path, st.Uid, st.Gid)
	}
}
