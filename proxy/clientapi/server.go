// Package clientapi is the client-facing half of Backend.AI's storage
// proxy: users redeem the tokens the manager API minted to download a
// file or a zip of a folder (GET /download, /download-archive) and to
// upload with tus 1.0.0 (OPTIONS, HEAD, PATCH /upload). Every path from a
// token or the query (relpath, dst_dir, archive files) is resolved
// through os.Root on the token's vfolder.
package clientapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/storage-agent/storage-agent/isolation/batchio"
	"github.com/storage-agent/storage-agent/proxy/procs"
	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

// Options configure a Server.
type Options struct {
	Volumes       map[string]*storage.Volume
	Signer        *xfertoken.Signer
	MaxUploadSize int64
	Version       string
	Logger        *slog.Logger
	// Procs counts each request as a transfer in flight; nil: none.
	Procs *procs.Scaler
}

// Server serves the client API.
type Server struct {
	o       Options
	log     *slog.Logger
	handler http.Handler

	mu     sync.Mutex
	leases map[string]bool // guarded by mu: uploads with a PATCH in flight
}

// New returns the server.
func New(o Options) *Server {
	s := &Server{o: o, log: o.Logger, leases: map[string]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.cors(s.status))
	mux.HandleFunc("GET /download", s.cors(s.download))
	mux.HandleFunc("HEAD /download", s.cors(s.download))
	mux.HandleFunc("GET /download-archive", s.cors(s.downloadArchive))
	mux.HandleFunc("OPTIONS /{$}", s.cors(nil))
	mux.HandleFunc("OPTIONS /download", s.cors(nil))
	mux.HandleFunc("OPTIONS /download-archive", s.cors(nil))
	mux.HandleFunc("OPTIONS /upload", s.tus(s.uploadOptions))
	mux.HandleFunc("HEAD /upload", s.tus(s.uploadHead))
	mux.HandleFunc("PATCH /upload", s.tus(s.uploadPatch))
	s.handler = s.logRequests(mux)
	return s
}

// logRequests logs one line per request: never the query, which holds
// the token, nor any header or body.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer s.o.Procs.Begin()()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK, records: batchio.RecordConnOf(r.Context())}
		next.ServeHTTP(sw, r)
		s.log.Info("client API", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start), "remote", r.RemoteAddr)
	})
}

// statusWriter remembers the status a handler sent. It keeps ReadFrom, so
// http.ServeContent still reaches sendfile through it on plain HTTP.
type statusWriter struct {
	http.ResponseWriter
	status  int
	records *batchio.RecordConn // under the request's TLS; nil on plain HTTP
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// ReadFrom sends r as the body: by sendfile on plain HTTP; over TLS in
// chunks whose 16 KiB records leave in one write each (batchio.RecordConn),
// where crypto/tls alone makes a syscall per record.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.records == nil {
		return io.Copy(w.ResponseWriter, r)
	}
	return w.records.Relay(w, r, batchio.RecordChunk)
}

// Flush pushes what net/http buffered into the connection.
func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Handler returns the client API.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]string{
		"status": "ok", "type": "client-facing", "storage-proxy": s.o.Version,
	})
}

// exposed are the headers a browser script may read from a download.
const exposed = "Content-Disposition, Content-Length, Content-Range, Content-Type, Accept-Ranges, Last-Modified, ETag"

// cors adds what aiohttp_cors adds in Backend.AI (every origin, with
// credentials) and answers preflights; h nil serves only the preflight.
func (s *Server) cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Expose-Headers", exposed)
			w.Header().Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				w.Header().Set("Access-Control-Allow-Headers", req)
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		h(w, r)
	}
}

// Problem kinds of the client API.
var (
	errInvalidParams  = errors.New("invalid API parameters")
	errFileNotFound   = errors.New("file not found")
	errOffsetMismatch = errors.New("upload offset mismatch")
	errLeaseHeld      = errors.New("another PATCH of this upload is in progress")
	errTooLarge       = errors.New("more bytes than the upload's size")
	errContentType    = errors.New("want Content-Type: application/offset+octet-stream")
	errCut            = errors.New("upload chunk cut short")
)

type kind struct {
	err    error
	status int
	slug   string
	title  string
}

// kinds is read in order: a missing file wraps the reason it is missing.
var kinds = [...]kind{
	{errFileNotFound, http.StatusNotFound, "file-not-found", "File not found"},
	{errInvalidParams, http.StatusBadRequest, "invalid-api-params", "Invalid API parameters"},
	{xfertoken.ErrInvalid, http.StatusBadRequest, "invalid-api-params", "Invalid API parameters"},
	{storage.ErrInvalidSubpath, http.StatusBadRequest, "invalid-api-params", "Invalid API parameters"},
	{storage.ErrNotRegular, http.StatusBadRequest, "invalid-api-params", "The file is not a regular file."},
	{storage.ErrUploadNotFound, http.StatusNotFound, "tus-session-not-found", "Upload session not found"},
	{errOffsetMismatch, http.StatusConflict, "upload-offset-mismatch", "Upload offset mismatch"},
	{errLeaseHeld, http.StatusConflict, "tus-lease-held", "Upload in progress"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "upload-too-large", "Upload larger than announced"},
	{errContentType, http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"},
	{errCut, http.StatusBadRequest, "upload-cut", "Upload chunk cut short"},
}

// fail answers err as a problem document.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	k := kind{nil, http.StatusInternalServerError, "internal-error", "Internal server error"}
	for _, kk := range kinds {
		if errors.Is(err, kk.err) {
			k = kk
			break
		}
	}
	if k.err == nil {
		s.log.Error("client API", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, k.status, "application/problem+json", map[string]any{
		"type": "https://api.backend.ai/probs/storage/" + k.slug, "title": k.title, "status": k.status, "msg": err.Error(),
	})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// openFolder opens the token's vfolder.
func (s *Server) openFolder(volume, vfid string) (*storage.Volume, *storage.Folder, error) {
	vol, ok := s.o.Volumes[volume]
	if !ok {
		return nil, nil, fmt.Errorf("%w: unknown volume %q", errFileNotFound, volume)
	}
	v, err := storage.ParseVFID(vfid)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errInvalidParams, err)
	}
	f, err := vol.OpenFolder(v)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errFileNotFound, err)
	}
	return vol, f, nil
}

// notFound maps a missing or escaping path to 404, as Backend.AI answers
// both.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, storage.ErrInvalidSubpath) || storage.IsEscape(err) {
		return fmt.Errorf("%w: %w", errFileNotFound, err)
	}
	return err
}

// parseBool reads a query flag as trafaret's ToBool does.
func parseBool(key, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "0", "false", "f", "no", "n", "off":
		return false, nil
	case "1", "true", "t", "yes", "y", "on":
		return true, nil
	}
	return false, fmt.Errorf("%w: %s=%q is not a boolean", errInvalidParams, key, v)
}
