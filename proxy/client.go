package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Client calls a storage-agent's manager API (what the CLI uses).
type Client struct {
	BaseURL string       // e.g. "http://127.0.0.1:6022"
	Secret  string       // api.manager.secret
	HTTP    *http.Client // nil: http.DefaultClient
}

// APIError is an error answer of the API. It matches the package's
// sentinel errors with errors.Is (ErrNoFreeSlot, ErrUserLimit,
// ErrInvalidParams, ErrNotFound, ErrForbidden...).
type APIError struct {
	Status int
	Type   string
	Title  string
	Detail string
}

// Error says what the API answered, detail included.
func (e *APIError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("manager API: %d %s: %s", e.Status, e.Title, e.Detail)
	}
	return fmt.Sprintf("manager API: %d %s", e.Status, e.Title)
}

// Is matches the sentinel error the server mapped to this answer.
func (e *APIError) Is(target error) bool {
	for _, k := range problemKinds {
		// A typed answer matches its sentinel's parents too (a missing
		// vfolder is ErrNotFound); an untyped one only by status.
		if e.Type == problemTypeBase+k.slug && errors.Is(k.err, target) ||
			e.Type == "" && e.Status == k.status && target == k.err {
			return true
		}
	}
	return false
}

// OpenSession opens a session (POST /sessions).
func (c *Client) OpenSession(ctx context.Context, req OpenRequest) (*SessionInfo, error) {
	var out SessionInfo
	if err := c.Do(ctx, http.MethodPost, "/sessions", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSessions lists the open sessions (GET /sessions).
func (c *Client) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	var out SessionList
	if err := c.Do(ctx, http.MethodGet, "/sessions", nil, &out); err != nil {
		return nil, err
	}
	return out.Sessions, nil
}

// GetSession describes one open session (GET /sessions/{id}).
func (c *Client) GetSession(ctx context.Context, id string) (*SessionInfo, error) {
	var out SessionInfo
	if err := c.Do(ctx, http.MethodGet, "/sessions/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CloseSession closes a session (DELETE /sessions/{id}).
func (c *Client) CloseSession(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, "/sessions/"+url.PathEscape(id), nil, nil)
}

// WebLogin gets a fresh single-use web login link for an open session
// (POST /sessions/{id}/web-login).
func (c *Client) WebLogin(ctx context.Context, id string) (*WebLoginInfo, error) {
	var out WebLoginInfo
	if err := c.Do(ctx, http.MethodPost, "/sessions/"+url.PathEscape(id)+"/web-login", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateFolder creates a vfolder, or does nothing if it exists
// (POST /folder/create).
func (c *Client) CreateFolder(ctx context.Context, req CreateFolderRequest) error {
	return c.Do(ctx, http.MethodPost, "/folder/create", req, nil)
}

// Volumes lists the agent's volumes (GET /volumes).
func (c *Client) Volumes(ctx context.Context) ([]VolumeInfo, error) {
	var out VolumeList
	if err := c.Do(ctx, http.MethodGet, "/volumes", nil, &out); err != nil {
		return nil, err
	}
	return out.Volumes, nil
}

// Do sends in (if not nil) as JSON to path and decodes a successful
// answer into out (if not nil; a *json.RawMessage keeps it verbatim).
// Error answers become *APIError.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("manager API: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("manager API: %w", err)
	}
	req.Header.Set(AuthHeader, c.Secret)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("manager API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return readProblem(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("manager API: decode %s %s answer: %w", method, path, err)
	}
	return nil
}

// readProblem builds an *APIError from an error answer, problem+json or
// not (a proxy in between may answer with plain text).
func readProblem(resp *http.Response) error {
	e := &APIError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var p Problem
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(b, &p) == nil {
		e.Type, e.Detail = p.Type, p.Detail
		if p.Title != "" {
			e.Title = p.Title
		}
		return e
	}
	e.Detail = strings.TrimSpace(string(b))
	return e
}
