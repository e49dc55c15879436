package storageapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/storage"
)

// defaultMode is Backend.AI's mode for new vfolders.
const defaultMode = 0o755

// createFolder makes a vfolder (and its quota scope, when allowed). An
// existing folder is 204 too: the manager always sends a fresh uuid, and
// "ensure" is useful to scripts.
func (a *API) createFolder(c *gin.Context) {
	p, vol, good := a.volumeRoute(c)
	if !good {
		return
	}
	v, err := storage.ParseVFID(p.VFID)
	switch {
	case p.VFID == "":
		err = badParam("vfid", "required")
	case err != nil:
		err = badParam("vfid", "%v", err)
	case !v.HasScope():
		err = badParam("vfid", "a legacy vfid without quota scope cannot be created")
	}
	mode := fs.FileMode(defaultMode)
	if err == nil && p.Mode != nil {
		if *p.Mode < 0 || *p.Mode > 0o777 {
			err = badParam("mode", "want permission bits 0..0777 (decimal 0..511)")
		}
		mode = fs.FileMode(*p.Mode)
	}
	if err == nil && len(p.Options) > 0 && string(p.Options) != "null" {
		var o struct {
			InitialMax *int64 `json:"initial_max_size_for_quota_scope"`
		}
		if jerr := json.Unmarshal(p.Options, &o); jerr != nil {
			err = badParam("options", "%v", jerr)
		}
	}
	if err != nil {
		fail(c, err, nil)
		return
	}
	created, err := vol.CreateFolder(v, storage.CreateOptions{UID: a.o.UID, GID: a.o.GID, Mode: mode, AutoScope: a.o.AutoScope})
	if err != nil {
		fail(c, err, nil)
		return
	}
	if created {
		a.log.Info("vfolder created", "volume", vol.Name, "vfid", v.String())
	}
	noContent(c)
}

// vfidRoute decodes {volume, vfid} for routes that may find the folder
// missing.
func (a *API) vfidRoute(c *gin.Context) (*params, *storage.Volume, storage.VFID, bool) {
	p, vol, good := a.volumeRoute(c)
	if !good {
		return nil, nil, storage.VFID{}, false
	}
	v, err := storage.ParseVFID(p.VFID)
	if err != nil {
		fail(c, badParam("vfid", "%v", err), nil)
		return nil, nil, storage.VFID{}, false
	}
	return p, vol, v, true
}

// deleteFolder closes the sessions that mount the folder, moves it out of
// sight at once and purges it in the background; the manager hears
// vfolder_deletion_success (or _failure) when the purge ends.
func (a *API) deleteFolder(c *gin.Context) {
	_, vol, v, good := a.vfidRoute(c)
	if !good {
		return
	}
	a.o.BeforeDelete(c.Request.Context(), vol.Name, v)
	trashed, err := vol.Trash(v)
	if err != nil {
		fail(c, err, nil)
		return
	}
	a.log.Info("vfolder deleted, purging", "volume", vol.Name, "vfid", v.String())
	ok(c, http.StatusAccepted, gin.H{"bgtask_id": a.purge(vol, trashed, v)})
}

// purge removes a trashed folder in the background and tells the manager.
func (a *API) purge(vol *storage.Volume, trashed string, v storage.VFID) string {
	return a.o.Tasks.Start("delete vfolder", func(ctx context.Context, _ func(float64, float64)) (string, error) {
		if err := vol.Purge(trashed); err != nil {
			a.anycast(ctx, events.VFolderDeletionFailure(v.String(), err.Error()))
			return "", err
		}
		a.anycast(ctx, events.VFolderDeletionSuccess(v.String()))
		return "", nil
	})
}

// ResumePurges finishes the deletions a stopped daemon left in the trash.
func (a *API) ResumePurges() {
	for _, vol := range a.o.Volumes {
		names, err := vol.Trashed()
		if err != nil {
			a.log.Warn("cannot list deleted vfolders", "volume", vol.Name, "err", err)
			continue
		}
		for _, name := range names {
			v, _ := storage.TrashedVFID(name)
			a.log.Info("finishing a vfolder deletion", "volume", vol.Name, "vfid", v.String())
			a.purge(vol, name, v)
		}
	}
}

// anycast sends a vfolder event, retrying a few times: without it the
// manager shows the folder as "delete-ongoing" or "cloning" for good. A
// bus that stays down is logged; the task's own outcome stands.
func (a *API) anycast(ctx context.Context, ev events.Event) {
	if a.o.Events == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	delay := a.retryDelay
	for attempt := 1; ; attempt++ {
		err := a.o.Events.Anycast(ctx, ev)
		if err == nil {
			return
		}
		if attempt == eventAttempts {
			a.log.Error("cannot send event; the manager will not hear of it", "event", ev.Name, "err", err)
			return
		}
		a.log.Warn("cannot send event, retrying", "event", ev.Name, "err", err, "in", delay)
		time.Sleep(delay)
		delay *= 2
	}
}

// cloneFolder copies a folder into a new one on the same volume in the
// background (copy_file_range per file). A destination that exists is
// 409 (Backend.AI: 500).
func (a *API) cloneFolder(c *gin.Context) {
	p, good := body(c)
	if !good {
		return
	}
	if p.DstVolume == "" {
		p.DstVolume = p.SrcVolume
	}
	if err := need("src_volume", p.SrcVolume, "src_vfid", p.SrcVFID, "dst_vfid", p.DstVFID); err != nil {
		fail(c, err, nil)
		return
	}
	if p.DstVolume != p.SrcVolume {
		fail(c, fmt.Errorf("%w: cloning across volumes (%s -> %s) is not supported", errGeneric, p.SrcVolume, p.DstVolume), nil)
		return
	}
	vol, src, err := a.openFolder(p.SrcVolume, p.SrcVFID)
	if err != nil {
		fail(c, err, nil)
		return
	}
	dv, err := storage.ParseVFID(p.DstVFID)
	if err == nil && !dv.HasScope() {
		err = fmt.Errorf("legacy vfid without quota scope")
	}
	if err != nil {
		src.Close()
		fail(c, badParam("dst_vfid", "%v", err), nil)
		return
	}
	fi, err := src.Root.Stat(".")
	if err == nil {
		_, err = vol.CreateFolder(dv, storage.CreateOptions{UID: a.o.UID, GID: a.o.GID, Mode: fi.Mode().Perm(), AutoScope: true, Exclusive: true})
	}
	if err != nil {
		src.Close()
		fail(c, err, nil)
		return
	}
	id := a.o.Tasks.Start("clone vfolder", func(ctx context.Context, report func(float64, float64)) (string, error) {
		defer src.Close()
		err := a.clone(ctx, vol, src, dv, report)
		if err != nil {
			a.anycast(ctx, events.VFolderCloneFailure(src.VFID.String(), dv.String(), err.Error()))
			return "", err
		}
		a.anycast(ctx, events.VFolderCloneSuccess(src.VFID.String(), dv.String()))
		return "", nil
	})
	ok(c, http.StatusOK, gin.H{"bgtask_id": id})
}

func (a *API) clone(ctx context.Context, vol *storage.Volume, src *storage.Folder, dv storage.VFID, report func(float64, float64)) error {
	dst, err := vol.OpenFolder(dv)
	if err != nil {
		return err
	}
	err = storage.Clone(ctx, src, dst, func(done int64) { report(float64(done), 0) })
	dst.Close()
	if err != nil {
		// A half copy is no folder: remove it, as Backend.AI does.
		if trashed, terr := vol.Trash(dv); terr == nil {
			_ = vol.Purge(trashed)
		}
	}
	return err
}

// mount answers the folder root's host path; the manager appends the
// subpath itself, so it is only checked here. Its errors are Backend.AI's
// plain 400 bodies.
func (a *API) mount(c *gin.Context) {
	p, vol, v, good := a.vfidRoute(c)
	if !good {
		return
	}
	f, err := vol.OpenFolder(v)
	if err != nil {
		ok(c, http.StatusBadRequest, gin.H{"msg": "VFolder not found", "vfid": p.VFID})
		return
	}
	defer f.Close()
	sub := "."
	if p.Subpath != nil {
		sub = *p.Subpath
	}
	if rel, err := storage.CleanRel(sub); err != nil || escapes(f, rel) {
		ok(c, http.StatusBadRequest, gin.H{"msg": "Invalid vfolder subpath", "vfid": p.VFID, "subpath": sub})
		return
	}
	ok(c, http.StatusOK, gin.H{"path": f.HostPath})
}

// escapes reports whether rel resolves (through symlinks) outside f.
func escapes(f *storage.Folder, rel string) bool {
	_, err := f.Root.Stat(rel)
	return err != nil && storage.IsEscape(err)
}

func (a *API) usage(c *gin.Context, _ *params, _ *storage.Volume, f *storage.Folder) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.o.UsageTimeout)
	defer cancel()
	u, _, err := f.Usage(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		u, err = storage.Usage{FileCount: -1, UsedBytes: -1}, nil
	}
	if err != nil {
		fail(c, err, nil)
		return
	}
	ok(c, http.StatusOK, u)
}

func (a *API) usedBytes(c *gin.Context, _ *params, _ *storage.Volume, f *storage.Folder) {
	_, blocks, err := f.Usage(c.Request.Context())
	if err != nil {
		fail(c, err, nil)
		return
	}
	ok(c, http.StatusOK, gin.H{"used_bytes": blocks})
}

// metadata is a stub in Backend.AI too.
func (a *API) metadata(c *gin.Context, _ *params, _ *storage.Volume, _ *storage.Folder) {
	ok(c, http.StatusOK, gin.H{"status": "ok"})
}
