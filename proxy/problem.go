package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
)

// problemTypeBase prefixes every problem type, as Backend.AI's storage
// proxy does, so the manager's client recognises them.
const problemTypeBase = "https://api.backend.ai/probs/storage/"

// Problem is an RFC 9457 problem document, the body of every error answer.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// ErrorCode is Backend.AI's "<domain>_<operation>_<detail>"; its
	// manager dispatches storage-proxy errors on it.
	ErrorCode string `json:"error_code"`
}

// problemKind is one row of the error -> HTTP answer table.
type problemKind struct {
	err    error
	status int
	slug   string
	title  string
	code   string
}

// problemKinds maps sentinel errors to answers; the first match wins, so
// specific errors come before their parents. The client reads it backwards.
var problemKinds = [...]problemKind{
	{ErrInvalidParams, http.StatusBadRequest, "invalid-api-params", "Invalid API parameters", "storage-proxy_parsing_invalid-parameters"},
	{ErrBodyTooLarge, http.StatusRequestEntityTooLarge, "request-too-large", "Request body too large", "storage-proxy_parsing_request-too-large"},
	{ErrForbidden, http.StatusForbidden, "forbidden", "Forbidden", "storage-proxy_auth_forbidden"},
	{ErrFolderNotFound, http.StatusNotFound, "vfolder/not-found", "VFolder not found", "vfolder_read_not-found"},
	{ErrNotFound, http.StatusNotFound, "not-found", "Not found", "storage-proxy_read_not-found"},
	{ErrUserLimit, http.StatusTooManyRequests, "too-many-sessions", "Too many sessions", "session_create_too-many-sessions"},
	{ErrNoFreeSlot, http.StatusServiceUnavailable, "no-free-slot", "No free session slot", "session_create_no-free-slot"},
	{ErrServiceClosed, http.StatusServiceUnavailable, "shutting-down", "Shutting down", "storage-proxy_generic_shutting-down"},
	{ErrVolumeUnavailable, http.StatusServiceUnavailable, "volume-unavailable", "Volume unavailable", "storage-proxy_volume_unavailable"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "storage-proxy_routing_method-not-allowed"},
}

// errMethodNotAllowed only exists to give 405 a row in problemKinds.
var errMethodNotAllowed = errors.New("method not allowed")

// internalKind answers every error the table does not know.
var internalKind = problemKind{nil, http.StatusInternalServerError, "internal-error", "Internal server error", "storage-proxy_generic_internal-error"}

func kindOf(err error) problemKind {
	for _, k := range problemKinds {
		if errors.Is(err, k.err) {
			return k
		}
	}
	return internalKind
}

// abortProblem ends the request with the problem document for err. The
// detail is err's message: the package's errors are written to be shown
// to the manager and never carry secrets.
func abortProblem(c *gin.Context, err error) {
	k := kindOf(err)
	if k.status == http.StatusServiceUnavailable {
		// Slots free up as sessions close; tell the manager when to retry.
		c.Header("Retry-After", "5")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // details quote "<uuid>"; keep them readable
	_ = enc.Encode(Problem{
		Type:      problemTypeBase + k.slug,
		Title:     k.title,
		Status:    k.status,
		Detail:    err.Error(),
		ErrorCode: k.code,
	})
	c.Abort()
	c.Data(k.status, "application/problem+json", b.Bytes())
}
