package isolation

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// opWeb is the control request that carries one webfs file operation; its
// Command field holds the JSON of a WebRequest, and one stream socket goes
// with it. On that stream the daemon sends the request body (if any) and
// half-closes; the worker answers with one JSON line (a WebReply) followed
// by the payload, then closes.
const opWeb = "web"

// Web operations (WebRequest.Op).
const (
	WebStat      = "stat"      // Reply only: size, mtime, isDir of Path
	WebInfo      = "info"      // Filebrowser resource JSON: a listing or a file's info
	WebRead      = "read"      // raw bytes [Offset, Offset+Length) of a file
	WebWrite     = "write"     // body becomes Path (staged aside, renamed into place)
	WebMkdir     = "mkdir"     // mkdir -p Path
	WebDelete    = "delete"    // rm -r Path
	WebCopy      = "copy"      // copy Path to Dest
	WebMove      = "move"      // move Path to Dest
	WebRecursive = "recursive" // JSON array of every entry below Path
	WebSearch    = "search"    // NDJSON of entries below Path matching Query
	WebUsage     = "usage"     // {"total","used"} of Path's filesystem
	WebArchive   = "archive"   // Path (or Files within it) as Format
	WebPreview   = "preview"   // a JPEG of image Path, Format "thumb" or "big"
	WebTusCreate = "tus-create"
	WebTusHead   = "tus-head"
	WebTusPatch  = "tus-patch"
	WebTusDelete = "tus-delete"
)

// WebRequest is one file operation done inside the worker. Paths are
// session paths ("/<mount>/..."), resolved only inside the worker.
type WebRequest struct {
	Op       string   `json:"op"`
	Path     string   `json:"path"`
	Dest     string   `json:"dest,omitempty"`
	Offset   int64    `json:"offset,omitempty"`
	Length   int64    `json:"length,omitempty"`
	Override bool     `json:"override,omitempty"`
	Existing bool     `json:"existing,omitempty"` // write: the file must exist (PUT)
	Rename   bool     `json:"rename,omitempty"`   // copy/move: pick "name(N).ext" when Dest exists
	Checksum string   `json:"checksum,omitempty"` // info: md5, sha1, sha256 or sha512
	Content  bool     `json:"content,omitempty"`  // info: include a text file's content
	Query    string   `json:"query,omitempty"`    // search
	Files    []string `json:"files,omitempty"`    // archive: entries relative to Path
	Format   string   `json:"format,omitempty"`   // archive: zip, tar or targz; preview: thumb or big
	MaxAge   int64    `json:"maxAge,omitempty"`   // tus-create: seconds after which idle uploads are swept
}

// WebReply is the worker's answer line. Status is an HTTP status code.
type WebReply struct {
	Status  int       `json:"status"`
	Error   string    `json:"error,omitempty"`
	Size    int64     `json:"size,omitempty"`
	ModTime time.Time `json:"mtime"`
	IsDir   bool      `json:"isDir,omitempty"`
	Offset  int64     `json:"offset,omitempty"` // tus: bytes received so far
	Length  int64     `json:"length,omitempty"` // tus: Upload-Length
	Path    string    `json:"path,omitempty"`   // copy/move: where it landed
}

// Web runs one file operation in the worker. body, if non-nil, is sent
// first (uploads). The returned reader holds the payload; close it.
func (w *Worker) Web(ctx context.Context, req WebRequest, body io.Reader) (WebReply, io.ReadCloser, error) {
	cmd, err := json.Marshal(req)
	if err != nil {
		return WebReply{}, nil, fmt.Errorf("isolation: encode web request: %w", err)
	}
	local, remote, err := socketPair(unix.SOCK_STREAM)
	if err != nil {
		return WebReply{}, nil, err
	}
	files := []*os.File{remote}
	// A raw read's bytes come through a pipe: the worker splices file
	// pages into it without copying them, and reading it here is the one
	// copy, as when a web server reads a file itself.
	var pipeR *os.File
	if req.Op == WebRead {
		var pipeW *os.File
		if pipeR, pipeW, err = newDataPipe(); err != nil {
			local.Close()
			remote.Close()
			return WebReply{}, nil, err
		}
		files = append(files, pipeW)
	}
	err = w.send(request{Op: opWeb, Command: string(cmd)}, files...)
	closeFiles(files)
	if err != nil {
		local.Close()
		if pipeR != nil {
			pipeR.Close()
		}
		return WebReply{}, nil, err
	}
	conn, err := streamConn(local)
	if err != nil {
		return WebReply{}, nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	if body != nil {
		buf := make([]byte, 1<<20)
		// A write error means the worker answered early (an error): its
		// reply is still readable.
		_, _ = io.CopyBuffer(conn, body, buf)
	}
	_ = conn.CloseWrite()
	br := bufio.NewReaderSize(conn, 256<<10)
	line, err := br.ReadSlice('\n')
	if err != nil {
		stop()
		conn.Close()
		if pipeR != nil {
			pipeR.Close()
		}
		if ctx.Err() != nil {
			return WebReply{}, nil, ctx.Err()
		}
		return WebReply{}, nil, fmt.Errorf("isolation: web reply: %w: %w", ErrWorkerGone, err)
	}
	var rep WebReply
	if err := json.Unmarshal(line, &rep); err != nil {
		stop()
		conn.Close()
		if pipeR != nil {
			pipeR.Close()
		}
		return WebReply{}, nil, fmt.Errorf("isolation: decode web reply: %w", err)
	}
	if pipeR != nil {
		return rep, &webPayload{Reader: pipeR, conn: conn, pipe: pipeR, stop: stop}, nil
	}
	return rep, &webPayload{Reader: br, conn: conn, stop: stop}, nil
}

// dataPipeSize is the pipe buffer of a raw read (the kernel's default
// pipe-max-size is 1 MiB).
const dataPipeSize = 1 << 20

// newDataPipe makes a pipe for a raw read's bytes, with a large buffer so
// the worker can splice well ahead of the reader.
func newDataPipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("isolation: data pipe: %w", err)
	}
	_, _ = unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, dataPipeSize) // best effort
	return r, w, nil
}

// webPayload is the rest of a web stream after the reply line, or the
// data pipe of a raw read.
type webPayload struct {
	io.Reader
	conn *net.UnixConn
	pipe *os.File // nil unless a raw read
	stop func() bool
}

// Close ends the operation (the worker sees the stream close).
func (p *webPayload) Close() error {
	p.stop()
	if p.pipe != nil {
		p.pipe.Close()
	}
	return p.conn.Close()
}

// errorStatus maps a worker-side error to an HTTP status.
func errorStatus(err error) int {
	switch {
	case err == nil:
		return 200
	case errors.Is(err, errVirtual), errors.Is(err, errReadOnly), errors.Is(err, errWebForbidden):
		return 403
	case errors.Is(err, errWebBadRequest), errors.Is(err, errCrossDev), errors.Is(err, unix.EINVAL),
		errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.EISDIR), errors.Is(err, unix.ENAMETOOLONG), errors.Is(err, unix.ELOOP):
		return 400
	case errors.Is(err, unix.ENOENT), errors.Is(err, fs.ErrNotExist):
		return 404
	case errors.Is(err, unix.EEXIST), errors.Is(err, fs.ErrExist), errors.Is(err, unix.ENOTEMPTY), errors.Is(err, errWebConflict):
		return 409
	case errors.Is(err, errWebTooLarge):
		return 413
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM), errors.Is(err, unix.EROFS), errors.Is(err, fs.ErrPermission):
		return 403
	case strings.Contains(err.Error(), "path escapes from parent"):
		return 403 // a symlink leading out of its mount (os.Root refused it)
	case errors.Is(err, unix.ENOSPC), errors.Is(err, unix.EDQUOT):
		return 507
	}
	return 500
}

// Worker-side errors of web operations, mapped by errorStatus.
var (
	errWebForbidden  = errors.New("not allowed")
	errWebBadRequest = errors.New("bad request")
	errWebConflict   = errors.New("conflict")
	errWebTooLarge   = errors.New("more bytes than announced")
)
