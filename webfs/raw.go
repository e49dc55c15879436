package webfs

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/isolation/batchio"
	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// archive formats webfs builds: ?algo= value -> format, extension, type.
var archiveFormats = map[string][3]string{
	"":      {"zip", "zip", "application/zip"},
	"true":  {"zip", "zip", "application/zip"},
	"zip":   {"zip", "zip", "application/zip"},
	"tar":   {"tar", "tar", "application/x-tar"},
	"targz": {"targz", "tar.gz", "application/gzip"},
	// The other formats of Filebrowser's download prompt.
	"tarbz2": {"tarbz2", "tar.bz2", "application/x-bzip2"},
	"tarxz":  {"tarxz", "tar.xz", "application/x-xz"},
	"tarlz4": {"tarlz4", "tar.lz4", "application/x-lz4"},
	"tarsz":  {"tarsz", "tar.sz", "application/x-snappy-framed"},
	"tarbr":  {"tarbr", "tar.br", "application/x-brotli"},
	"tarzst": {"tarzst", "tar.zst", "application/zstd"},
}

// raw answers GET/HEAD /api/raw/{path}: a file's bytes (Range,
// If-Modified-Since, inline) or a directory as a streamed archive.
func (s *Server) raw(c *gin.Context) {
	p, ok := userPath(c)
	if !ok {
		return
	}
	st, ok := s.run(c, webproto.WebRequest{Op: webproto.WebStat, Path: p}, nil)
	if !ok {
		return
	}
	if st.IsDir {
		s.rawArchive(c, p)
		return
	}
	name := path.Base(p)
	h := c.Writer.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("Last-Modified", st.ModTime.UTC().Format(http.TimeFormat))
	if ims, err := http.ParseTime(c.GetHeader("If-Modified-Since")); err == nil && !st.ModTime.Truncate(time.Second).After(ims) {
		c.Status(http.StatusNotModified)
		return
	}
	disposition := "attachment"
	h.Set("Content-Type", "application/octet-stream")
	if c.Query("inline") == "true" {
		disposition = "inline"
		h.Set("Content-Type", webproto.WebContentType(name))
		h.Set("Content-Security-Policy", rawCSP)
	}
	h.Set("Content-Disposition", disposition+"; filename*=utf-8''"+url.PathEscape(name))
	off, n, status := int64(0), st.Size, http.StatusOK
	if rg := c.GetHeader("Range"); rg != "" {
		var ok bool
		if off, n, ok = parseRange(rg, st.Size); !ok {
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", st.Size))
			fail(c, http.StatusRequestedRangeNotSatisfiable)
			return
		}
		if n != st.Size {
			status = http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, st.Size))
		}
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	if c.Request.Method == http.MethodHead {
		c.Status(status)
		return
	}
	_, payload, ok := s.do(c, webproto.WebRequest{Op: webproto.WebRead, Path: p, Offset: off, Length: n}, nil)
	if !ok {
		return
	}
	defer payload.Close()
	c.Status(status)
	if n >= corkThreshold {
		uncork := cork(c.Request.Context())
		defer func() {
			c.Writer.Flush() // the last bytes into the socket, then send them
			uncork()
		}()
	}
	relayBatched(c.Writer, payload, batchio.RecordConnOf(c.Request.Context()), downloadReadSize(c))
}

// relayBatched copies a download's body like relay, holding the connection
// while each chunk goes through TLS, so that its 16 records leave in one
// write instead of 16 (batchio.RecordConn). Measured: see BENCH.md.
func relayBatched(w gin.ResponseWriter, r io.Reader, b *batchio.RecordConn, readSize int) {
	if b == nil {
		relay(w, r)
		return
	}
	_, _ = b.Relay(w, r, readSize)
}

// parseRange parses one "bytes=" range against size; several ranges are
// answered with the whole file (allowed by RFC 9110). ok=false: 416.
func parseRange(h string, size int64) (off, n int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found {
		return 0, size, true // unknown unit: ignore the header
	}
	if strings.Contains(spec, ",") {
		return 0, size, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	if first == "" { // suffix: the last N bytes
		k, err := strconv.ParseInt(last, 10, 64)
		if err != nil || k <= 0 || size == 0 {
			return 0, 0, false
		}
		k = min(k, size)
		return size - k, k, true
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 || a >= size {
		return 0, 0, false
	}
	b := size - 1
	if last != "" {
		if b, err = strconv.ParseInt(last, 10, 64); err != nil || b < a {
			return 0, 0, false
		}
		b = min(b, size-1)
	}
	return a, b - a + 1, true
}

// rawArchive streams a directory (or ?files= within it) as an archive.
func (s *Server) rawArchive(c *gin.Context, dir string) {
	f, known := archiveFormats[c.Query("algo")]
	if !known {
		fail(c, http.StatusBadRequest)
		return
	}
	var files []string
	if sel := c.Query("files"); sel != "" {
		for _, e := range strings.Split(sel, ",") {
			e, err := url.PathUnescape(e)
			if err == nil {
				e, err = cleanPath(e)
			}
			if err != nil || e == "/" {
				fail(c, http.StatusBadRequest)
				return
			}
			files = append(files, strings.TrimPrefix(e, "/"))
		}
	}
	base := path.Base(dir)
	if dir == "/" {
		base = "files"
	}
	c.Header("Content-Disposition", "attachment; filename*=utf-8''"+url.PathEscape(base+"."+f[1]))
	if c.Request.Method == http.MethodHead {
		c.Header("Content-Type", f[2])
		c.Status(http.StatusOK)
		return
	}
	s.stream(c, webproto.WebRequest{Op: webproto.WebArchive, Path: dir, Files: files, Format: f[0]}, f[2])
}
