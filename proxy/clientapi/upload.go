package clientapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"syscall"

	"github.com/storage-agent/storage-agent/isolation/serve/writebehind"
	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

// chunkWindow is how much of a PATCH body is written before its writeback
// starts. aiotusclient sends 10 MiB chunks and waits for each answer, and
// the answer waits for fsync: with small windows the disk writes the chunk
// while it arrives.
const chunkWindow = 1 << 20

// tusHeaders are the headers a browser may send and read on /upload.
const tusHeaders = "Tus-Resumable, Upload-Length, Upload-Metadata, Upload-Offset, Content-Type"

// tus adds the headers Backend.AI's /upload sends on every answer: tus
// clients in browsers (tus-js-client) need CORS on each of them.
func (s *Server) tus(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Headers", tusHeaders)
		hd.Set("Access-Control-Expose-Headers", tusHeaders)
		hd.Set("Access-Control-Allow-Methods", "*")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Tus-Resumable", "1.0.0")
		h(w, r)
	}
}

func (s *Server) uploadOptions(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Tus-Version", "1.0.0")
	w.Header().Set("Tus-Max-Size", strconv.FormatInt(s.o.MaxUploadSize, 10))
	w.WriteHeader(http.StatusOK)
}

// upload is a verified upload request.
type upload struct {
	claims *xfertoken.Upload
	vol    *storage.Volume
	rel    string // dst_dir joined with the token's relpath, contained
}

func (s *Server) verifyUpload(r *http.Request) (*upload, error) {
	q := r.URL.Query()
	c, err := s.o.Signer.VerifyUpload(q.Get("token"))
	if err != nil {
		return nil, err
	}
	vol, ok := s.o.Volumes[c.Volume]
	if !ok {
		return nil, fmt.Errorf("%w: unknown volume %q", errInvalidParams, c.Volume)
	}
	// Unlike Backend.AI, dst_dir (a query parameter the user controls)
	// must keep the upload inside the folder.
	rel, err := storage.CleanRel(path.Join(q.Get("dst_dir"), c.Relpath))
	if err != nil {
		return nil, err
	}
	return &upload{claims: c, vol: vol, rel: rel}, nil
}

func (s *Server) uploadHead(w http.ResponseWriter, r *http.Request) {
	u, err := s.verifyUpload(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := u.vol.OpenUpload(u.claims.Session)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Upload-Offset", strconv.FormatInt(fi.Size(), 10))
	h.Set("Upload-Length", strconv.FormatInt(u.claims.Size, 10))
	w.WriteHeader(http.StatusOK)
}

// lease marks session as having a PATCH in flight; false if one is.
func (s *Server) lease(session string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leases[session] {
		return false
	}
	s.leases[session] = true
	return true
}

func (s *Server) release(session string) {
	s.mu.Lock()
	delete(s.leases, session)
	s.mu.Unlock()
}

// uploadPatch appends one chunk. The staging file's size is the offset:
// a chunk is fsync'd before the offset it reaches is reported, a cut or
// refused chunk is truncated away, and the file is renamed into the
// folder only once it holds exactly the announced size.
func (s *Server) uploadPatch(w http.ResponseWriter, r *http.Request) {
	u, err := s.verifyUpload(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offset, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		s.fail(w, r, fmt.Errorf("%w: Upload-Offset %q", errInvalidParams, r.Header.Get("Upload-Offset")))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/offset+octet-stream" {
		s.fail(w, r, errContentType)
		return
	}
	session := u.claims.Session
	if !s.lease(session) {
		s.fail(w, r, errLeaseHeld)
		return
	}
	defer s.release(session)
	f, err := u.vol.OpenUpload(session)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	end, err := s.appendChunk(f, r.Body, offset, u.claims.Size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if end == u.claims.Size {
		if err := s.commit(u); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(end, 10))
	w.WriteHeader(http.StatusNoContent)
}

// appendChunk writes body at offset (which must be the staging file's
// size) up to size bytes and returns the new offset.
func (s *Server) appendChunk(f *os.File, body io.Reader, offset, size int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() != offset {
		return 0, fmt.Errorf("%w: Upload-Offset %d, the upload is at %d", errOffsetMismatch, offset, fi.Size())
	}
	// One byte more than may come tells "exactly the size" from "past it".
	src := &cutDetector{r: io.LimitReader(body, size-offset+1)}
	// The chunk goes to disk while it arrives, so the fsync below waits
	// for its last window only, not for the whole chunk.
	n, err := io.Copy(io.NewOffsetWriter(writebehind.NewAt(f, offset, chunkWindow), offset), src)
	if src.err != nil {
		err = fmt.Errorf("%w: %w", errCut, src.err)
	}
	if err == nil && offset+n > size {
		err = fmt.Errorf("%w: %d bytes announced", errTooLarge, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		// Nothing of a refused or cut chunk counts: the client resends it.
		if terr := f.Truncate(offset); terr != nil {
			s.log.Error("client API: cannot truncate a cut upload", "err", terr)
		}
		return 0, err
	}
	return offset + n, nil
}

// commit moves the complete upload into its folder.
func (s *Server) commit(u *upload) error {
	v, err := storage.ParseVFID(u.claims.VFID)
	if err != nil {
		return fmt.Errorf("%w: %w", errInvalidParams, err)
	}
	f, err := u.vol.OpenFolder(v)
	if err != nil {
		return fmt.Errorf("%w: %w", errFileNotFound, err)
	}
	defer f.Close()
	err = u.vol.CommitUpload(u.claims.Session, f, u.rel)
	switch {
	case err == nil:
		return nil
	case storage.IsEscape(err):
		return errors.Join(storage.ErrInvalidSubpath, err)
	case errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EEXIST):
		return fmt.Errorf("%w: %w", errInvalidParams, err)
	}
	return err
}

// cutDetector remembers a read error of the request body, so a client
// that hangs up mid-chunk is told apart from a failing disk.
type cutDetector struct {
	r   io.Reader
	err error
}

func (c *cutDetector) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}
