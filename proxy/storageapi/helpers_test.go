package storageapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/storage-agent/storage-agent/proxy/bgtask"
	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

const (
	scope   = "6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d"
	folderA = "0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"
	folderB = "11111111222243338444555555555555"
	vfidA   = "user:" + scope + "/" + folderA
	vfidB   = "user:" + scope + "/" + folderB
)

// env is the API behind a real HTTP server on a temporary volume.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	api     *API
	volPath string
	signer  *xfertoken.Signer
	events  *recorder

	mu      sync.Mutex
	deleted []string // vfids BeforeDelete saw
}

// recorder keeps anycast events (the Redis bus has its own tests); its
// first failures calls fail, like a Redis that is briefly away.
type recorder struct {
	mu       sync.Mutex
	got      [][]any
	failures int
}

func (r *recorder) Anycast(_ context.Context, ev events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return errors.New("redis is away")
	}
	r.got = append(r.got, append([]any{ev.Name}, ev.Values()...))
	return nil
}

func (r *recorder) events() [][]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]any(nil), r.got...)
}

type nopPublisher struct{}

func (nopPublisher) Broadcast(context.Context, string, events.Event) error { return nil }

func newEnv(t *testing.T, events Anycaster, pub bgtask.Publisher) *env {
	t.Helper()
	dir := t.TempDir()
	vol, err := storage.NewVolume("local", dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, volPath: dir, signer: xfertoken.NewSigner([]byte(strings.Repeat("s", 32)), time.Hour)}
	if events == nil {
		e.events = &recorder{}
		events = e.events
	}
	if pub == nil {
		pub = nopPublisher{}
	}
	tasks := bgtask.New(pub, nil, nil)
	t.Cleanup(func() { tasks.Close(context.Background()) })
	e.api = New(Options{
		Volumes: map[string]*storage.Volume{"local": vol}, Signer: e.signer, Tasks: tasks, Events: events,
		UID: 1234, GID: 2345, ScandirLimit: 1000, AutoScope: true, MaxUploadSize: 1 << 30,
		BeforeDelete: func(_ context.Context, _ string, v storage.VFID) {
			e.mu.Lock()
			e.deleted = append(e.deleted, v.String())
			e.mu.Unlock()
		},
	})
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	e.api.Register(r)
	e.srv = httptest.NewServer(r)
	t.Cleanup(e.srv.Close)
	return e
}

// do sends body (raw JSON, "" for none) with method, as aiohttp does:
// GET and DELETE carry bodies too.
func (e *env) do(method, path, body string) (int, http.Header, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// json sends a request and decodes its JSON answer.
func (e *env) json(method, path, body string, wantStatus int) map[string]any {
	e.t.Helper()
	code, _, b := e.do(method, path, body)
	if code != wantStatus {
		e.t.Fatalf("%s %s %s = %d %s, want %d", method, path, body, code, b, wantStatus)
	}
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			e.t.Fatalf("%s %s: answer %q: %v", method, path, b, err)
		}
	}
	return m
}

// folderPath is where vfid lives, from DESIGN.md's layout.
func (e *env) folderPath(folderHex string) string {
	return filepath.Join(e.volPath, strings.ReplaceAll(scope, "-", ""), folderHex[0:2], folderHex[2:4], folderHex[4:])
}

// create makes folder hex in the scope through the API.
func (e *env) create(folderHex string) string {
	e.t.Helper()
	e.json("POST", "/folder/create", `{"volume":"local","vfid":"user:`+scope+`/`+folderHex+`","options":{}}`, http.StatusNoContent)
	return e.folderPath(folderHex)
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// problem checks a problem answer's type suffix and error_code.
func problem(t *testing.T, m map[string]any, slug, code string) {
	t.Helper()
	if m["type"] != typeBase+slug || (code != "" && m["error_code"] != code) || m["title"] == "" {
		t.Errorf("problem %v, want type %s error_code %s", m, slug, code)
	}
}
