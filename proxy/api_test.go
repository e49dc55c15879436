package proxy

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestProbesNeedNoSecret(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	for _, path := range []string{"/health", "/livez", "/readyz"} {
		rec := call(t, svc.Handler(), "GET", path, nil, "")
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
			t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
		}
	}
}

func TestAuthRequired(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	routes := []struct{ method, path string }{
		{"GET", "/volumes"}, {"POST", "/folder/create"}, {"GET", "/folder/usage"}, {"POST", "/folder/file/list"},
		{"GET", "/quota-scope"}, {"POST", "/folder/delete"}, {"POST", "/folder/file/download"},
		{"POST", "/sessions"}, {"GET", "/sessions"}, {"GET", "/sessions/abc"}, {"DELETE", "/sessions/abc"},
	}
	for _, r := range routes {
		for _, secret := range []string{"", "wrong", testSecret + "x", testSecret[:5]} {
			t.Run(r.method+r.path+"/"+secret, func(t *testing.T) {
				rec := call(t, svc.Handler(), r.method, r.path, `{}`, secret)
				if rec.Code != http.StatusForbidden {
					t.Fatalf("status %d, want 403: %s", rec.Code, rec.Body)
				}
				if p := problemOf(t, rec); p.Type != problemTypeBase+"forbidden" {
					t.Errorf("type %q", p.Type)
				}
			})
		}
	}
}

func TestStatus(t *testing.T) {
	cfg := testConfig(t)
	cfg.Session.MaxSessions = 7
	svc, _ := newFakeService(t, cfg)
	call(t, svc.Handler(), "POST", "/sessions", openBody("alice"), testSecret)
	// Open, as in Backend.AI, with its keys beside ours; "/" is the same.
	for _, path := range []string{"/status", "/"} {
		rec := call(t, svc.Handler(), "GET", path, nil, "")
		got := decode[StatusInfo](t, rec)
		want := StatusInfo{Status: "ok", Type: "manager-facing", StorageProxy: "test", AgentID: "agent-test",
			Version: "test", Sessions: SlotsInfo{Max: 7, Used: 1}}
		if rec.Code != http.StatusOK || got != want {
			t.Fatalf("GET %s = %d %+v, want %+v", path, rec.Code, got, want)
		}
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	if rec := call(t, svc.Handler(), "GET", "/nope", nil, testSecret); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nope = %d", rec.Code)
	} else {
		problemOf(t, rec)
	}
	if rec := call(t, svc.Handler(), "PUT", "/sessions", nil, testSecret); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT /sessions = %d", rec.Code)
	} else {
		problemOf(t, rec)
	}
}

// TestOpenRejects runs every refused request against the real sandbox: none
// of them may get as far as starting a worker.
func TestOpenRejects(t *testing.T) {
	cfg := testConfig(t)
	// A folder that is a symlink to another folder, and one that is a file.
	linked := "user:" + scopeUUID + "/" + "22222222-2222-4222-8222-222222222222"
	lp := folderPath(t, cfg, "local", linked)
	os.MkdirAll(filepath.Dir(lp), 0o755)
	if err := os.Symlink(folderPath(t, cfg, "local", testVFID), lp); err != nil {
		t.Fatal(err)
	}
	file := "user:" + scopeUUID + "/" + "33333333-3333-4333-8333-333333333333"
	fp := folderPath(t, cfg, "local", file)
	os.MkdirAll(filepath.Dir(fp), 0o755)
	os.WriteFile(fp, nil, 0o644)

	mnt := func(volume, vfid, name, mode string) string {
		return `{"volume":"` + volume + `","vfid":"` + vfid + `","name":"` + name + `","mode":"` + mode + `"}`
	}
	good := mnt("local", testVFID, "data", "rw")
	withMounts := func(ms ...string) string { return `{"user":"alice","mounts":[` + strings.Join(ms, ",") + `]}` }
	with := func(extra string) string { return `{"user":"alice","mounts":[` + good + `],` + extra + `}` }
	many := make([]string, 33)
	for i := range many {
		many[i] = mnt("local", testVFID, "d"+strings.Repeat("x", i), "ro")
	}
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcHtB2A4Y5cFsy6iK7oJmB3dx7S8cPWs0mVSgH9Fv4Y"

	tests := []struct {
		name, body string
		status     int
		detail     string // must appear in the problem detail
	}{
		{"unknown field", with(`"bogus":1`), 400, `bogus`},
		{"unknown nested field", withMounts(`{"volume":"local","vfid":"` + testVFID + `","name":"d","x":1}`), 400, `x: unknown field`},
		{"trailing garbage", with(`"ttl":"1h"`) + `xyz`, 400, "trailing data"},
		{"two values", with(`"ttl":"1h"`) + `{}`, 400, "trailing data"},
		{"empty body", ``, 400, "empty"},
		{"not json", `user=alice`, 400, "invalid JSON"},
		{"truncated", `{"user":"alice"`, 400, "truncated"},
		{"array body", `[]`, 400, "request body: want a JSON object"},
		{"2 MiB body", `{"user":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "more than"},
		{"user wrong type", `{"user":5}`, 400, "user"},
		{"user missing", `{"mounts":[` + good + `]}`, 400, "user: required"},
		{"user bad char", `{"user":"al ice","mounts":[` + good + `]}`, 400, "user:"},
		{"user slash", `{"user":"a/b","mounts":[` + good + `]}`, 400, "user:"},
		{"user too long", `{"user":"` + strings.Repeat("a", 65) + `","mounts":[` + good + `]}`, 400, "user:"},
		{"no mounts", withMounts(), 400, "mounts:"},
		{"33 mounts", withMounts(many...), 400, "mounts:"},
		{"name empty", withMounts(mnt("local", testVFID, "", "rw")), 400, "mounts[0].name"},
		{"name slash", withMounts(mnt("local", testVFID, "a/b", "rw")), 400, "mounts[0].name"},
		{"name dotdot", withMounts(mnt("local", testVFID, "..", "rw")), 400, "mounts[0].name"},
		{"name dot", withMounts(mnt("local", testVFID, ".", "rw")), 400, "mounts[0].name"},
		{"name escape dotdot", withMounts(mnt("local", testVFID, "../etc", "rw")), 400, "mounts[0].name"},
		{"name proc", withMounts(good, mnt("local", testVFID, "proc", "rw")), 400, "mounts[1].name"},
		{"name dev", withMounts(mnt("local", testVFID, "dev", "rw")), 400, "mounts[0].name"},
		{"name tmp", withMounts(mnt("local", testVFID, "tmp", "rw")), 400, "mounts[0].name"},
		{"name NUL", withMounts(mnt("local", testVFID, `a\u0000b`, "rw")), 400, "mounts[0].name"},
		{"name newline", withMounts(mnt("local", testVFID, `a\nb`, "rw")), 400, "mounts[0].name"},
		{"name 256 bytes", withMounts(mnt("local", testVFID, strings.Repeat("n", 256), "rw")), 400, "mounts[0].name"},
		{"duplicate names", withMounts(good, mnt("local", testVFID2, "data", "ro")), 400, "mounts[1].name"},
		{"bad mode", withMounts(mnt("local", testVFID, "d", "rx")), 400, "mounts[0].mode"},
		{"volume empty", withMounts(mnt("", testVFID, "d", "rw")), 400, "mounts[0].volume"},
		{"vfid no slash", withMounts(mnt("local", "user:"+scopeUUID, "d", "rw")), 400, "mounts[0].vfid"},
		{"vfid bad kind", withMounts(mnt("local", "group:"+scopeUUID+"/"+folderUUID, "d", "rw")), 400, "mounts[0].vfid"},
		{"vfid bad scope", withMounts(mnt("local", "user:../../etc/"+folderUUID, "d", "rw")), 400, "mounts[0].vfid"},
		{"vfid bad folder", withMounts(mnt("local", "user:"+scopeUUID+"/../../x", "d", "rw")), 400, "mounts[0].vfid"},
		{"vfid extra path", withMounts(mnt("local", testVFID+"/x", "d", "rw")), 400, "mounts[0].vfid"},
		{"ssh key garbage", with(`"ssh_public_keys":["` + key + `","ssh-rsa nope"]`), 400, "ssh_public_keys[1]"},
		{"ssh key options", with(`"ssh_public_keys":["command=\"x\" ` + key + `"]`), 400, "ssh_public_keys[0]"},
		{"ssh two keys", with(`"ssh_public_keys":["` + key + `\n` + key + `"]`), 400, "ssh_public_keys[0]"},
		{"uid negative", with(`"uid":-1`), 400, "uid"},
		{"uid root", with(`"uid":0`), 400, "uid"},
		{"gid root", with(`"gid":0`), 400, "gid"},
		{"gid negative", with(`"gid":-1`), 400, "gid"},
		{"uid huge", with(`"uid":4294967295`), 400, "uid"},
		{"cpu zero", with(`"resources":{"cpu":0}`), 400, "resources.cpu"},
		{"cpu above max", with(`"resources":{"cpu":1.5}`), 400, "resources.cpu"},
		{"memory above max", with(`"resources":{"memory":"2g"}`), 400, "resources.memory"},
		{"memory bytes above max", with(`"resources":{"memory":1073741825}`), 400, "resources.memory"},
		{"memory garbage", with(`"resources":{"memory":"lots"}`), 400, "resources.memory"},
		{"memory zero", with(`"resources":{"memory":0}`), 400, "resources.memory"},
		{"memory wrong type", with(`"resources":{"memory":true}`), 400, "resources.memory"},
		{"pids above max", with(`"resources":{"pids":65}`), 400, "resources.pids"},
		{"pids zero", with(`"resources":{"pids":0}`), 400, "resources.pids"},
		{"resources unknown", with(`"resources":{"gpu":1}`), 400, "gpu"},
		{"ttl above max-ttl", with(`"ttl":"25h"`), 400, "ttl: must be > 0 and at most session.max-ttl (24h)"},
		{"ttl zero", with(`"ttl":"0s"`), 400, "ttl"},
		{"ttl negative", with(`"ttl":"-1h"`), 400, "ttl"},
		{"ttl garbage", with(`"ttl":"tomorrow"`), 400, "ttl"},
		{"ttl number", with(`"ttl":3600`), 400, "ttl"},
		{"max per user zero", with(`"max_sessions_per_user":0`), 400, "max_sessions_per_user"},
		{"unknown volume", withMounts(mnt("nope", testVFID, "d", "rw")), 404, `mounts[0].volume "nope": unknown volume`},
		{"missing folder", withMounts(mnt("local", "user:"+scopeUUID+"/"+strings.Repeat("f", 32), "d", "rw")), 404, "vfolder not found"},
		{"missing scope", withMounts(mnt("local", "project:"+strings.Repeat("e", 32)+"/"+folderUUID, "d", "rw")), 404, "vfolder not found"},
		{"folder is symlink", withMounts(mnt("local", linked, "d", "rw")), 404, "(not a directory)"},
		{"folder is file", withMounts(mnt("local", file, "d", "rw")), 404, "(not a directory)"},
	}
	svc := newService(t, cfg, realSandbox(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := call(t, svc.Handler(), "POST", "/sessions", tt.body, testSecret)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			p := problemOf(t, rec)
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not name %q", p.Detail, tt.detail)
			}
			t.Log(p.Detail)
			if used := svc.slots.slots().Used; used != 0 {
				t.Errorf("%d slots used after a refused open", used)
			}
		})
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key)); err != nil {
		t.Fatalf("test key does not parse: %v", err)
	}
}
