package storageapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/proxy/storage"
)

// typeBase prefixes problem types as Backend.AI's storage proxy does.
const typeBase = "https://api.backend.ai/probs/storage/"

// Errors of this package that have no storage sentinel.
var (
	errUnknownVolume = errors.New("unknown volume")
	errUnsupported   = errors.New("unsupported operation")
	errFileNotFound  = errors.New("file not found")
	errGeneric       = errors.New("storage proxy error")
)

// paramError is an invalid request parameter; the problem's data names it
// as trafaret's DataError does.
type paramError struct{ key, msg string }

func (e *paramError) Error() string { return e.key + ": " + e.msg }

func badParam(key, format string, args ...any) error {
	return &paramError{key: key, msg: fmt.Sprintf(format, args...)}
}

// kind is one row of the error -> answer table. code is Backend.AI's
// error_code "<domain>_<operation>_<detail>", on which the manager
// dispatches (a 404 in the quota-scope domain makes it fall back to the
// resource policy; vfolder 404/410 on delete are "already gone").
type kind struct {
	err    error
	status int
	slug   string
	title  string
	code   string
}

var kinds = [...]kind{
	{errUnknownVolume, http.StatusBadRequest, "volume/invalid", "Invalid volume", "storage_access_invalid-parameters"},
	{storage.ErrInvalidVFID, http.StatusBadRequest, "invalid-api-params", "Invalid API parameters", "vfolder_access_invalid-parameters"},
	{storage.ErrFolderNotFound, http.StatusNotFound, "vfolder/not-found", "VFolder not found", "vfolder_read_not-found"},
	{storage.ErrInvalidSubpath, http.StatusBadRequest, "subpath/invalid", "Invalid vfolder subpath", "vfolder_access_invalid-parameters"},
	{storage.ErrScopeNotFound, http.StatusNotFound, "quota/scope/not-found", "Quota scope not found", "quota-scope_read_not-found"},
	{storage.ErrScopeExists, http.StatusConflict, "quota/scope/already-exists", "Quota scope already exists", "quota-scope_create_already-exists"},
	{storage.ErrFolderExists, http.StatusConflict, "vfolder/already-exists", "VFolder already exists", "vfolder_create_already-exists"},
	{storage.ErrVolumeUnavailable, http.StatusServiceUnavailable, "volume-unavailable", "Volume unavailable", "storage-proxy_volume_unavailable"},
	{storage.ErrNotRegular, http.StatusBadRequest, "invalid-api-params", "The file is not a regular file.", "vfolder_read_invalid-parameters"},
	{errFileNotFound, http.StatusNotFound, "file-not-found", "File not found", "vfolder_read_not-found"},
	{errUnsupported, http.StatusBadRequest, "unsupported-operation", "Unsupported operation", "storage_generic_not-implemented"},
	{errGeneric, http.StatusInternalServerError, "generic", "Storage proxy error", "storage-proxy_generic_internal-error"},
}

var internal = kind{nil, http.StatusInternalServerError, "internal-error", "Internal server error", "storage-proxy_generic_internal-error"}

// fail ends the request with err's answer: a problem document for the
// package's errors, or Backend.AI's {msg, errno, paths} for a file system
// error on the routes that have handle_fs_errors (paths != nil).
func fail(c *gin.Context, err error, paths []string) {
	var pe *paramError
	if errors.As(err, &pe) {
		writeJSON(c, http.StatusBadRequest, "application/problem+json", gin.H{
			"type": typeBase + "invalid-api-params", "title": "Invalid API parameters", "status": http.StatusBadRequest,
			"error_code": "vfolder_parsing_invalid-parameters", "data": gin.H{pe.key: pe.msg}, "msg": err.Error(),
		})
		return
	}
	k := internal
	for _, kk := range kinds {
		if errors.Is(err, kk.err) {
			k = kk
			break
		}
	}
	var errno syscall.Errno
	if k.err == nil && paths != nil && errors.As(err, &errno) {
		msg := errno.Error()
		writeJSON(c, http.StatusBadRequest, "application/json", gin.H{
			"msg": strings.ToUpper(msg[:1]) + msg[1:], "errno": int(errno), "paths": paths,
		})
		return
	}
	writeJSON(c, k.status, "application/problem+json", gin.H{
		"type": typeBase + k.slug, "title": k.title, "status": k.status, "error_code": k.code, "msg": err.Error(),
	})
}

// writeJSON answers v without gin's HTML escaping, so paths and uuids in
// messages stay readable.
func writeJSON(c *gin.Context, status int, contentType string, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Reset()
		b.WriteString(`{"msg":"cannot encode the answer"}`)
		status = http.StatusInternalServerError
	}
	c.Abort()
	c.Data(status, contentType, b.Bytes())
}
