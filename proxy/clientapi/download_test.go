package clientapi

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDownloadResume replays the Python SDK: a download cut half-way is
// resumed with If-Range: <Last-Modified> and Range: bytes=N-.
func TestDownloadResume(t *testing.T) {
	e := newEnv(t)
	data := make([]byte, 3<<20)
	rand.Read(data)
	e.write("big.bin", string(data))
	u := e.srv.URL + "/download?token=" + url.QueryEscape(e.downloadToken("big.bin"))

	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Length") != strconv.Itoa(len(data)) || h.Get("Accept-Ranges") != "bytes" ||
		h.Get("Content-Type") != "application/octet-stream" || h.Get("ETag") == "" ||
		h.Get("Content-Disposition") != `attachment;filename="big.bin"; filename*=UTF-8''big.bin` {
		t.Fatalf("first GET: %d %v", resp.StatusCode, h)
	}
	lastModified := h.Get("Last-Modified")
	got := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // the cut

	r, rest := e.send("GET", u, nil, map[string]string{"If-Range": lastModified, "Range": "bytes=" + strconv.Itoa(len(got)) + "-"})
	wantStatus(t, "resume", r, nil, 206)
	if cr := r.Header.Get("Content-Range"); cr != "bytes 1048576-3145727/3145728" {
		t.Errorf("Content-Range %q", cr)
	}
	if !bytes.Equal(append(got, rest...), data) {
		t.Fatal("resumed download differs")
	}
	// The file changed since: If-Range fails, the whole file comes again.
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(e.dir, "big.bin"), later, later)
	r, all := e.send("GET", u, nil, map[string]string{"If-Range": lastModified, "Range": "bytes=100-"})
	if r.StatusCode != 200 || len(all) != len(data) {
		t.Errorf("If-Range on a touched file: %d, %d bytes", r.StatusCode, len(all))
	}
	r, _ = e.send("GET", u, nil, map[string]string{"Range": "bytes=99999999-"})
	if r.StatusCode != 416 || r.Header.Get("Content-Range") != "bytes */3145728" {
		t.Errorf("unsatisfiable range: %d %v", r.StatusCode, r.Header)
	}
	r, _ = e.send("GET", u+"&no_cache=true&archive=false", nil, nil)
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("no_cache: %d %v", r.StatusCode, r.Header)
	}
	r, b := e.send("HEAD", u, nil, nil)
	if r.StatusCode != 200 || r.Header.Get("Content-Length") != strconv.Itoa(len(data)) || len(b) != 0 {
		t.Errorf("HEAD: %d %v", r.StatusCode, r.Header)
	}
	// curl, the way a user scripts it.
	out := filepath.Join(t.TempDir(), "out")
	if b, err := exec.Command("curl", "-sSf", "-o", out, u).CombinedOutput(); err != nil {
		t.Fatalf("curl: %v %s", err, b)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, data) {
		t.Error("curl's download differs")
	}
}

// TestDownloadConfinement: dst_dir and planted symlinks never lead out of
// the folder, and a directory needs archive=true.
func TestDownloadConfinement(t *testing.T) {
	e := newEnv(t)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("host secret"), 0o644)
	e.write("d/a.txt", "a")
	os.MkdirAll(filepath.Join(e.dir, "d", "empty"), 0o755)
	os.Symlink(outside, filepath.Join(e.dir, "out"))
	os.Symlink(outside, filepath.Join(e.dir, "d", "out"))
	os.Symlink("../../../../../../../../"+outside+"/secret", filepath.Join(e.dir, "rel"))
	for _, tc := range []struct {
		rel, query string
		status     int
	}{
		{"a.txt", "&dst_dir=d", 200},
		{"a.txt", "&dst_dir=../..", 404},
		{"a.txt", "&dst_dir=/etc", 404},
		{"passwd", "&dst_dir=../../../../../../etc", 404},
		{"out/secret", "", 404},
		{"rel", "", 404},
		{"../../secret", "", 404},
		{"missing", "", 404},
		{"d", "", 400},
		{"d", "&archive=maybe", 400},
	} {
		r, b := e.send("GET", e.srv.URL+"/download?token="+url.QueryEscape(e.downloadToken(tc.rel))+tc.query, nil, nil)
		if r.StatusCode != tc.status || bytes.Contains(b, []byte("host secret")) {
			t.Errorf("%s%s: %d %s, want %d", tc.rel, tc.query, r.StatusCode, b, tc.status)
		}
		if tc.status != 200 && r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s%s: Content-Type %q", tc.rel, tc.query, r.Header.Get("Content-Type"))
		}
	}
	r, b := e.send("GET", e.srv.URL+"/download?token="+url.QueryEscape(e.downloadToken("d"))+"&archive=true", nil, nil)
	wantStatus(t, "zip of d", r, b, 200)
	if r.Header.Get("Content-Type") != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), `filename="d.zip"`) {
		t.Errorf("zip headers %v", r.Header)
	}
	if names := zipNames(t, b); !slices.Equal(names, []string{"d/", "d/a.txt", "d/empty/"}) {
		t.Errorf("zip of d holds %v", names)
	}
}

func zipNames(t *testing.T, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if strings.Contains(f.Name, "secret") {
			t.Errorf("zip holds %s", f.Name)
		}
	}
	slices.Sort(names)
	return names
}

func TestDownloadArchive(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "a")
	e.write("dir/b.txt", "b")
	os.Symlink("/etc", filepath.Join(e.dir, "etc"))
	mint := func(files ...string) string {
		tok, err := e.signer.SignArchive("local", testVFID, files, "pick.zip")
		if err != nil {
			t.Fatal(err)
		}
		return e.srv.URL + "/download-archive?token=" + url.QueryEscape(tok)
	}
	out := filepath.Join(t.TempDir(), "pick.zip")
	if b, err := exec.Command("curl", "-sSf", "-o", out, mint("a.txt", "dir")).CombinedOutput(); err != nil {
		t.Fatalf("curl: %v %s", err, b)
	}
	b, _ := os.ReadFile(out)
	if names := zipNames(t, b); !slices.Equal(names, []string{"a.txt", "dir/", "dir/b.txt"}) {
		t.Errorf("archive holds %v", names)
	}
	for _, files := range [][]string{{"missing"}, {"etc/passwd"}, {"../x"}} {
		if r, b := e.send("GET", mint(files...), nil, nil); r.StatusCode != 404 {
			t.Errorf("%v: %d %s", files, r.StatusCode, b)
		}
	}
}

// TestCORS: a page on another origin may read downloads, as with
// aiohttp_cors in Backend.AI.
func TestCORS(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "a")
	r, _ := e.send("OPTIONS", e.srv.URL+"/download", nil, map[string]string{
		"Origin": "https://webui.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"})
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://webui.example" ||
		r.Header.Get("Access-Control-Allow-Credentials") != "true" || r.Header.Get("Access-Control-Allow-Headers") != "range" {
		t.Errorf("preflight: %d %v", r.StatusCode, r.Header)
	}
	r, _ = e.send("GET", e.srv.URL+"/download?token="+url.QueryEscape(e.downloadToken("a.txt")), nil, map[string]string{"Origin": "https://webui.example"})
	if r.Header.Get("Access-Control-Allow-Origin") != "https://webui.example" || !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Content-Disposition") {
		t.Errorf("GET: %v", r.Header)
	}
	r, b := e.send("GET", e.srv.URL+"/", nil, nil)
	if r.StatusCode != 200 || !strings.Contains(string(b), `"type":"client-facing"`) {
		t.Errorf("GET /: %d %s", r.StatusCode, b)
	}
}
