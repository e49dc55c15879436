package proxy

import (
	"bytes"
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

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/proxy/bgtask"
	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/proxy/storageapi"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

const (
	testSecret = "test-secret-0123456789"
	scopeUUID  = "6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d"
	folderUUID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"
	testVFID   = "user:" + scopeUUID + "/" + folderUUID
	folder2    = "11111111-2222-4333-8444-555555555555"
	testVFID2  = "project:" + scopeUUID + "/" + folder2
)

// testKey is a token-signing key for tests.
var testKey = bytes.Repeat([]byte{0x42}, 32)

// testConfig is the default configuration with one volume in a temp dir,
// a known secret and the two test vfolders created.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Agent.ID = "agent-test"
	cfg.Agent.VarBasePath = t.TempDir()
	cfg.API.Manager.Secret = testSecret
	cfg.Volume = map[string]config.VolumeConfig{"local": {Backend: "vfs", Path: t.TempDir()}}
	for _, v := range []string{testVFID, testVFID2} {
		makeFolder(t, cfg, "local", v)
	}
	return cfg
}

// folderPath is where vfid lives on volume, computed independently of the
// code under test from DESIGN.md's layout.
func folderPath(t *testing.T, cfg *config.Config, volume, vfid string) string {
	t.Helper()
	qsid, folder, _ := strings.Cut(vfid, "/")
	_, scope, _ := strings.Cut(qsid, ":")
	s := strings.ReplaceAll(scope, "-", "")
	h := strings.ReplaceAll(folder, "-", "")
	return filepath.Join(cfg.Volume[volume].Path, s, h[0:2], h[2:4], h[4:])
}

func makeFolder(t *testing.T, cfg *config.Config, volume, vfid string) string {
	t.Helper()
	p := folderPath(t, cfg, volume, vfid)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeWorker stands in for an *isolation.Worker.
type fakeWorker struct {
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	stops int
}

func newFakeWorker() *fakeWorker { return &fakeWorker{done: make(chan struct{})} }

func (w *fakeWorker) OpenSFTP(context.Context) (io.ReadWriteCloser, error) {
	return nil, errors.New("fake worker: no sftp")
}
func (w *fakeWorker) Exec(context.Context, string, isolation.Stdio) (int, error) { return 7, nil }
func (w *fakeWorker) Done() <-chan struct{}                                      { return w.done }
func (w *fakeWorker) die()                                                       { w.once.Do(func() { close(w.done) }) }
func (w *fakeWorker) Stop() error {
	w.mu.Lock()
	w.stops++
	w.mu.Unlock()
	w.die()
	return nil
}
func (w *fakeWorker) stopCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stops
}

// fakeSandbox records specs and hands out fake workers.
type fakeSandbox struct {
	mu      sync.Mutex
	specs   []isolation.Spec
	workers []*fakeWorker
	fail    error
}

// Start satisfies Sandbox so New accepts it; tests route starts through
// start instead, since a fake cannot build an *isolation.Worker.
func (f *fakeSandbox) Start(context.Context, isolation.Spec) (*isolation.Worker, error) {
	return nil, errors.New("fakeSandbox.Start must not be called")
}

func (f *fakeSandbox) start(_ context.Context, spec isolation.Spec) (worker, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	w := newFakeWorker()
	f.specs = append(f.specs, spec)
	f.workers = append(f.workers, w)
	return w, nil
}

func (f *fakeSandbox) worker(i int) *fakeWorker {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.workers[i]
}

func (f *fakeSandbox) spec(i int) isolation.Spec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.specs[i]
}

// newFakeService is a Service whose workers are fakes.
func newFakeService(t *testing.T, cfg *config.Config) (*Service, *fakeSandbox) {
	t.Helper()
	fs := &fakeSandbox{}
	svc := newService(t, cfg, fs)
	svc.start = fs.start
	return svc, fs
}

func newService(t *testing.T, cfg *config.Config, sb Sandbox) *Service {
	t.Helper()
	svc, err := New(t.Context(), Options{Config: cfg, Sandbox: sb, Version: "test", TokenKey: testKey, Storage: testStorage(t, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

// testStorage is the real storage-proxy API over cfg's volumes, as the
// daemon registers it.
func testStorage(t *testing.T, cfg *config.Config) StorageRoutes {
	t.Helper()
	vols := map[string]*storage.Volume{}
	for name, v := range cfg.Volume {
		vol, err := storage.NewVolume(name, v.Path)
		if err != nil {
			t.Fatal(err)
		}
		vols[name] = vol
	}
	tasks := bgtask.New(nil, nil, nil)
	t.Cleanup(func() { tasks.Close(context.Background()) })
	return storageapi.New(storageapi.Options{Volumes: vols, Tasks: tasks, ScandirLimit: 1000, AutoScope: true,
		UID: cfg.Session.UID, GID: cfg.Session.GID, Signer: xfertoken.NewSigner(testKey, time.Hour)})
}

// realSandbox is the real isolation.Manager (tests run as root).
func realSandbox(t *testing.T) *isolation.Manager {
	t.Helper()
	m, err := isolation.New(t.Context(), isolation.Options{StateDir: t.TempDir()})
	if errors.Is(err, isolation.ErrUnsupported) {
		t.Skipf("host cannot sandbox: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// skipIfSandboxPending skips a test whose session start hit the sandbox's
// unfinished stub; any other failure fails the test.
func skipIfSandboxPending(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code == http.StatusInternalServerError && strings.Contains(rec.Body.String(), "TODO") {
		t.Skip("waiting on isolation.Manager.Start (still TODO)")
	}
}

// call sends one request to h. body is sent verbatim if it is a string,
// as JSON otherwise; nil sends none.
func call(t *testing.T, h http.Handler, method, path string, body any, secret string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, path, r)
	if secret != "" {
		req.Header.Set(AuthHeader, secret)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem answer and checks its envelope.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body, err)
	}
	if p.Status != rec.Code || !strings.HasPrefix(p.Type, problemTypeBase) || p.Title == "" || strings.Count(p.ErrorCode, "_") < 2 {
		t.Errorf("bad problem %+v for status %d", p, rec.Code)
	}
	return p
}

// openBody is a valid POST /sessions body.
func openBody(user string) map[string]any {
	return map[string]any{
		"user":   user,
		"mounts": []map[string]any{{"volume": "local", "vfid": testVFID, "name": "data"}},
	}
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body, err)
	}
	return v
}
