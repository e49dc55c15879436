package clientapi

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var tusPatch = map[string]string{"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}

func patchHeaders(offset int) map[string]string {
	h := map[string]string{"Upload-Offset": strconv.Itoa(offset)}
	for k, v := range tusPatch {
		h[k] = v
	}
	return h
}

// cutReader yields n bytes of b, then fails like a dropped connection.
type cutReader struct {
	b []byte
	n int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n == 0 {
		return 0, errors.New("connection cut")
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b, c.n = c.b[k:], c.n-k
	return k, nil
}

// TestTusAiotusclient replays aiotusclient: HEAD for the offset, PATCH per
// chunk, one chunk cut mid-way, re-HEAD and resume.
func TestTusAiotusclient(t *testing.T) {
	e := newEnv(t)
	// Chunks of several write-behind windows: a chunk is partly written
	// back and dropped from the cache before it is cut and truncated.
	data := make([]byte, 15<<20)
	rand.Read(data)
	u := e.uploadURL("sub/dir/up.bin", int64(len(data)), "")
	final := filepath.Join(e.dir, "sub", "dir", "up.bin")

	head := func() int {
		r, b := e.send("HEAD", u, nil, map[string]string{"Tus-Resumable": "1.0.0"})
		wantStatus(t, "HEAD", r, b, 200)
		if r.Header.Get("Upload-Length") != strconv.Itoa(len(data)) || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("HEAD headers %v", r.Header)
		}
		n, _ := strconv.Atoi(r.Header.Get("Upload-Offset"))
		return n
	}
	if off := head(); off != 0 {
		t.Fatalf("fresh upload at %d", off)
	}
	const chunk = 6 << 20
	r, b := e.send("PATCH", u, bytes.NewReader(data[:chunk]), patchHeaders(0))
	wantStatus(t, "chunk 1", r, b, 204)
	if r.Header.Get("Upload-Offset") != strconv.Itoa(chunk) {
		t.Fatalf("offset after chunk 1: %v", r.Header)
	}
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatal("a partial upload is visible under its final name")
	}
	// Chunk 2 is cut after 5 MiB: the offset must not move.
	req, _ := http.NewRequest("PATCH", u, &cutReader{b: data[chunk : 2*chunk], n: 5 << 20})
	req.ContentLength = chunk
	for k, v := range patchHeaders(chunk) {
		req.Header.Set(k, v)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Logf("cut PATCH answered %d", resp.StatusCode)
	}
	var off int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		// The server notices the cut when its read fails; until then the
		// lease is held, and HEAD shows the fsync'd offset either way.
		if off = head(); off == chunk || time.Now().After(deadline) {
			break
		}
	}
	if off != chunk {
		t.Fatalf("offset after a cut chunk: %d, want %d", off, chunk)
	}
	for off < len(data) {
		end := min(off+chunk, len(data))
		r, b := e.send("PATCH", u, bytes.NewReader(data[off:end]), patchHeaders(off))
		if r.StatusCode == 409 && strings.Contains(string(b), "tus-lease-held") {
			time.Sleep(20 * time.Millisecond) // the cut PATCH is still being torn down
			continue
		}
		wantStatus(t, "chunk", r, b, 204)
		off, _ = strconv.Atoi(r.Header.Get("Upload-Offset"))
	}
	got, err := os.ReadFile(final)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("uploaded file: %d bytes, %v", len(got), err)
	}
	// Sessions run as the folder's owner: what the daemon wrote is theirs.
	for _, p := range []string{final, filepath.Dir(final), filepath.Dir(filepath.Dir(final))} {
		ownedBySession(t, p)
	}
	if fi, _ := os.Stat(final); fi.Mode().Perm() != 0o644 {
		t.Errorf("uploaded file mode %v", fi.Mode())
	}
	r, b = e.send("HEAD", u, nil, nil)
	wantStatus(t, "HEAD after completion", r, b, 404)
}

// TestTusBrowser replays tus-js-client in a browser: a CORS preflight,
// then one PATCH whose answer the page must be able to read.
func TestTusBrowser(t *testing.T) {
	e := newEnv(t)
	u := e.uploadURL("web.txt", 5, "")
	r, b := e.send("OPTIONS", u, nil, map[string]string{"Origin": "https://webui.example",
		"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "tus-resumable,upload-offset,content-type"})
	wantStatus(t, "preflight", r, b, 200)
	h := r.Header
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Methods") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Upload-Offset") || h.Get("Tus-Version") != "1.0.0" ||
		h.Get("Tus-Max-Size") != strconv.Itoa(1<<30) || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("preflight headers %v", h)
	}
	hdr := patchHeaders(0)
	hdr["Origin"] = "https://webui.example"
	r, b = e.send("PATCH", u, strings.NewReader("hello"), hdr)
	wantStatus(t, "PATCH", r, b, 204)
	if r.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Upload-Offset") {
		t.Errorf("PATCH headers %v", r.Header)
	}
	if got, _ := os.ReadFile(filepath.Join(e.dir, "web.txt")); string(got) != "hello" {
		t.Errorf("uploaded %q", got)
	}
}

// TestTusRefuses: every bad PATCH changes nothing.
func TestTusRefuses(t *testing.T) {
	e := newEnv(t)
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(e.dir, "evil"))

	u := e.uploadURL("f.txt", 5, "")
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		body   string
		status int
	}{
		{"offset mismatch", patchHeaders(3), "lo", 409},
		{"past the size", patchHeaders(0), "hello world", 413},
		{"no offset", tusPatch, "hello", 400},
		{"bad offset", map[string]string{"Upload-Offset": "x", "Content-Type": "application/offset+octet-stream"}, "hello", 400},
		{"wrong content type", map[string]string{"Upload-Offset": "0", "Content-Type": "text/plain"}, "hello", 415},
	} {
		r, b := e.send("PATCH", u, strings.NewReader(tc.body), tc.hdr)
		wantStatus(t, tc.name, r, b, tc.status)
		if r, _ := e.send("HEAD", u, nil, nil); r.Header.Get("Upload-Offset") != "0" {
			t.Errorf("%s moved the offset to %s", tc.name, r.Header.Get("Upload-Offset"))
		}
	}
	for _, q := range []string{"&dst_dir=../..", "&dst_dir=/tmp"} {
		r, b := e.send("PATCH", e.uploadURL("x.txt", 1, q), strings.NewReader("x"), patchHeaders(0))
		wantStatus(t, q, r, b, 400)
	}
	// A symlink planted in the folder does not carry the upload out.
	r, b := e.send("PATCH", e.uploadURL("evil/x.txt", 1, ""), strings.NewReader("x"), patchHeaders(0))
	wantStatus(t, "through a planted symlink", r, b, 400)
	r, b = e.send("PATCH", e.uploadURL("x.txt", 1, "&dst_dir=evil"), strings.NewReader("x"), patchHeaders(0))
	wantStatus(t, "dst_dir through a planted symlink", r, b, 400)
	os.MkdirAll(filepath.Join(e.dir, "adir"), 0o755)
	r, b = e.send("PATCH", e.uploadURL("adir", 1, ""), strings.NewReader("x"), patchHeaders(0))
	wantStatus(t, "onto a directory", r, b, 400)
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("an upload reached %s: %v", outside, ents)
	}

	// A second PATCH while one is in flight is refused.
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("PATCH", u, pr)
		for k, v := range patchHeaders(0) {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	pw.Write([]byte("he"))
	time.Sleep(100 * time.Millisecond)
	r, b = e.send("PATCH", u, strings.NewReader("hello"), patchHeaders(0))
	wantStatus(t, "concurrent PATCH", r, b, 409)
	pw.Write([]byte("llo"))
	pw.Close()
	if code := <-done; code != 204 {
		t.Errorf("first PATCH: %d", code)
	}
}

// TestBadTokens: tampered, expired, alg none and wrong-op tokens are 400
// invalid-api-params on every route, as in Backend.AI.
func TestBadTokens(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "a")
	good := e.downloadToken("a.txt")
	parts := strings.Split(good, ".")
	upload := strings.TrimPrefix(e.uploadURL("u", 1, ""), e.srv.URL+"/upload?token=")
	for name, tok := range map[string]string{
		"tampered": parts[0] + "." + parts[1] + "x." + parts[2],
		"alg none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
		"empty":    "",
	} {
		for _, route := range []string{"/download", "/download-archive"} {
			r, b := e.send("GET", e.srv.URL+route+"?token="+url.QueryEscape(tok), nil, nil)
			if r.StatusCode != 400 || !strings.Contains(string(b), "invalid-api-params") {
				t.Errorf("%s on %s: %d %s", name, route, r.StatusCode, b)
			}
		}
	}
	// Wrong operation both ways.
	r, b := e.send("GET", e.srv.URL+"/download?token="+upload, nil, nil)
	wantStatus(t, "upload token on /download", r, b, 400)
	r, b = e.send("PATCH", e.srv.URL+"/upload?token="+url.QueryEscape(good), strings.NewReader("a"), patchHeaders(0))
	wantStatus(t, "download token on /upload", r, b, 400)
	r, b = e.send("GET", e.srv.URL+"/download-archive?token="+url.QueryEscape(good), nil, nil)
	wantStatus(t, "download token on /download-archive", r, b, 400)
	// Expired.
	expired, _ := newExpiredSigner().SignDownload("local", testVFID, "a.txt")
	r, b = e.send("GET", e.srv.URL+"/download?token="+url.QueryEscape(expired), nil, nil)
	wantStatus(t, "expired", r, b, 400)
}
