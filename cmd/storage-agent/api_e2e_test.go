package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// problem is an application/problem+json body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func TestManagerAPIAdmission(t *testing.T) {
	d := startDaemon(t, "--session.max-sessions", "3", "--session.max-sessions-per-user", "1")
	vfid, _ := d.folder("adm-a", "data")
	body := func(user string, extra map[string]any) map[string]any {
		b := map[string]any{"user": user, "mounts": []map[string]any{mount(vfid, "data")}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	expect := func(name string, code int, b map[string]any) {
		t.Helper()
		got, hdr, data := d.api("POST", "/sessions", b, nil)
		if got != code {
			t.Fatalf("%s: status %d, want %d: %s", name, got, code, data)
		}
		if code >= 400 {
			if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("%s: content-type %q", name, ct)
			}
			var p problem
			if err := json.Unmarshal(data, &p); err != nil || p.Status != code || p.Detail == "" {
				t.Errorf("%s: problem body %s", name, data)
			}
		}
		if code == 503 && hdr.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", name)
		}
	}
	expect("first for a", 201, body("a", nil))
	expect("second for a (per-user limit 1)", 429, body("a", nil))
	expect("a with its own limit of 2", 201, body("a", map[string]any{"max_sessions_per_user": 2}))
	expect("first for b", 201, body("b", nil))
	expect("agent full", 503, body("c", nil))

	var st struct {
		Status   string `json:"status"`
		AgentID  string `json:"agent_id"`
		Sessions struct{ Max, Used int }
	}
	if code, _, data := d.api("GET", "/status", nil, &st); code != 200 || st.Sessions.Max != 3 || st.Sessions.Used != 3 || st.AgentID == "" {
		t.Fatalf("status: %d %s", code, data)
	}
	var list struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	if code, _, data := d.api("GET", "/sessions", nil, &list); code != 200 || len(list.Sessions) != 3 {
		t.Fatalf("list: %d %s", code, data)
	}
	if code, _, _ := d.api("DELETE", "/sessions/"+list.Sessions[0].ID, nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	expect("a slot is free again", 201, body("c", nil))
	if code, _, _ := d.api("DELETE", "/sessions/no-such-id", nil, nil); code != 404 {
		t.Fatalf("delete unknown: %d", code)
	}
}

func TestManagerAPIRejectsBadInput(t *testing.T) {
	d := shared(t)
	vfid, _ := d.folder("bad-user", "data")
	good := func() map[string]any {
		return map[string]any{"user": "bad-user", "mounts": []map[string]any{mount(vfid, "data")}}
	}
	with := func(k string, v any) map[string]any { b := good(); b[k] = v; return b }
	cases := []struct {
		name  string
		body  any
		code  int
		field string // must appear in detail
	}{
		{"malformed json", `{"user": "x", "mounts": [`, 400, ""},
		{"unknown field", with("colour", "blue"), 400, "colour"},
		{"unknown mount field", with("mounts", []map[string]any{{"volume": "local", "vfid": vfid, "name": "d", "size": 1}}), 400, "size"},
		{"trailing data", `{"user":"bad-user","mounts":[]} {}`, 400, ""},
		{"no user", map[string]any{"mounts": []map[string]any{mount(vfid, "data")}}, 400, "user"},
		{"no mounts", with("mounts", []map[string]any{}), 400, "mounts"},
		{"ttl above max-ttl", with("ttl", "9999h"), 400, "ttl"},
		{"ttl garbage", with("ttl", "soon"), 400, "ttl"},
		{"name with slash", with("mounts", []map[string]any{mount(vfid, "a/b")}), 400, "name"},
		{"name dotdot", with("mounts", []map[string]any{mount(vfid, "..")}), 400, "name"},
		{"name dot", with("mounts", []map[string]any{mount(vfid, ".")}), 400, "name"},
		{"name empty", with("mounts", []map[string]any{mount(vfid, "")}), 400, "name"},
		{"name reserved", with("mounts", []map[string]any{mount(vfid, "proc")}), 400, "name"},
		{"duplicate names", with("mounts", []map[string]any{mount(vfid, "d"), mount(vfid, "d")}), 400, "name"},
		{"bad mode", with("mounts", []map[string]any{{"volume": "local", "vfid": vfid, "name": "d", "mode": "rwx"}}), 400, "mode"},
		{"bad vfid", with("mounts", []map[string]any{mount("user:nope/../../etc", "d")}), 400, "vfid"},
		{"cpu above max", with("resources", map[string]any{"cpu": 64}), 400, "cpu"},
		{"memory above max", with("resources", map[string]any{"memory": "64g"}), 400, "memory"},
		{"bad ssh key", with("ssh_public_keys", []string{"ssh-ed25519 garbage"}), 400, "ssh_public_keys"},
		{"unknown volume", with("mounts", []map[string]any{{"volume": "nope", "vfid": vfid, "name": "d"}}), 404, "nope"},
		{"unknown vfolder", with("mounts", []map[string]any{mount("user:"+uuidFrom("x")+"/"+uuidFrom("y"), "d")}), 404, ""},
		{"huge body", `{"user":"` + strings.Repeat("a", 2<<20) + `"}`, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, data := d.api("POST", "/sessions", c.body, nil)
			if code != c.code && !(c.name == "huge body" && code == 413) {
				t.Fatalf("status %d, want %d: %s", code, c.code, data)
			}
			var p problem
			if err := json.Unmarshal(data, &p); err != nil {
				t.Fatalf("not problem+json: %s", data)
			}
			if !strings.Contains(p.Detail, c.field) {
				t.Fatalf("detail %q does not name %q", p.Detail, c.field)
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		for _, secret := range []string{"", "wrong", d.secret + "x"} {
			if code, _, _ := d.apiWithSecret(secret, "GET", "/sessions", nil, nil); code != 403 {
				t.Fatalf("secret %q: status %d, want 403", secret, code)
			}
		}
	})
	var list struct {
		Sessions []json.RawMessage `json:"sessions"`
	}
	d.api("GET", "/sessions", nil, &list)
	for _, s := range list.Sessions {
		if strings.Contains(string(s), `"bad-user"`) {
			t.Fatalf("a refused request left a session behind: %s", s)
		}
	}
}
