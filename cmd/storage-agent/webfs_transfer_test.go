package main

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cutReader yields n bytes of src, then fails: a client cut mid-upload.
type cutReader struct {
	src []byte
	n   int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errors.New("cable pulled")
	}
	k := copy(p, c.src[:min(len(c.src), c.n, len(p))])
	c.src, c.n = c.src[k:], c.n-k
	return k, nil
}

func TestWebFSTus(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-tus", map[string]string{"data": "rw"})
	data := make([]byte, 25<<20+123)
	rand.Read(data)
	final := filepath.Join(hosts["data"], "up", "big.bin")
	tusHdr := func(off int) map[string]string {
		return map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.Itoa(off), "Tus-Resumable": "1.0.0"}
	}
	head := func() (int, string, string) {
		r := w.resp("HEAD", "/api/tus/data/up/big.bin", nil, nil)
		r.Body.Close()
		return r.StatusCode, r.Header.Get("Upload-Offset"), r.Header.Get("Upload-Length")
	}

	w.expect(400, "POST", "/api/tus/data/up/big.bin", nil, map[string]string{"Upload-Length": "-1"})
	w.expect(400, "POST", "/api/tus/data/up/big.bin", nil, nil)
	if c, _, _ := head(); c != 404 {
		t.Fatalf("HEAD before POST: %d", c)
	}
	r := w.resp("POST", "/api/tus/data/up/big.bin", nil, map[string]string{"Upload-Length": strconv.Itoa(len(data))})
	r.Body.Close()
	if r.StatusCode != 201 || r.Header.Get("Location") != "/api/tus/data/up/big.bin" {
		t.Fatalf("POST: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// First 10 MiB chunk, then one cut after 3 MiB more.
	w.expect(204, "PATCH", "/api/tus/data/up/big.bin", data[:10<<20], tusHdr(0))
	w.expect(415, "PATCH", "/api/tus/data/up/big.bin", data[10<<20:], map[string]string{"Upload-Offset": strconv.Itoa(10 << 20)})
	w.expect(409, "PATCH", "/api/tus/data/up/big.bin", data[:10], tusHdr(5))
	// A refused PATCH with a body big enough to raise its socket's
	// low-water mark: the mark is restored, so the next request (a few
	// hundred bytes, on the same kept-alive connection) is answered at once.
	w.expect(409, "PATCH", "/api/tus/data/up/big.bin", data[:4<<20], tusHdr(5))
	start := time.Now()
	if c, o, _ := head(); c != 200 || o != strconv.Itoa(10<<20) || time.Since(start) > 2*time.Second {
		t.Fatalf("HEAD after a refused big PATCH: %d offset %s after %s", c, o, time.Since(start))
	}
	req, _ := http.NewRequest("PATCH", w.base+"/api/tus/data/up/big.bin", &cutReader{src: data[10<<20:], n: 3 << 20})
	req.ContentLength = int64(len(data) - 10<<20)
	req.Header.Set("X-Auth", w.token)
	for k, v := range tusHdr(10 << 20) {
		req.Header.Set(k, v)
	}
	if resp, err := w.http.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("cut PATCH answered %d", resp.StatusCode)
	}
	off, prev := 0, -1
	for range 50 { // the server finishes the cut chunk asynchronously
		_, o, l := head()
		off, _ = strconv.Atoi(o)
		if l != strconv.Itoa(len(data)) {
			t.Fatalf("Upload-Length %q", l)
		}
		if off > 10<<20 && off == prev {
			break
		}
		prev = off
		time.Sleep(100 * time.Millisecond)
	}
	if off <= 10<<20 || off > 13<<20 {
		t.Fatalf("offset after cut: %d", off)
	}
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("final name exists before completion: %v", err)
	}
	// Too many bytes: 413, nothing of the chunk kept.
	over := append(append([]byte{}, data[off:]...), 'X')
	w.expect(413, "PATCH", "/api/tus/data/up/big.bin", over, tusHdr(off))
	if _, o, _ := head(); o != strconv.Itoa(off) {
		t.Fatalf("offset after 413: %s, want %d", o, off)
	}
	// Resume to the end.
	for off < len(data) {
		end := min(off+10<<20, len(data))
		r := w.resp("PATCH", "/api/tus/data/up/big.bin", data[off:end], tusHdr(off))
		r.Body.Close()
		if r.StatusCode != 204 || r.Header.Get("Upload-Offset") != strconv.Itoa(end) {
			t.Fatalf("PATCH at %d: %d offset %q", off, r.StatusCode, r.Header.Get("Upload-Offset"))
		}
		off = end
	}
	if fileSum(t, final) != sha256.Sum256(data) {
		t.Fatal("uploaded file differs")
	}
	if c, _, _ := head(); c != 404 {
		t.Fatalf("HEAD after completion: %d", c)
	}
	w.expect(409, "POST", "/api/tus/data/up/big.bin", nil, map[string]string{"Upload-Length": "1"})
	w.expect(201, "POST", "/api/tus/data/up/big.bin?override=true", nil, map[string]string{"Upload-Length": "1"})
	w.expect(204, "DELETE", "/api/tus/data/up/big.bin", nil, nil)
	w.expect(404, "DELETE", "/api/tus/data/up/big.bin", nil, nil)
	w.expect(201, "POST", "/api/tus/data/empty.txt", nil, map[string]string{"Upload-Length": "0"})
	if fi, err := os.Stat(filepath.Join(hosts["data"], "empty.txt")); err != nil || fi.Size() != 0 {
		t.Fatalf("empty upload: %v", err)
	}

	// An abandoned upload is swept when a later one starts.
	w.expect(201, "POST", "/api/tus/data/old.bin", nil, map[string]string{"Upload-Length": "10"})
	staged, _ := filepath.Glob(filepath.Join(hosts["data"], ".webfs-uploads", "t-*"))
	if len(staged) != 2 {
		t.Fatalf("staged files: %q", staged)
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, f := range staged {
		os.Chtimes(f, old, old)
	}
	w.expect(201, "POST", "/api/tus/data/new.bin", nil, map[string]string{"Upload-Length": "10"})
	w.expect(404, "HEAD", "/api/tus/data/old.bin", nil, nil)
	w.expect(403, "POST", "/api/tus/top.bin", nil, map[string]string{"Upload-Length": "1"})
}

func TestWebFSRaw(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-raw", map[string]string{"data": "rw"})
	root := hosts["data"]
	os.MkdirAll(filepath.Join(root, "tree", "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "tree", "a.txt"), []byte("0123456789"), 0o644)
	os.WriteFile(filepath.Join(root, "tree", "sub", `b\..\..\evil.txt`), []byte("backslash"), 0o644)
	os.WriteFile(filepath.Join(root, "tree", "sub", "c.html"), []byte("<script>alert(1)</script>"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(root, "tree", "out"))
	chownTree(t, root)

	r := w.resp("GET", "/api/raw/data/tree/a.txt", nil, map[string]string{"Range": "bytes=2-5"})
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 206 || string(b) != "2345" || r.Header.Get("Content-Range") != "bytes 2-5/10" {
		t.Fatalf("range: %d %q %q", r.StatusCode, b, r.Header.Get("Content-Range"))
	}
	if got := r.Header.Get("Content-Disposition"); got != "attachment; filename*=utf-8''a.txt" {
		t.Fatalf("disposition %q", got)
	}
	w.expect(416, "GET", "/api/raw/data/tree/a.txt", nil, map[string]string{"Range": "bytes=20-"})
	if b := w.expect(206, "GET", "/api/raw/data/tree/a.txt", nil, map[string]string{"Range": "bytes=-3"}); string(b) != "789" {
		t.Fatalf("suffix range %q", b)
	}
	w.expect(304, "GET", "/api/raw/data/tree/a.txt", nil, map[string]string{"If-Modified-Since": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)})
	r = w.resp("GET", "/api/raw/data/tree/sub/c.html?inline=true", nil, nil)
	r.Body.Close()
	if !strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline") || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") || strings.Contains(r.Header.Get("Content-Type"), "html") {
		t.Fatalf("inline headers: %v", r.Header)
	}
	w.expect(403, "GET", "/api/raw/data/tree/out", nil, nil)

	// Archives: unpack-test them and check every entry name.
	dir := t.TempDir()
	for _, c := range []struct{ algo, file, list string }{
		{"zip", "t.zip", "unzip -tq %s >&2 && unzip -Z1 %s"},
		{"tar", "t.tar", "tar -tf %s"},
		{"targz", "t.tar.gz", "tar -tzf %s"},
	} {
		r := w.resp("GET", "/api/raw/data/tree?algo="+c.algo, nil, nil)
		f := filepath.Join(dir, c.file)
		out, _ := os.Create(f)
		io.Copy(out, r.Body)
		out.Close()
		r.Body.Close()
		if r.StatusCode != 200 || r.Header.Get("Content-Disposition") != "attachment; filename*=utf-8''tree."+strings.TrimPrefix(c.file, "t.") {
			t.Fatalf("%s: %d %q", c.algo, r.StatusCode, r.Header.Get("Content-Disposition"))
		}
		cmd := strings.ReplaceAll(c.list, "%s", f)
		var stderr strings.Builder
		sh := exec.Command("sh", "-c", cmd)
		sh.Stderr = &stderr
		listing, err := sh.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", cmd, err, listing, stderr.String())
		}
		names := strings.Fields(string(listing))
		for _, n := range names {
			if strings.HasPrefix(n, "/") || slices.Contains(strings.Split(n, "/"), "..") || strings.Contains(n, `\`) || strings.Contains(n, "out") {
				t.Fatalf("%s: bad entry %q", c.algo, n)
			}
		}
		if !strings.Contains(string(listing), "tree/sub/c.html") || !strings.Contains(string(listing), "tree/a.txt") {
			t.Fatalf("%s: entries %q", c.algo, listing)
		}
	}
	b = w.expect(200, "GET", "/api/raw/data/tree?algo=tar&files=a.txt,sub%2Fc.html", nil, nil)
	if !strings.Contains(string(b), "a.txt") || strings.Contains(string(b), "backslash") {
		t.Fatalf("files= selection")
	}
	w.expect(400, "GET", "/api/raw/data/tree?algo=tar&files=..%2F..%2Fetc", nil, nil)
	w.expect(400, "GET", "/api/raw/data/tree?algo=rar", nil, nil)

	// curl: download with resume.
	curl := requireTool(t, "curl")
	out := filepath.Join(dir, "a.txt")
	os.WriteFile(out, []byte("0123"), 0o644)
	if o, err := exec.Command(curl, "-sSf", "--cacert", w.ca, "-H", "X-Auth: "+w.token, "-C", "-", "-o", out, w.base+"/api/raw/data/tree/a.txt").CombinedOutput(); err != nil {
		t.Fatalf("curl: %v %s", err, o)
	}
	if b, _ := os.ReadFile(out); string(b) != "0123456789" {
		t.Fatalf("curl resume: %q", b)
	}
	_ = fmt.Sprint()
}
