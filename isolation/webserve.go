package isolation

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
)

// uploadsDir is the directory at each mount's root where uploads are
// staged until complete; webfs listings never show it.
const uploadsDir = ".webfs-uploads"

// webCall is one web operation being served inside the worker.
type webCall struct {
	sfs  *sessionFS
	req  WebRequest
	conn *net.UnixConn
	body *bufio.Reader // the request body sent by the daemon
	pipe *os.File      // a raw read's data pipe (see Worker.Web); may be nil
}

// serveWeb answers one web request (see opWeb); a raw read may come with a
// data pipe for its bytes.
func serveWeb(sfs *sessionFS, command string, f *os.File, extra ...*os.File) {
	conn, err := streamConn(f)
	if err != nil {
		closeFiles(extra)
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
	case WebStat:
		h = c.stat
	case WebInfo:
		h = c.info
	case WebRead:
		h = c.read
	case WebWrite:
		h = c.write
	case WebMkdir:
		h = c.mkdir
	case WebDelete:
		h = c.delete
	case WebCopy, WebMove:
		h = c.copyMove
	case WebRecursive:
		h = c.recursive
	case WebSearch:
		h = c.search
	case WebUsage:
		h = c.usage
	case WebArchive:
		h = c.archive
	case WebPreview:
		h = c.preview
	case WebTusCreate:
		h = c.tusCreate
	case WebTusHead:
		h = c.tusHead
	case WebTusPatch:
		h = c.tusPatch
	case WebTusDelete:
		h = c.tusDelete
	default:
		h = func() error { return fmt.Errorf("op %q: %w", c.req.Op, errWebBadRequest) }
	}
	if err := h(); err != nil {
		c.fail(err)
	}
}

// reply sends the answer line; payload (if any) follows it.
func (c *webCall) reply(r WebReply) error {
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
	_ = c.reply(WebReply{Status: errorStatus(err), Error: err.Error()})
}

// webPath is a resolved session path.
type webPath struct {
	m   *fsMount // nil: the virtual session root
	rel string   // relative to m.root, "." for the mount itself
	abs string   // cleaned session path
}

// resolveWeb resolves a session path for webfs. The daemon already refused
// "..", NUL and bad UTF-8; this cleans again and hides the upload area.
func (s *sessionFS) resolveWeb(p string, write bool) (webPath, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return webPath{}, fmt.Errorf("NUL in path: %w", errWebBadRequest)
	}
	abs := path.Clean("/" + p)
	var (
		m   *fsMount
		rel string
		err error
	)
	if write {
		if _, ok := s.mounts[strings.TrimPrefix(abs, "/")]; !ok && strings.Count(abs, "/") == 1 {
			return webPath{}, errVirtual // "/" holds only the mounts
		}
		m, rel, err = s.resolveWritable(abs)
	} else {
		m, rel, err = s.resolve(abs)
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
