package clientapi

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/storage-agent/storage-agent/proxy/storage"
)

// download serves a token's file (Range, If-Range, 416 through
// http.ServeContent, which sends it with sendfile on plain HTTP) or, with
// archive=true, a directory as a zip stream.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	claims, err := s.o.Signer.VerifyDownload(q.Get("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	archive, err := parseBool("archive", q.Get("archive"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noCache, err := parseBool("no_cache", q.Get("no_cache"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, f, err := s.openFolder(claims.Volume, claims.VFID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	// dst_dir comes first, as in Backend.AI; the joined path must still
	// resolve inside the folder.
	rel, err := storage.CleanRel(path.Join(q.Get("dst_dir"), claims.Relpath))
	if err == nil {
		var fi fs.FileInfo
		if fi, err = f.Root.Stat(rel); err == nil && fi.IsDir() {
			if !archive {
				s.fail(w, r, fmt.Errorf("%w: %s is a directory", storage.ErrNotRegular, claims.Relpath))
				return
			}
			s.zipStream(w, r, f, zipName(rel), []string{rel}, noCache)
			return
		}
	}
	if err != nil {
		s.fail(w, r, notFound(err))
		return
	}
	fd, fi, err := f.OpenRegular(rel)
	if err != nil {
		s.fail(w, r, notFound(err))
		return
	}
	defer fd.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", disposition(path.Base(rel)))
	h.Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().UnixNano(), fi.Size()))
	if noCache {
		h.Set("Cache-Control", "no-store")
	}
	http.ServeContent(w, r, "", fi.ModTime(), fd)
}

// downloadArchive zips the token's files.
func (s *Server) downloadArchive(w http.ResponseWriter, r *http.Request) {
	claims, err := s.o.Signer.VerifyArchive(r.URL.Query().Get("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, f, err := s.openFolder(claims.Volume, claims.VirtualFolderID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	rels := make([]string, 0, len(claims.Files))
	for _, file := range claims.Files {
		rel, err := storage.CleanRel(file)
		if err == nil {
			_, err = f.Root.Lstat(rel)
		}
		if err != nil {
			s.fail(w, r, notFound(err))
			return
		}
		rels = append(rels, rel)
	}
	name := claims.Filename
	if name == "" {
		name = "archive.zip"
	}
	s.zipStream(w, r, f, name, rels, false)
}

func zipName(rel string) string {
	if rel == "." {
		return "vfolder.zip"
	}
	return path.Base(rel) + ".zip"
}

// zipStream writes a deflated zip of rels (files and whole trees, empty
// directories kept) as it walks them: nothing is staged. Symlinks are
// left out, so an archive never holds bytes from outside the folder.
func (s *Server) zipStream(w http.ResponseWriter, r *http.Request, f *storage.Folder, name string, rels []string, noCache bool) {
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", disposition(name))
	if noCache {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(http.StatusOK)
	zw := zip.NewWriter(w)
	fsys := f.Root.FS()
	for _, rel := range rels {
		base := path.Dir(rel) // entry names are relative to the item's parent
		err := fs.WalkDir(fsys, rel, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := r.Context().Err(); err != nil {
				return err
			}
			entry := strings.TrimPrefix(p, base+"/")
			if base == "." {
				entry = p
			}
			if entry == "." {
				return nil
			}
			return addEntry(zw, fsys, p, entry, d)
		})
		if err != nil {
			// The status is sent; a cut stream is what tells the client.
			s.log.Warn("client API: zip stream cut", "folder", f.VFID.String(), "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	if err := zw.Close(); err != nil {
		s.log.Warn("client API: zip stream", "err", err)
	}
}

func addEntry(zw *zip.Writer, fsys fs.FS, p, entry string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	switch {
	case d.IsDir():
		hdr, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		hdr.Name = entry + "/"
		_, err = zw.CreateHeader(hdr)
		return err
	case !d.Type().IsRegular():
		return nil
	}
	hdr, err := zip.FileInfoHeader(info)
	if err != nil {
		return err
	}
	hdr.Name, hdr.Method = entry, zip.Deflate
	out, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	in, err := fsys.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(out, in)
	return err
}

// disposition is an attachment header with an ASCII fallback name and
// the exact UTF-8 name (RFC 6266).
func disposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment;filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name))
}
