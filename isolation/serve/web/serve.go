package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// uploadsDir is the directory at each mount's root where uploads are
// staged until complete; webfs listings never show it.
const uploadsDir = ".webfs-uploads"

// webCall is one web operation being served inside the worker.
type webCall struct {
	sfs  *sessionFS
	req  webproto.WebRequest
	conn *net.UnixConn
	body *bufio.Reader // the request body sent by the daemon
	pipe *os.File      // a raw read's data pipe (see isolation.Worker.Web); may be nil
}

// sessionFS is the tree web operations run on; resolveWeb adds webfs's
// rules to it.
type sessionFS struct{ *sessionfs.FS }

// Serve answers one web request (a webproto.WebRequest in JSON) on the
// stream socket f; a raw read comes with a data pipe for its bytes in
// extra. It closes the files.
func Serve(tree *sessionfs.FS, command string, f *os.File, extra ...*os.File) {
	sfs := &sessionFS{tree}
	conn, err := unixsock.Conn(f)
	if err != nil {
		unixsock.CloseFiles(extra)
		return
	}
	defer conn.Close()
	c := &webCall{sfs: sfs, conn: conn}
	if len(extra) > 0 {
		c.pipe = extra[0]
		defer c.pipe.Close()
	}
	if err := json.Unmarshal([]byte(command), &c.req); err != nil {
		c.fail(fmt.Errorf("decode: %w: %w", errWebBadRequest, err))
		return
	}
	c.body = bufio.NewReaderSize(conn, 256<<10)
	var h func() error
	switch c.req.Op {
	case webproto.WebStat:
		h = c.stat
	case webproto.WebInfo:
		h = c.info
	case webproto.WebRead:
		h = c.read
	case webproto.WebWrite:
		h = c.write
	case webproto.WebMkdir:
		h = c.mkdir
	case webproto.WebDelete:
		h = c.delete
	case webproto.WebCopy, webproto.WebMove:
		h = c.copyMove
	case webproto.WebRecursive:
		h = c.recursive
	case webproto.WebSearch:
		h = c.search
	case webproto.WebUsage:
		h = c.usage
	case webproto.WebArchive:
		h = c.archive
	case webproto.WebPreview:
		h = c.preview
	case webproto.WebTusCreate:
		h = c.tusCreate
	case webproto.WebTusHead:
		h = c.tusHead
	case webproto.WebTusPatch:
		h = c.tusPatch
	case webproto.WebTusDelete:
		h = c.tusDelete
	default:
		h = func() error { return fmt.Errorf("op %q: %w", c.req.Op, errWebBadRequest) }
	}
	if err := h(); err != nil {
		c.fail(err)
	}
}

// reply sends the answer line; payload (if any) follows it.
func (c *webCall) reply(r webproto.WebReply) error {
	if r.Status == 0 {
		r.Status = 200
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = c.conn.Write(append(b, '\n'))
	return err
}

// fail answers with err's status; after a reply was sent this only ends
// the stream early (the daemon sees a short payload).
func (c *webCall) fail(err error) {
	_ = c.reply(webproto.WebReply{Status: errorStatus(err), Error: err.Error()})
}

// webPath is a resolved session path.
type webPath struct {
	m   *sessionfs.Mount // nil: the virtual session root
	rel string           // relative to m.root, "." for the mount itself
	abs string           // cleaned session path
}

// resolveWeb resolves a session path for webfs. The daemon already refused
// "..", NUL and bad UTF-8; this cleans again and hides the upload area.
func (s *sessionFS) resolveWeb(p string, write bool) (webPath, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return webPath{}, fmt.Errorf("NUL in path: %w", errWebBadRequest)
	}
	abs := path.Clean("/" + p)
	var (
		m   *sessionfs.Mount
		rel string
		err error
	)
	if write {
		if s.Mount(strings.TrimPrefix(abs, "/")) == nil && strings.Count(abs, "/") == 1 {
			return webPath{}, sessionfs.ErrVirtual // "/" holds only the mounts
		}
		m, rel, err = s.ResolveWritable(abs)
	} else {
		m, rel, err = s.Resolve(abs)
	}
	if err != nil {
		return webPath{}, err
	}
	if first, _, _ := strings.Cut(rel, "/"); first == uploadsDir {
		return webPath{}, &fs.PathError{Op: "resolve", Path: abs, Err: fs.ErrNotExist}
	}
	return webPath{m: m, rel: rel, abs: abs}, nil
}

// hidden reports whether a directory entry is webfs's own and not listed.
func hidden(dirRel, name string) bool { return dirRel == "." && name == uploadsDir }
