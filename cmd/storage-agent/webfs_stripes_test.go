package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestWebFSTusStripes: a striped upload (our UI's Upload-Stripes) takes
// its stripes side by side, resumes each from its own offset after a cut,
// refuses bytes that would cross into the next stripe, and appears under
// its name only when every stripe is complete.
func TestWebFSTusStripes(t *testing.T) {
	d := shared(t)
	_, w, hosts := d.webFolderSession(t, "web-stripes", map[string]string{"data": "rw"})
	const url = "/api/tus/data/s.bin"
	data := make([]byte, 12<<20+7) // 3 stripes of 4 MiB + 3 bytes, the last 4 MiB + 1
	rand.Read(data)
	size := (len(data) + 2) / 3
	bounds := [][2]int{{0, size}, {size, 2 * size}, {2 * size, len(data)}}
	final := filepath.Join(hosts["data"], "s.bin")
	tusHdr := func(off int) map[string]string {
		return map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.Itoa(off), "Tus-Resumable": "1.0.0"}
	}
	stripes := func() []int {
		t.Helper()
		r := w.resp("HEAD", url, nil, nil)
		r.Body.Close()
		if r.StatusCode != 200 || r.Header.Get("Upload-Stripes") != "3" {
			t.Fatalf("HEAD: %d, Upload-Stripes %q", r.StatusCode, r.Header.Get("Upload-Stripes"))
		}
		var offs []int
		for _, s := range strings.Split(r.Header.Get("Upload-Stripe-Offsets"), ",") {
			n, _ := strconv.Atoi(s)
			offs = append(offs, n)
		}
		return offs
	}

	for _, bad := range []string{"abc", "0", "17", "-1", "2.5", "0x3"} {
		w.expect(400, "POST", url, nil, map[string]string{"Upload-Length": strconv.Itoa(len(data)), "Upload-Stripes": bad})
	}
	w.expect(400, "POST", url, nil, map[string]string{"Upload-Length": "3", "Upload-Stripes": "4"}) // an empty stripe
	w.expect(201, "POST", url, nil, map[string]string{"Upload-Length": strconv.Itoa(len(data)), "Upload-Stripes": "3"})
	if got := stripes(); len(got) != 3 || got[0] != 0 || got[1] != size || got[2] != 2*size {
		t.Fatalf("fresh stripes: %v", got)
	}

	// Stripe 0 is cut after 1 MiB while stripe 2 goes whole, side by side.
	var wg sync.WaitGroup
	wg.Go(func() {
		req, _ := http.NewRequest("PATCH", w.base+url, &cutReader{src: data[:size], n: 1 << 20})
		req.ContentLength = int64(size)
		req.Header.Set("X-Auth", w.token)
		for k, v := range tusHdr(0) {
			req.Header.Set(k, v)
		}
		if resp, err := w.http.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	w.expect(204, "PATCH", url, data[2*size:], tusHdr(2*size))
	wg.Wait()
	var offs []int
	waitFor(t, func() bool { offs = stripes(); return offs[0] > 0 }, "the cut stripe kept nothing")
	if offs[0] > 1<<20 || offs[2] != len(data) {
		t.Fatalf("after a cut stripe 0 and a whole stripe 2: %v", offs)
	}
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("the final name exists with stripes missing: %v", err)
	}

	// Crafted offsets: inside a stripe but not where it reached, past the
	// end; a body running into the next stripe keeps nothing.
	w.expect(409, "PATCH", url, data[size+5:size+10], tusHdr(size+5))
	w.expect(409, "PATCH", url, []byte("x"), tusHdr(len(data)))
	w.expect(409, "PATCH", url, []byte("x"), tusHdr(len(data)-1)) // stripe 2 is complete
	w.expect(413, "PATCH", url, data[size:2*size+1], tusHdr(size))
	if got := stripes(); got[1] != size {
		t.Fatalf("a refused cross-stripe body moved stripe 1 to %d", got[1])
	}
	// The rest, stripe by stripe from the server's offsets.
	for k, off := range stripes() {
		if off < bounds[k][1] {
			w.expect(204, "PATCH", url, data[off:bounds[k][1]], tusHdr(off))
		}
	}
	got, err := os.ReadFile(final)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("striped upload: %d bytes, want %d, equal %v: %v", len(got), len(data), bytes.Equal(got, data), err)
	}
	w.expect(404, "HEAD", url, nil, nil)
	if staged, _ := filepath.Glob(filepath.Join(hosts["data"], ".webfs-uploads", "t-*")); len(staged) != 0 {
		t.Fatalf("staged files left: %q", staged)
	}
}
