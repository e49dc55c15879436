package storageapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/proxy/storage"
)

// maxMkdirPaths is Backend.AI's limit on one mkdir call.
const maxMkdirPaths = 50

type mkdirItem struct {
	Msg  *string `json:"msg"`
	Item string  `json:"item"`
}

// mkdir answers 200 when every path was made, 207 when some failed and
// 422 when all failed; an escaping path lands in failed, as in Backend.AI.
func (a *API) mkdir(c *gin.Context, p *params, _ *storage.Volume, f *storage.Folder) {
	if len(p.Relpath) == 0 || len(p.Relpath) > maxMkdirPaths {
		fail(c, badParam("relpath", "want 1..%d paths", maxMkdirPaths), nil)
		return
	}
	parents := p.Parents == nil || *p.Parents
	success, failed := []mkdirItem{}, []mkdirItem{}
	for _, rel := range p.Relpath {
		if err := f.Mkdir(rel, parents, p.ExistOK); err != nil {
			msg := err.Error()
			failed = append(failed, mkdirItem{Msg: &msg, Item: rel})
			continue
		}
		success = append(success, mkdirItem{Item: rel})
	}
	status := http.StatusOK
	switch {
	case len(success) == 0:
		status = http.StatusUnprocessableEntity
	case len(failed) > 0:
		status = http.StatusMultiStatus
	}
	ok(c, status, gin.H{"results": gin.H{"success": success, "failed": failed}})
}

// one returns the single relpath of p, required.
func one(p *params) (string, error) {
	if len(p.Relpath) != 1 {
		return "", badParam("relpath", "want one path")
	}
	return p.Relpath[0], nil
}

func (a *API) list(c *gin.Context, p *params, _ *storage.Volume, f *storage.Folder) {
	rel, err := one(p)
	if err != nil {
		fail(c, err, nil)
		return
	}
	items, err := f.List(rel, a.o.ScandirLimit)
	if err != nil {
		fail(c, err, []string{rel})
		return
	}
	ok(c, http.StatusOK, gin.H{"items": items})
}

func (a *API) rename(c *gin.Context, p *params, _ *storage.Volume, f *storage.Folder) {
	rel, err := one(p)
	if err == nil && p.NewName == nil {
		err = badParam("new_name", "required")
	}
	if err != nil {
		fail(c, err, nil)
		return
	}
	if err := f.Rename(rel, *p.NewName); err != nil {
		fail(c, err, []string{rel, *p.NewName})
		return
	}
	noContent(c)
}

func (a *API) move(c *gin.Context, p *params, _ *storage.Volume, f *storage.Folder) {
	if p.SrcRelpath == nil || p.DstRelpath == nil {
		fail(c, badParam("src_relpath", "src_relpath and dst_relpath are required"), nil)
		return
	}
	if err := f.Move(*p.SrcRelpath, *p.DstRelpath); err != nil {
		fail(c, err, []string{*p.SrcRelpath, *p.DstRelpath})
		return
	}
	noContent(c)
}

func (a *API) deleteFiles(c *gin.Context, p *params, _ *storage.Volume, f *storage.Folder) {
	if p.Relpaths == nil {
		fail(c, badParam("relpaths", "required"), nil)
		return
	}
	if err := f.Delete(p.Relpaths, p.Recursive); err != nil {
		fail(c, err, p.Relpaths)
		return
	}
	ok(c, http.StatusOK, gin.H{"status": "ok"})
}

// deleteFilesAsync checks the paths now and deletes them in the
// background.
func (a *API) deleteFilesAsync(c *gin.Context, p *params, vol *storage.Volume, f *storage.Folder) {
	if p.Relpaths == nil {
		fail(c, badParam("relpaths", "required"), nil)
		return
	}
	for _, rel := range p.Relpaths {
		if _, err := storage.CleanRel(rel); err != nil {
			fail(c, err, nil)
			return
		}
	}
	// The handler's folder closes when it returns; the task opens its own.
	v, rels, recursive := f.VFID, p.Relpaths, p.Recursive
	id := a.o.Tasks.Start("delete files", func(context.Context, func(float64, float64)) (string, error) {
		tf, err := vol.OpenFolder(v)
		if err != nil {
			return "", err
		}
		defer tf.Close()
		return "", tf.Delete(rels, recursive)
	})
	ok(c, http.StatusAccepted, gin.H{"bgtask_id": id})
}

// fetch answers a small file's bytes (model cards, READMEs).
func (a *API) fetch(c *gin.Context, p *params, _ *storage.Volume, f *storage.Folder) {
	rel, err := one(p)
	if err != nil {
		fail(c, err, nil)
		return
	}
	fd, fi, err := f.OpenRegular(rel)
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w: %s", errFileNotFound, rel)
	}
	if err != nil {
		fail(c, err, []string{rel})
		return
	}
	defer fd.Close()
	c.DataFromReader(http.StatusOK, fi.Size(), "application/octet-stream", io.LimitReader(fd, fi.Size()), nil)
}

// uploadToken creates the upload's staging file and mints its token.
func (a *API) uploadToken(c *gin.Context, p *params, vol *storage.Volume, f *storage.Folder) {
	rel, err := one(p)
	if err == nil {
		_, err = storage.CleanRel(rel)
	}
	switch {
	case err != nil:
	case p.Size == nil:
		err = badParam("size", "required")
	case *p.Size < 0 || int64(*p.Size) > a.o.MaxUploadSize:
		err = badParam("size", "want 0..%d bytes ([storage-proxy] max-upload-size)", a.o.MaxUploadSize)
	}
	if err != nil {
		fail(c, err, nil)
		return
	}
	session, err := vol.CreateUpload()
	if err != nil {
		fail(c, err, nil)
		return
	}
	tok, err := a.o.Signer.SignUpload(vol.Name, f.VFID.String(), rel, int64(*p.Size), session)
	if err != nil {
		fail(c, err, nil)
		return
	}
	ok(c, http.StatusOK, gin.H{"token": tok})
}

// downloadToken mints a download token. Unmanaged paths (host paths
// outside every volume) are refused: a token must stay inside a vfolder.
func (a *API) downloadToken(c *gin.Context, p *params, vol *storage.Volume, f *storage.Folder) {
	rel, err := one(p)
	if err == nil {
		_, err = storage.CleanRel(rel)
	}
	if err == nil && p.UnmanagedPath != nil && *p.UnmanagedPath != "" {
		err = badParam("unmanaged_path", "unmanaged paths are not served")
	}
	if err != nil {
		fail(c, err, nil)
		return
	}
	tok, err := a.o.Signer.SignDownload(vol.Name, f.VFID.String(), rel)
	if err != nil {
		fail(c, err, nil)
		return
	}
	ok(c, http.StatusOK, gin.H{"token": tok})
}

func (a *API) archiveToken(c *gin.Context) {
	p, good := body(c)
	if !good {
		return
	}
	vol, f, err := a.openFolder(p.Volume, p.VirtualFolderID)
	if err != nil {
		fail(c, err, nil)
		return
	}
	defer f.Close()
	if len(p.Files) == 0 {
		fail(c, badParam("files", "want at least one path"), nil)
		return
	}
	for _, rel := range p.Files {
		if _, err := storage.CleanRel(rel); err != nil {
			fail(c, err, nil)
			return
		}
	}
	name := ""
	if p.Filename != nil {
		name = *p.Filename
	}
	tok, err := a.o.Signer.SignArchive(vol.Name, f.VFID.String(), p.Files, name)
	if err != nil {
		fail(c, err, nil)
		return
	}
	ok(c, http.StatusOK, gin.H{"token": tok})
}
