package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/webproto"
	"golang.org/x/sys/unix"
)

// A tus upload of <mount>/<rel> lives in the mount's upload area as
// t-<key>.part (the bytes so far) and t-<key>.json (its tusMeta), key
// being a hash of rel, and t-<key>.stripes if it is striped
// (tusstripes.go); it is renamed onto rel only when complete. State
// sits on disk, so it outlives a daemon restart, and idle uploads are
// swept when a new one starts.
type tusMeta struct {
	Path     string `json:"path"`
	Length   int64  `json:"length"`
	Override bool   `json:"override"`
	Stripes  int    `json:"stripes,omitempty"`
}

func tusKey(rel string) string {
	h := sha256.Sum256([]byte(rel))
	return "t-" + hex.EncodeToString(h[:16])
}

// tusOpen resolves Path and reads its upload's meta (ENOENT: none).
func (c *webCall) tusOpen(write bool) (webPath, string, tusMeta, error) {
	p, err := c.sfs.resolveWeb(c.req.Path, write)
	if err != nil {
		return p, "", tusMeta{}, err
	}
	if p.m == nil || p.rel == "." {
		return p, "", tusMeta{}, sessionfs.ErrVirtual
	}
	key := tusKey(p.rel)
	var meta tusMeta
	b, err := p.m.Root.ReadFile(path.Join(uploadsDir, key+".json"))
	if err == nil {
		err = json.Unmarshal(b, &meta)
	}
	if err == nil && meta.Path != p.rel {
		err = fmt.Errorf("upload state of another file: %w", fs.ErrNotExist)
	}
	// The upload area lies in the user's folder, where SFTP can write
	// too: state that tusCreate would not have written is not used.
	if err == nil && (meta.Length < 0 || meta.Stripes < 0 || meta.Stripes > 1 && !validStripes(meta.Length, meta.Stripes)) {
		err = fmt.Errorf("upload state of %s is damaged: %w", p.rel, fs.ErrNotExist)
	}
	return p, key, meta, err
}

// tusCreate starts (or restarts) an upload of Length bytes.
func (c *webCall) tusCreate() error {
	p, key, _, err := c.tusOpen(true)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if c.req.Length < 0 {
		return fmt.Errorf("negative Upload-Length: %w", errWebBadRequest)
	}
	striped := c.req.Stripes > 1
	if striped && !validStripes(c.req.Length, c.req.Stripes) {
		return fmt.Errorf("%d stripes of an upload of %d bytes (at most %d, none empty): %w", c.req.Stripes, c.req.Length, webproto.MaxStripes, errWebBadRequest)
	}
	if fi, err := p.m.Root.Lstat(p.rel); err == nil && (fi.IsDir() || !c.req.Override) {
		return &fs.PathError{Op: "create", Path: p.abs, Err: fs.ErrExist}
	}
	if c.req.MaxAge > 0 {
		sweepUploads(p.m, time.Duration(c.req.MaxAge)*time.Second)
	}
	f, err := stage(p.m, key+".part")
	if err != nil {
		return err
	}
	_ = p.m.Root.Remove(path.Join(uploadsDir, key+".stripes"))
	if striped {
		err = createStripes(f, p, key, c.req.Length, c.req.Stripes)
	}
	f.Close()
	if err != nil {
		_ = p.m.Root.Remove(path.Join(uploadsDir, key+".part"))
		return err
	}
	meta := tusMeta{Path: p.rel, Length: c.req.Length, Override: c.req.Override}
	if striped {
		meta.Stripes = c.req.Stripes
	}
	b, _ := json.Marshal(meta)
	if err := p.m.Root.WriteFile(path.Join(uploadsDir, key+".json"), b, 0o600); err != nil {
		return err
	}
	if c.req.Length == 0 {
		if err := c.tusFinish(p, key, c.req.Override); err != nil {
			return err
		}
	}
	return c.reply(webproto.WebReply{Status: 201, Length: c.req.Length})
}

// tusFinish renames a complete upload into place and forgets it.
func (c *webCall) tusFinish(p webPath, key string, override bool) error {
	err := place(p.m, key+".part", p.rel, override)
	if err != nil {
		_ = p.m.Root.Remove(path.Join(uploadsDir, key+".part"))
	}
	_ = p.m.Root.Remove(path.Join(uploadsDir, key+".json"))
	_ = p.m.Root.Remove(path.Join(uploadsDir, key+".stripes"))
	return err
}

// tusHead reports an active upload's offset and length.
func (c *webCall) tusHead() error {
	p, key, meta, err := c.tusOpen(false)
	if err != nil {
		return err
	}
	if meta.Stripes > 1 {
		return c.stripesHead(p, key, meta)
	}
	fi, err := p.m.Root.Lstat(path.Join(uploadsDir, key+".part"))
	if err != nil {
		return err
	}
	return c.reply(webproto.WebReply{Offset: fi.Size(), Length: meta.Length})
}

// tusPatch appends the body at Offset. Bytes beyond Upload-Length refuse
// the whole chunk (413) and keep nothing of it; a cut body keeps what
// arrived, for the client to resume from.
func (c *webCall) tusPatch() error {
	p, key, meta, err := c.tusOpen(true)
	if err != nil {
		return err
	}
	if meta.Stripes > 1 {
		return c.stripesPatch(p, key, meta)
	}
	f, err := p.m.Root.OpenFile(path.Join(uploadsDir, key+".part"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// One PATCH at a time per upload: after a client's connection drops,
	// its PATCH may still be draining here when the client resumes; two
	// writers would interleave their bytes. The later one gets 409 and
	// asks for the offset again.
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return c.reply(webproto.WebReply{Status: 409, Error: "another PATCH of this upload is running", Length: meta.Length})
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	start := fi.Size()
	if c.req.Offset != start {
		f.Close()
		return c.reply(webproto.WebReply{Status: 409, Error: "Upload-Offset mismatch", Offset: start, Length: meta.Length})
	}
	n, err := c.receiveChunk(f, start, meta.Length)
	if err != nil {
		_ = f.Truncate(start)
		return err
	}
	// Closing releases the lock before the client hears back and sends
	// its next PATCH.
	if err := f.Close(); err != nil {
		return err
	}
	if start+n == meta.Length {
		if err := c.tusFinish(p, key, meta.Override); err != nil {
			return err
		}
	}
	return c.reply(webproto.WebReply{Offset: start + n, Length: meta.Length})
}

// receiveChunk writes a PATCH's body into f from at, up to end. Bytes
// past end refuse the chunk (errWebTooLarge), and so does a disk that
// refuses (full, quota): either way the caller keeps nothing of it. A cut
// body is not an error: what arrived stays, for the client to resume from.
func (c *webCall) receiveChunk(f *os.File, at, end int64) (int64, error) {
	n, err := io.CopyBuffer(io.NewOffsetWriter(f, at), io.LimitReader(c.body, end-at), make([]byte, 1<<20))
	if err == nil && at+n == end {
		var one [1]byte
		if extra, _ := c.body.Read(one[:]); extra > 0 {
			return n, fmt.Errorf("bytes past offset %d: %w", end, errWebTooLarge)
		}
	}
	if err != nil && errorStatus(err) != 500 {
		return n, err
	}
	return n, nil
}

// tusDelete drops an upload and its bytes.
func (c *webCall) tusDelete() error {
	p, key, _, err := c.tusOpen(true)
	if err != nil {
		return err
	}
	_ = p.m.Root.Remove(path.Join(uploadsDir, key+".part"))
	_ = p.m.Root.Remove(path.Join(uploadsDir, key+".stripes"))
	if err := p.m.Root.Remove(path.Join(uploadsDir, key+".json")); err != nil {
		return err
	}
	return c.reply(webproto.WebReply{Status: 204})
}

// sweepUploads removes staged files of uploads idle for longer than
// maxAge; an upload is idle when none of its files changed recently.
func sweepUploads(m *sessionfs.Mount, maxAge time.Duration) {
	d, err := m.Root.Open(uploadsDir)
	if err != nil {
		return
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return
	}
	newest := make(map[string]int64)
	for _, n := range names {
		var st unix.Stat_t
		if unix.Fstatat(int(d.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		key := uploadKey(n)
		newest[key] = max(newest[key], st.Mtim.Sec)
	}
	cutoff := time.Now().Add(-maxAge).Unix()
	for _, n := range names {
		key := uploadKey(n)
		if t, ok := newest[key]; ok && t < cutoff {
			_ = unix.Unlinkat(int(d.Fd()), n, 0)
		}
	}
}

// uploadKey is the upload a staged file belongs to.
func uploadKey(name string) string {
	for _, ext := range []string{".part", ".json", ".stripes"} {
		if k, ok := strings.CutSuffix(name, ext); ok {
			return k
		}
	}
	return name
}
