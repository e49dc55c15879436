package proxy

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClient(t *testing.T) {
	cfg := testConfig(t)
	cfg.Session.MaxSessions, cfg.Session.MaxSessionsPerUser = 2, 1
	svc, fs := newFakeService(t, cfg)
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	c := &Client{BaseURL: srv.URL + "/", Secret: testSecret}
	ctx := t.Context()
	dataMount := []MountRequest{{Volume: "local", VFID: testVFID, Name: "data"}}

	cpu, mem := 0.25, Size(128<<20)
	info, err := c.OpenSession(ctx, OpenRequest{
		User:      "alice",
		Mounts:    []MountRequest{{Volume: "local", VFID: testVFID, Name: "data", Mode: "ro"}},
		Resources: &Resources{CPU: &cpu, Memory: &mem},
		TTL:       "1h",
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.Token == "" || info.Mounts[0].Mode != "ro" {
		t.Errorf("open: %+v", info)
	}
	if l := fs.spec(0).Limits; l.CPU != 0.25 || l.Memory != 128<<20 || l.Pids != 64 {
		t.Errorf("limits %+v", l)
	}
	_, err = c.OpenSession(ctx, OpenRequest{User: "alice", Mounts: dataMount})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || !errors.Is(err, ErrUserLimit) || apiErr.Detail == "" {
		t.Fatalf("second open: %#v", err)
	}
	if _, err := c.OpenSession(ctx, OpenRequest{User: "bad user"}); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("bad user: %v", err)
	}
	if _, err := c.OpenSession(ctx, OpenRequest{User: "bob", Mounts: []MountRequest{{Volume: "x", VFID: testVFID, Name: "d"}}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown volume: %v", err)
	}
	if _, err := c.OpenSession(ctx, OpenRequest{User: "bob", Mounts: dataMount}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenSession(ctx, OpenRequest{User: "carol", Mounts: dataMount}); !errors.Is(err, ErrNoFreeSlot) || errors.Is(err, ErrUserLimit) {
		t.Errorf("full: %v", err)
	}

	list, err := c.ListSessions(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	got, err := c.GetSession(ctx, info.ID)
	if err != nil || got.ID != info.ID {
		t.Fatalf("get: %v", err)
	}
	if err := c.CloseSession(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSession(ctx, info.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("get closed: %v", err)
	}
	if err := c.CloseSession(ctx, "../status"); !errors.Is(err, ErrNotFound) {
		t.Errorf("close odd id: %v", err)
	}
	if err := c.CreateFolder(ctx, CreateFolderRequest{Volume: "local", VFID: testVFID2}); err != nil {
		t.Errorf("create existing folder: %v", err)
	}
	vols, err := c.Volumes(ctx)
	if err != nil || len(vols) != 1 {
		t.Errorf("volumes: %v %v", vols, err)
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", "/status", nil, &raw); err != nil || len(raw) == 0 {
		t.Errorf("raw status: %s %v", raw, err)
	}

	wrong := &Client{BaseURL: srv.URL, Secret: "nope"}
	if _, err := wrong.ListSessions(ctx); !errors.Is(err, ErrForbidden) {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestClientPlainErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway, says nginx", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	_, err := (&Client{BaseURL: srv.URL}).ListSessions(t.Context())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 502 || apiErr.Detail != "bad gateway, says nginx" {
		t.Fatalf("%#v", err)
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidParams) {
		t.Error("plain 502 matches a sentinel")
	}
}

// TestClientFolderNotFound: a missing vfolder is both ErrFolderNotFound
// and ErrNotFound to the client, as on the server.
func TestClientFolderNotFound(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	c := &Client{BaseURL: srv.URL, Secret: testSecret}
	missing := "user:" + scopeUUID + "/ffffffff-2222-4333-8444-555555555555"
	_, err := c.OpenSession(t.Context(), OpenRequest{User: "bob", Mounts: []MountRequest{{Volume: "local", VFID: missing, Name: "d"}}})
	if !errors.Is(err, ErrFolderNotFound) || !errors.Is(err, ErrNotFound) || errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("open on a missing folder: %v", err)
	}
}
