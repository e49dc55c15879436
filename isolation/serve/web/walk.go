package web

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// walkEntry is one entry of the recursive listing.
type walkEntry struct {
	Path     string    `json:"path"`
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	IsDir    bool      `json:"isDir"`
}

// walk visits every entry below p (not p itself), directories before
// their contents, symlinks not followed; fn gets the entry's path
// relative to p. Unreadable directories are skipped.
func walk(p webPath, fn func(rel string, d fs.DirEntry) error) error {
	return fs.WalkDir(p.m.Root.FS(), p.rel, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && name != p.rel {
				return fs.SkipDir
			}
			return err
		}
		if name == p.rel {
			return nil
		}
		rel := name
		if p.rel != "." {
			rel = strings.TrimPrefix(name, p.rel+"/")
		}
		if hidden(path.Dir(name), d.Name()) {
			return fs.SkipDir
		}
		return fn(rel, d)
	})
}

// recursive streams a JSON array of every entry below Path.
func (c *webCall) recursive() error {
	p, err := c.sfs.resolveWeb(c.req.Path, false)
	if err != nil {
		return err
	}
	if p.m == nil {
		return sessionfs.ErrVirtual
	}
	f, err := openDir(p)
	if err != nil {
		return err
	}
	f.Close()
	if err := c.reply(webproto.WebReply{}); err != nil {
		return nil
	}
	w := bufio.NewWriterSize(c.conn, 256<<10)
	defer w.Flush()
	w.WriteByte('[')
	n := 0
	_ = walk(p, func(rel string, d fs.DirEntry) error {
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if n > 0 {
			w.WriteByte(',')
		}
		n++
		b, _ := json.Marshal(walkEntry{Path: path.Join(p.abs, rel), Name: d.Name(), Size: fi.Size(), Modified: fi.ModTime(), IsDir: d.IsDir()})
		_, err = w.Write(b)
		return err
	})
	w.WriteByte(']')
	return nil
}

// searchQuery is Filebrowser's query syntax: space-separated terms (any
// matches the base name), "quoted" terms, case:sensitive, type:X.
type searchQuery struct {
	terms     []string
	sensitive bool
	kind      string
}

func parseSearch(q string) searchQuery {
	var s searchQuery
	for len(q) > 0 {
		q = strings.TrimLeft(q, " ")
		if q == "" {
			break
		}
		var tok string
		if q[0] == '"' {
			end := strings.IndexByte(q[1:], '"')
			if end < 0 {
				tok, q = q[1:], ""
			} else {
				tok, q = q[1:end+1], q[end+2:]
			}
			if tok != "" {
				s.terms = append(s.terms, tok)
			}
			continue
		}
		tok, q, _ = strings.Cut(q, " ")
		switch {
		case tok == "case:sensitive":
			s.sensitive = true
		case strings.HasPrefix(tok, "type:"):
			s.kind = strings.ToLower(strings.TrimPrefix(tok, "type:"))
		default:
			s.terms = append(s.terms, tok)
		}
	}
	if !s.sensitive {
		for i, t := range s.terms {
			s.terms[i] = strings.ToLower(t)
		}
	}
	return s
}

func (s searchQuery) match(name string, dir bool) bool {
	if s.kind != "" {
		if dir {
			return false
		}
		switch s.kind {
		case "image", "audio", "video", "pdf", "text":
			if webproto.WebFileType(name) != s.kind {
				return false
			}
		default:
			if !strings.EqualFold(strings.TrimPrefix(path.Ext(name), "."), s.kind) {
				return false
			}
		}
	}
	if len(s.terms) == 0 {
		return s.kind != ""
	}
	if !s.sensitive {
		name = strings.ToLower(name)
	}
	for _, t := range s.terms {
		if strings.Contains(name, t) {
			return true
		}
	}
	return false
}

// search streams one NDJSON line per matching entry below Path.
func (c *webCall) search() error {
	p, err := c.sfs.resolveWeb(c.req.Path, false)
	if err != nil {
		return err
	}
	q := parseSearch(c.req.Query)
	if err := c.reply(webproto.WebReply{}); err != nil {
		return nil
	}
	w := bufio.NewWriterSize(c.conn, 64<<10)
	defer w.Flush()
	emit := func(rel string, d fs.DirEntry) error {
		if !q.match(d.Name(), d.IsDir()) {
			return nil
		}
		b, _ := json.Marshal(struct {
			Dir  bool   `json:"dir"`
			Path string `json:"path"`
		}{d.IsDir(), rel})
		w.Write(b)
		return w.WriteByte('\n')
	}
	if p.m != nil {
		_ = walk(p, emit)
		return nil
	}
	for _, name := range c.sfs.Names() { // the session root: search every mount
		mp := webPath{m: c.sfs.Mount(name), rel: ".", abs: "/" + name}
		if err := walk(mp, func(rel string, d fs.DirEntry) error { return emit(path.Join(name, rel), d) }); err != nil {
			return nil
		}
	}
	return nil
}
