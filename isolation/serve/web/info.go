package web

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"time"
	"unicode/utf8"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/webproto"
	"golang.org/x/sys/unix"
)

// sniffLen is how much of a file decides whether it is text (as
// Filebrowser, and http.DetectContentType, look at).
const sniffLen = 512

// maxWebContent bounds the text content put into a file's info.
const maxWebContent = 5 << 20

// webItem is Filebrowser's file object.
type webItem struct {
	Path      string            `json:"path"`
	Name      string            `json:"name"`
	Size      int64             `json:"size"`
	Extension string            `json:"extension"`
	Modified  time.Time         `json:"modified"`
	Mode      fs.FileMode       `json:"mode"`
	IsDir     bool              `json:"isDir"`
	IsSymlink bool              `json:"isSymlink"`
	Type      string            `json:"type"`
	Content   *string           `json:"content,omitempty"`
	Checksums map[string]string `json:"checksums,omitempty"`
}

// newWebItem describes name at session path p from its lstat info; for a
// symlink the target (confined to the mount) gives size and kind.
func newWebItem(m *sessionfs.Mount, rel, abs string, fi fs.FileInfo) webItem {
	it := webItem{Path: abs, Name: path.Base(abs), Size: fi.Size(), Modified: fi.ModTime(), Mode: fi.Mode(), IsDir: fi.IsDir()}
	if abs == "/" {
		it.Name = ""
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		it.IsSymlink = true
		t, err := m.Root.Stat(rel)
		if err != nil {
			it.Type = "invalid_link"
			return it
		}
		it.Size, it.IsDir = t.Size(), t.IsDir()
	}
	if it.IsDir {
		it.Size = 0
		if it.Type == "" {
			it.Type = ""
		}
		return it
	}
	it.Extension = path.Ext(it.Name)
	it.Type = webproto.WebFileType(it.Name)
	return it
}

// info answers GET /api/resources: a directory's listing, streamed entry
// by entry, or a file's info.
func (c *webCall) info() error {
	p, err := c.sfs.resolveWeb(c.req.Path, false)
	if err != nil {
		return err
	}
	if p.m == nil {
		return c.listRoot()
	}
	fi, err := p.m.Root.Lstat(p.rel)
	if err != nil {
		return err
	}
	it := newWebItem(p.m, p.rel, p.abs, fi)
	if p.rel == "." {
		it.Name = p.m.Name
	}
	if it.IsDir {
		if c.req.Checksum != "" {
			return fmt.Errorf("checksum of a directory: %w", errWebBadRequest)
		}
		return c.listDir(p, it)
	}
	if c.req.Checksum != "" {
		sum, err := checksum(p, c.req.Checksum)
		if err != nil {
			return err
		}
		it.Checksums = map[string]string{c.req.Checksum: sum}
	}
	it.Type = singleFileType(p, it)
	if c.req.Content && it.Type == "text" {
		b, err := p.m.Root.ReadFile(p.rel)
		if err == nil {
			s := string(b)
			it.Content = &s
		}
	}
	if err := c.reply(webproto.WebReply{}); err != nil {
		return nil
	}
	_ = json.NewEncoder(c.conn).Encode(it)
	return nil
}

// singleFileType refines the type of one file's info, as Filebrowser's
// frontend expects: a name webfs does not know (results.out) is text when
// its first 512 bytes are; a text file too big to carry its content is a
// blob, so that no editor opens it empty and saves over it. Listings keep
// deciding by extension: sniffing every file would make big folders slow.
func singleFileType(p webPath, it webItem) string {
	if it.Type == "text" && it.Size > maxWebContent {
		return "blob"
	}
	// Only regular files: opening a FIFO would wait for a writer forever.
	if it.Type != "blob" || !it.Mode.IsRegular() || it.Size == 0 || it.Size > maxWebContent {
		return it.Type
	}
	f, err := p.m.Root.Open(p.rel)
	if err != nil {
		return it.Type
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, _ := io.ReadFull(f, head)
	if looksText(head[:n]) {
		return "text"
	}
	return it.Type
}

// looksText: no control bytes but whitespace (and ESC), and valid UTF-8;
// a rune cut by the end of a full sample still counts.
func looksText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b {
			return false
		}
	}
	for cut := 0; cut < utf8.UTFMax && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return cut == 0 || len(b) == sniffLen
		}
	}
	return false
}

func checksum(p webPath, algo string) (string, error) {
	var h hash.Hash
	switch algo {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return "", fmt.Errorf("checksum %q: %w", algo, errWebBadRequest)
	}
	f, err := p.m.Root.Open(p.rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.CopyBuffer(h, f, make([]byte, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// listingWriter writes a directory object: head fields, items, counts.
type listingWriter struct {
	w               *bufio.Writer
	n               int
	numDirs, nFiles int
}

func (c *webCall) startListing(dir webItem) (*listingWriter, error) {
	if err := c.reply(webproto.WebReply{}); err != nil {
		return nil, err
	}
	lw := &listingWriter{w: bufio.NewWriterSize(c.conn, 256<<10)}
	head, _ := json.Marshal(dir)
	lw.w.Write(head[:len(head)-1])
	by := c.req.Sort
	if by != "size" && by != "modified" {
		by = "name"
	}
	fmt.Fprintf(lw.w, `,"sorting":{"by":%q,"asc":%t},"items":[`, by, c.req.Asc)
	return lw, nil
}

func (lw *listingWriter) add(it webItem) {
	if lw.n > 0 {
		lw.w.WriteByte(',')
	}
	lw.n++
	if it.IsDir {
		lw.numDirs++
	} else {
		lw.nFiles++
	}
	b, _ := json.Marshal(it)
	lw.w.Write(b)
}

func (lw *listingWriter) finish() {
	fmt.Fprintf(lw.w, `],"numDirs":%d,"numFiles":%d}`, lw.numDirs, lw.nFiles)
	_ = lw.w.Flush()
}

// listDir writes a directory's entries in the order the request asks
// (see sortOrder). Each entry is lstat'ed relative to the open directory;
// the entries are held (not their JSON) until sorted, since any order but
// by name needs every entry's size or time first.
func (c *webCall) listDir(p webPath, dir webItem) error {
	f, err := openDir(p)
	if err != nil {
		return err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	items := make([]webItem, 0, len(names))
	for _, name := range names {
		if hidden(p.rel, name) {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(int(f.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue // removed since readdir
		}
		items = append(items, newWebItem(p.m, path.Join(p.rel, name), path.Join(p.abs, name), sessionfs.StatInfo(name, &st)))
	}
	c.writeListing(dir, items)
	return nil
}

// writeListing writes the listing of items in the order the request asks.
func (c *webCall) writeListing(dir webItem, items []webItem) {
	order := sortOrder(items, c.req.Sort, c.req.Asc)
	lw, err := c.startListing(dir)
	if err != nil {
		return
	}
	for _, i := range order {
		lw.add(items[i])
	}
	lw.finish()
}

// listRoot lists the virtual session root: one directory per mount.
func (c *webCall) listRoot() error {
	var items []webItem
	for _, name := range c.sfs.Names() {
		m := c.sfs.Mount(name)
		fi, err := m.Root.Stat(".")
		if err != nil {
			continue
		}
		items = append(items, newWebItem(m, ".", "/"+name, fi))
	}
	c.writeListing(webItem{Path: "/", Mode: fs.ModeDir | 0o555, IsDir: true, Modified: time.Now()}, items)
	return nil
}
