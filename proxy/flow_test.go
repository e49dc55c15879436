package proxy

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/storage-agent/storage-agent/config"
)

// sandboxKind builds a Service on a fake sandbox (fs != nil) or the real one.
type sandboxKind struct {
	name string
	mk   func(t *testing.T, cfg *config.Config) (*Service, *fakeSandbox)
}

var sandboxKinds = []sandboxKind{
	{"fake", newFakeService},
	{"real", func(t *testing.T, cfg *config.Config) (*Service, *fakeSandbox) {
		return newService(t, cfg, realSandbox(t)), nil
	}},
}

// mustOpen opens a session and expects 201.
func mustOpen(t *testing.T, svc *Service, body any) SessionInfo {
	t.Helper()
	rec := call(t, svc.Handler(), "POST", "/sessions", body, testSecret)
	skipIfSandboxPending(t, rec)
	if rec.Code != http.StatusCreated {
		t.Fatalf("open: %d %s", rec.Code, rec.Body)
	}
	return decode[SessionInfo](t, rec)
}

func testPublicKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var sessionID = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func TestSessionLifecycle(t *testing.T) {
	for _, kind := range sandboxKinds {
		t.Run(kind.name, func(t *testing.T) {
			cfg := testConfig(t)
			svc, fs := kind.mk(t, cfg)
			h := svc.Handler()
			key, other := testPublicKey(t), testPublicKey(t)
			body := map[string]any{
				"user": "alice@example.org", "access_key": "AKIATEST",
				"mounts": []map[string]any{
					{"volume": "local", "vfid": testVFID, "name": "data"},
					{"volume": "local", "vfid": "project:" + strings.ToUpper(scopeUUID) + "/{" + strings.ToUpper(folder2) + "}", "name": "shared-set", "mode": "ro"},
				},
				"ssh_public_keys": []string{string(ssh.MarshalAuthorizedKey(key))},
				"uid":             1000, "gid": 1001,
				"resources": map[string]any{"cpu": 0.5, "memory": "256m", "pids": 32},
				"ttl":       "2h",
			}
			before := time.Now().Add(-time.Second)
			info := mustOpen(t, svc, body)

			if !sessionID.MatchString(info.ID) || info.User != "alice@example.org" {
				t.Errorf("id %q user %q", info.ID, info.User)
			}
			if info.CreatedAt.Before(before) || info.ExpiresAt.Sub(info.CreatedAt) != 2*time.Hour {
				t.Errorf("created %v expires %v", info.CreatedAt, info.ExpiresAt)
			}
			if info.SFTP != (SFTPInfo{Host: "127.0.0.1", Port: 2022, Username: info.ID}) {
				t.Errorf("sftp %+v", info.SFTP)
			}
			wantMounts := []MountInfo{
				{Volume: "local", VFID: "user:6f1b4a6e2f554c1c9a3e2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", Name: "data", Mode: "rw"},
				{Volume: "local", VFID: "project:6f1b4a6e2f554c1c9a3e2f0f1a2b3c4d/11111111222243338444555555555555", Name: "shared-set", Mode: "ro"},
			}
			if !slices.Equal(info.Mounts, wantMounts) {
				t.Errorf("mounts %+v", info.Mounts)
			}
			u, err := url.Parse(info.Web.URL)
			if err != nil || u.Scheme != "https" || u.Host != "127.0.0.1:8443" || u.Path != "/login" {
				t.Fatalf("web url %q", info.Web.URL)
			}

			sess, ok := svc.Lookup(info.ID)
			if !ok || sess.ID() != info.ID || sess.User() != info.User || !slices.Equal(sess.Mounts(), wantMounts) {
				t.Fatal("Lookup does not find the session")
			}
			if err := sess.VerifyToken(info.Token); err != nil {
				t.Errorf("VerifyToken: %v", err)
			}
			if !sess.AuthorizedKey(key) || sess.AuthorizedKey(other) {
				t.Error("AuthorizedKey")
			}
			login := u.Query().Get("token")
			if got, err := svc.RedeemLoginToken(login); err != nil || got != sess {
				t.Errorf("RedeemLoginToken: %v", err)
			}
			if _, err := svc.RedeemLoginToken(login); err == nil {
				t.Error("login token worked twice")
			}

			if fs != nil {
				spec := fs.spec(0)
				if spec.ID != info.ID || spec.UID != 1000 || spec.GID != 1001 ||
					spec.Limits.CPU != 0.5 || spec.Limits.Memory != 256<<20 || spec.Limits.Pids != 32 {
					t.Errorf("spec %+v", spec)
				}
				if len(spec.Mounts) != 2 ||
					spec.Mounts[0].HostPath != folderPath(t, cfg, "local", testVFID) || spec.Mounts[0].ReadOnly ||
					spec.Mounts[1].HostPath != folderPath(t, cfg, "local", testVFID2) || !spec.Mounts[1].ReadOnly ||
					!filepath.IsAbs(spec.Mounts[0].HostPath) {
					t.Errorf("spec mounts %+v", spec.Mounts)
				}
			} else {
				checkSandboxRoot(t, sess, "data", "shared-set")
			}

			list := decode[SessionList](t, call(t, h, "GET", "/sessions", nil, testSecret))
			if len(list.Sessions) != 1 || list.Sessions[0].ID != info.ID || list.Sessions[0].Token != "" ||
				strings.Contains(list.Sessions[0].Web.URL, "token") {
				t.Errorf("list %+v", list)
			}
			got := decode[SessionInfo](t, call(t, h, "GET", "/sessions/"+info.ID, nil, testSecret))
			if got.ID != info.ID || got.Token != "" || !got.ExpiresAt.Equal(info.ExpiresAt) {
				t.Errorf("get %+v", got)
			}

			if rec := call(t, h, "DELETE", "/sessions/"+info.ID, nil, testSecret); rec.Code != http.StatusNoContent {
				t.Fatalf("DELETE: %d %s", rec.Code, rec.Body)
			}
			select {
			case <-sess.Done():
			default:
				t.Error("Done not closed after DELETE")
			}
			if err := sess.VerifyToken(info.Token); err == nil {
				t.Error("token still valid after DELETE")
			}
			if sess.AuthorizedKey(key) {
				t.Error("key still valid after DELETE")
			}
			if _, err := sess.OpenSFTP(t.Context()); err == nil {
				t.Error("OpenSFTP works after DELETE")
			}
			if _, ok := svc.Lookup(info.ID); ok {
				t.Error("Lookup finds a closed session")
			}
			if fs != nil && fs.worker(0).stopCount() != 1 {
				t.Errorf("worker stopped %d times", fs.worker(0).stopCount())
			}
			for _, m := range []string{"GET", "DELETE"} {
				if rec := call(t, h, m, "/sessions/"+info.ID, nil, testSecret); rec.Code != http.StatusNotFound {
					t.Errorf("%s after DELETE: %d", m, rec.Code)
				}
			}
			if used := svc.slots.slots().Used; used != 0 {
				t.Errorf("%d slots used after DELETE", used)
			}
		})
	}
}

// checkSandboxRoot lists / inside the real sandbox over SFTP.
func checkSandboxRoot(t *testing.T, sess *Session, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	release := sess.Hold()
	defer release()
	conn, err := sess.OpenSFTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClientPipe(conn, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	entries, err := c.ReadDir("/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("sandbox root %q lacks %q", names, w)
		}
	}
}

func TestWorkerStartFailure(t *testing.T) {
	svc, fs := newFakeService(t, testConfig(t))
	fs.fail = errors.New("cgroup says no")
	rec := call(t, svc.Handler(), "POST", "/sessions", openBody("alice"), testSecret)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(problemOf(t, rec).Detail, "cgroup says no") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if used := svc.slots.slots().Used; used != 0 {
		t.Fatalf("failed start kept %d slots", used)
	}
}

func TestServiceClose(t *testing.T) {
	for _, kind := range sandboxKinds {
		t.Run(kind.name, func(t *testing.T) {
			svc, _ := kind.mk(t, testConfig(t))
			a := mustOpen(t, svc, openBody("alice"))
			b := mustOpen(t, svc, openBody("bob"))
			sa, _ := svc.Lookup(a.ID)
			sb, _ := svc.Lookup(b.ID)
			if err := svc.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			for _, s := range []*Session{sa, sb} {
				select {
				case <-s.Done():
				default:
					t.Errorf("session %s still open after Close", s.ID())
				}
			}
			if used := svc.slots.slots().Used; used != 0 {
				t.Errorf("%d slots used after Close", used)
			}
			rec := call(t, svc.Handler(), "POST", "/sessions", openBody("carol"), testSecret)
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("open after Close: %d %s", rec.Code, rec.Body)
			}
		})
	}
}
