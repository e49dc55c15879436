package storageapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/proxy/storage"
)

// volumeInfo is one entry of GET /volumes, shaped like Backend.AI's.
type volumeInfo struct {
	Name         string   `json:"name"`
	Backend      string   `json:"backend"`
	Path         string   `json:"path"`
	FSPrefix     string   `json:"fsprefix"`
	Capabilities []string `json:"capabilities"`
}

func (a *API) volumes(c *gin.Context) {
	out := make([]volumeInfo, 0, len(a.o.Volumes))
	for _, v := range a.o.Volumes {
		out = append(out, volumeInfo{Name: v.Name, Backend: "vfs", Path: v.Path, FSPrefix: ".", Capabilities: []string{"vfolder"}})
	}
	slices.SortFunc(out, func(x, y volumeInfo) int { return strings.Compare(x.Name, y.Name) })
	ok(c, http.StatusOK, gin.H{"volumes": out})
}

// volumeRoute decodes the body and resolves its volume.
func (a *API) volumeRoute(c *gin.Context) (*params, *storage.Volume, bool) {
	p, good := body(c)
	if !good {
		return nil, nil, false
	}
	vol, err := a.volume(p.Volume)
	if err != nil {
		fail(c, err, nil)
		return nil, nil, false
	}
	return p, vol, true
}

// hwinfo must type-check as Backend.AI's HardwareMetadata.
func (a *API) hwinfo(c *gin.Context) {
	if _, _, good := a.volumeRoute(c); good {
		ok(c, http.StatusOK, gin.H{"status": "healthy", "status_info": nil, "metadata": gin.H{}})
	}
}

// performanceMetric is not implemented by vfs in Backend.AI either.
func (a *API) performanceMetric(c *gin.Context) {
	if _, vol, good := a.volumeRoute(c); good {
		fail(c, fmt.Errorf("%w: vfs volume %s has no performance metrics", errUnsupported, vol.Name), nil)
	}
}

// deprecatedQuota answers GET/PATCH /volume/quota as Backend.AI does: 400.
func (a *API) deprecatedQuota(c *gin.Context) {
	c.Data(http.StatusBadRequest, "text/plain; charset=utf-8",
		[]byte("Deprecated API: use the quota-scope API instead"))
}

func (a *API) fsUsage(c *gin.Context) {
	_, vol, good := a.volumeRoute(c)
	if !good {
		return
	}
	capacity, used, err := vol.FSUsage()
	if err != nil {
		fail(c, err, nil)
		return
	}
	ok(c, http.StatusOK, gin.H{"capacity_bytes": capacity, "used_bytes": used})
}

// scopeRoute decodes {volume, qsid}.
func (a *API) scopeRoute(c *gin.Context) (*params, *storage.Volume, storage.QSID, bool) {
	p, vol, good := a.volumeRoute(c)
	if !good {
		return nil, nil, storage.QSID{}, false
	}
	if p.QSID == nil {
		fail(c, badParam("qsid", "required"), nil)
		return nil, nil, storage.QSID{}, false
	}
	q, err := storage.ParseQSID(*p.QSID)
	if err != nil {
		// search_quota_scopes sends qsid "" and swallows the error; a
		// missing scope is what it expects.
		if *p.QSID == "" {
			err = fmt.Errorf("%w: empty qsid", storage.ErrScopeNotFound)
		} else {
			err = badParam("qsid", "%v", err)
		}
		fail(c, err, nil)
		return nil, nil, storage.QSID{}, false
	}
	return p, vol, q, true
}

// mustExist fails with ErrScopeNotFound when q is missing on vol.
func mustExist(c *gin.Context, vol *storage.Volume, q storage.QSID) bool {
	exists, err := vol.ScopeExists(q)
	if err == nil && !exists {
		err = fmt.Errorf("%w: %s on volume %s", storage.ErrScopeNotFound, q, vol.Name)
	}
	if err != nil {
		fail(c, err, nil)
		return false
	}
	return true
}

// getScope: vfs keeps no limits or usage per scope, so both are null.
func (a *API) getScope(c *gin.Context) {
	_, vol, q, good := a.scopeRoute(c)
	if good && mustExist(c, vol, q) {
		ok(c, http.StatusOK, gin.H{"used_bytes": nil, "limit_bytes": nil})
	}
}

// checkOptions accepts null or {limit_bytes: int} (accepted, not enforced,
// as Backend.AI's vfs does).
func checkOptions(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var o struct {
		LimitBytes *int64 `json:"limit_bytes"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return badParam("options", "want null or {\"limit_bytes\": int}: %v", err)
	}
	return nil
}

// createScope is 409 for an existing scope; PATCH (update) creates a
// missing one and leaves an existing one, as Backend.AI's vfs does.
func (a *API) createScope(c *gin.Context) { a.putScope(c, true) }
func (a *API) updateScope(c *gin.Context) { a.putScope(c, false) }

func (a *API) putScope(c *gin.Context, exclusive bool) {
	p, vol, q, good := a.scopeRoute(c)
	if !good {
		return
	}
	err := checkOptions(p.Options)
	if err == nil {
		err = vol.CreateScope(q, exclusive)
	}
	if err != nil {
		fail(c, err, nil)
		return
	}
	noContent(c)
}

func (a *API) unsetScopeQuota(c *gin.Context) {
	_, vol, q, good := a.scopeRoute(c)
	if good && mustExist(c, vol, q) {
		noContent(c)
	}
}
