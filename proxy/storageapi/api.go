// Package storageapi is the manager-facing half of Backend.AI's storage
// proxy for vfs volumes: volumes, quota scopes, vfolders and their files,
// and the routes that mint client-API tokens. Every route reads its
// parameters from a JSON body (GET included), answers what Backend.AI's
// proxy answers, and reports errors with the error_code the manager
// dispatches on. The contract is STORAGE_PROXY_API.md §1.
package storageapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/proxy/bgtask"
	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

// Anycaster sends an event to one consumer; *events.Bus is one.
type Anycaster interface {
	Anycast(ctx context.Context, ev events.Event) error
}

// Options configure the API.
type Options struct {
	Volumes map[string]*storage.Volume
	Signer  *xfertoken.Signer
	Tasks   *bgtask.Runner
	Events  Anycaster
	// UID and GID own new vfolders (the sessions' default owner).
	UID, GID      int
	ScandirLimit  int
	AutoScope     bool  // [storage-proxy] allow-auto-quota-scope-creation
	MaxUploadSize int64 // [storage-proxy] max-upload-size
	// BeforeDelete is called before a vfolder is deleted; the daemon
	// closes the sessions that mount it there.
	BeforeDelete func(ctx context.Context, volume string, vfid storage.VFID)
	// UsageTimeout bounds one /folder/usage walk; past it the answer is
	// -1/-1 ("unknown") rather than a manager kept waiting on a huge
	// folder. Zero means Backend.AI's 30 s.
	UsageTimeout time.Duration
	Logger       *slog.Logger
}

// API serves the storage routes. Immutable after New.
type API struct {
	o          Options
	log        *slog.Logger
	retryDelay time.Duration // before the first event retry; doubles
}

// eventAttempts bounds how often a vfolder event is tried (1+2+4+8 s of
// waiting at the default delay).
const eventAttempts = 5

// New returns the API.
func New(o Options) *API {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.UsageTimeout == 0 {
		o.UsageTimeout = 30 * time.Second
	}
	if o.BeforeDelete == nil {
		o.BeforeDelete = func(context.Context, string, storage.VFID) {}
	}
	return &API{o: o, log: log, retryDelay: time.Second}
}

// Register adds the routes to r, which must already check the manager
// secret.
func (a *API) Register(r gin.IRoutes) {
	r.GET("/volumes", a.volumes)
	r.GET("/volume/hwinfo", a.hwinfo)
	r.GET("/volume/performance-metric", a.performanceMetric)
	r.GET("/volume/quota", a.deprecatedQuota)
	r.PATCH("/volume/quota", a.deprecatedQuota)
	r.GET("/folder/fs-usage", a.fsUsage)
	r.GET("/quota-scope", a.getScope)
	r.POST("/quota-scope", a.createScope)
	r.PATCH("/quota-scope", a.updateScope)
	r.DELETE("/quota-scope/quota", a.unsetScopeQuota)

	r.POST("/folder/create", a.createFolder)
	r.POST("/folder/delete", a.deleteFolder)
	r.POST("/folder/clone", a.cloneFolder)
	r.GET("/folder/mount", a.mount)
	r.GET("/folder/usage", a.folder(a.usage))
	r.GET("/folder/used-bytes", a.folder(a.usedBytes))
	r.GET("/folder/metadata", a.folder(a.metadata))
	r.POST("/folder/metadata", a.folder(a.metadata))

	r.POST("/folder/file/mkdir", a.folder(a.mkdir))
	r.POST("/folder/file/list", a.folder(a.list))
	r.POST("/folder/file/rename", a.folder(a.rename))
	r.POST("/folder/file/move", a.folder(a.move))
	r.POST("/folder/file/delete", a.folder(a.deleteFiles))
	r.POST("/folder/file/delete-async", a.folder(a.deleteFilesAsync))
	r.POST("/folder/file/fetch", a.folder(a.fetch))
	r.POST("/folder/file/upload", a.folder(a.uploadToken))
	r.POST("/folder/file/download", a.folder(a.downloadToken))
	r.POST("/folder/file/archive-download-token", a.archiveToken)
}

// volume returns the named volume or errUnknownVolume.
func (a *API) volume(name string) (*storage.Volume, error) {
	if name == "" {
		return nil, badParam("volume", "required")
	}
	v, ok := a.o.Volumes[name]
	if !ok {
		return nil, &volumeError{name}
	}
	return v, nil
}

type volumeError struct{ name string }

func (e *volumeError) Error() string { return "unknown volume " + e.name }
func (e *volumeError) Unwrap() error { return errUnknownVolume }

// openFolder resolves volume and vfid and opens the folder.
func (a *API) openFolder(volume, vfid string) (*storage.Volume, *storage.Folder, error) {
	vol, err := a.volume(volume)
	if err != nil {
		return nil, nil, err
	}
	if vfid == "" {
		return nil, nil, badParam("vfid", "required")
	}
	v, err := storage.ParseVFID(vfid)
	if err != nil {
		return nil, nil, badParam("vfid", "%v", err)
	}
	f, err := vol.OpenFolder(v)
	if err != nil {
		return nil, nil, err
	}
	return vol, f, nil
}

// folderHandler is a route on one existing vfolder.
type folderHandler func(c *gin.Context, p *params, vol *storage.Volume, f *storage.Folder)

// folder decodes the body, opens {volume, vfid} and runs h on it.
func (a *API) folder(h folderHandler) gin.HandlerFunc {
	return func(c *gin.Context) {
		var p params
		if err := decode(c, &p); err != nil {
			fail(c, err, nil)
			return
		}
		vol, f, err := a.openFolder(p.Volume, p.VFID)
		if err != nil {
			fail(c, err, nil)
			return
		}
		defer f.Close()
		h(c, &p, vol, f)
	}
}

// body decodes the body for routes that do not work on one folder.
func body(c *gin.Context) (*params, bool) {
	var p params
	if err := decode(c, &p); err != nil {
		fail(c, err, nil)
		return nil, false
	}
	return &p, true
}

func ok(c *gin.Context, status int, v any) { writeJSON(c, status, "application/json", v) }

func noContent(c *gin.Context) { c.Status(http.StatusNoContent) }
