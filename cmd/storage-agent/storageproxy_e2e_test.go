package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/storage-agent/storage-agent/proxy/events/redistest"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

// TestStorageProxyE2E drives the real daemon as Backend.AI would: the
// manager mints tokens, a user uploads with tus and downloads over the
// client API (TLS, curl), and deleting the folder closes the session that
// mounts it and tells the manager on a real Redis.
func TestStorageProxyE2E(t *testing.T) {
	sock, rdb := redistest.Start(t, 4)
	d := startDaemon(t, "--redis.addr", sock, "--redis.event-format", "msgpack")
	if !strings.HasPrefix(d.clientURL, "https://") {
		t.Fatalf("client API %q, want https", d.clientURL)
	}

	// Open routes and the secret on the others.
	var st struct {
		Type         string `json:"type"`
		StorageProxy string `json:"storage-proxy"`
	}
	if code, _, b := d.apiWithSecret("", "GET", "/status", nil, &st); code != 200 || st.Type != "manager-facing" || st.StorageProxy == "" {
		t.Fatalf("GET /status without secret: %d %s", code, b)
	}
	for _, path := range []string{"/volumes", "/folder/usage"} {
		if code, _, _ := d.apiWithSecret("wrong", "GET", path, `{"volume":"local"}`, nil); code != 403 {
			t.Errorf("GET %s with a wrong secret: %d", path, code)
		}
	}

	vfid, host := d.folder("sp-e2e", "data")
	sess := d.openSession("sp-e2e", []map[string]any{mount(vfid, "data")}, nil)

	// Upload token: the manager sends size as a string.
	var tok struct{ Token string }
	body := map[string]any{"volume": "local", "vfid": vfid, "relpath": "in/hello.txt", "size": "11"}
	if code, _, b := d.api("POST", "/folder/file/upload", body, &tok); code != 200 {
		t.Fatalf("upload token: %d %s", code, b)
	}
	// Client tokens are signed with their own generated secret, never the
	// manager's: a token signed with the manager secret is refused.
	spSecret, err := os.ReadFile(filepath.Join(d.varDir, "storage-proxy.secret"))
	if err != nil || strings.TrimSpace(string(spSecret)) == d.secret {
		t.Fatalf("storage-proxy secret %q (%v) must exist and differ from the manager's", spSecret, err)
	}
	forged, _ := xfertoken.NewSigner([]byte(d.secret), time.Hour).SignDownload("local", vfid, "in/hello.txt")
	if out, err := exec.Command(requireTool(t, "curl"), "-sk", "-o", "/dev/null", "-w", "%{http_code}",
		d.clientURL+"/download?token="+url.QueryEscape(forged)).Output(); err != nil || string(out) != "400" {
		t.Errorf("token signed with the manager secret: %s %v", out, err)
	}
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequest("PATCH", d.clientURL+"/upload?token="+url.QueryEscape(tok.Token), strings.NewReader("hello world"))
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	resp, err := insecure.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "11" {
		t.Fatalf("PATCH: %d %v", resp.StatusCode, resp.Header)
	}
	if b, err := os.ReadFile(filepath.Join(host, "in", "hello.txt")); err != nil || string(b) != "hello world" {
		t.Fatalf("uploaded file: %q %v", b, err)
	}
	// The session's uid ([session] uid, 1000) owns what the upload made.
	for _, p := range []string{"in", "in/hello.txt"} {
		fi, err := os.Stat(filepath.Join(host, p))
		if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 1000 {
			t.Errorf("%s: %v %+v", p, err, fi)
		}
	}

	// Download token; unmanaged_path is always sent, null for vfolders.
	body = map[string]any{"volume": "local", "vfid": vfid, "relpath": "in/hello.txt", "archive": false, "unmanaged_path": nil}
	if code, _, b := d.api("POST", "/folder/file/download", body, &tok); code != 200 {
		t.Fatalf("download token: %d %s", code, b)
	}
	out, err := exec.Command(requireTool(t, "curl"), "-sSfk", d.clientURL+"/download?token="+url.QueryEscape(tok.Token)).Output()
	if err != nil || string(out) != "hello world" {
		t.Fatalf("curl download: %q %v", out, err)
	}

	// Delete: the session closes first, the folder is gone, the manager hears it.
	var task struct {
		BgtaskID string `json:"bgtask_id"`
	}
	if code, _, b := d.api("POST", "/folder/delete", map[string]any{"volume": "local", "vfid": vfid}, &task); code != 202 || task.BgtaskID == "" {
		t.Fatalf("folder/delete: %d %s", code, b)
	}
	if code, _, _ := d.api("GET", "/sessions/"+sess.ID, nil, nil); code != 404 {
		t.Errorf("the session mounting the deleted folder: GET %d, want 404", code)
	}
	if _, err := os.Stat(host); !os.IsNotExist(err) {
		t.Errorf("folder still there: %v", err)
	}
	ctx := context.Background()
	var args []any
	for deadline := time.Now().Add(10 * time.Second); len(args) == 0; time.Sleep(20 * time.Millisecond) {
		entries, _ := rdb.XRange(ctx, "events", "-", "+").Result()
		for _, e := range entries {
			if e.Values["name"] == "vfolder_deletion_success" {
				if err := msgpack.NewDecoder(bytes.NewReader([]byte(e.Values["args"].(string)))).Decode(&args); err != nil {
					t.Fatal(err)
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no vfolder_deletion_success on the stream; daemon log:\n%s", d.log.String())
		}
	}
	want := "user:" + uuidFrom("user:sp-e2e") + "/" + strings.ReplaceAll(uuidFrom("sp-e2e/data"), "-", "")
	if len(args) != 1 || args[0] != want {
		t.Errorf("event args %v, want [%s]", args, want)
	}
}

// TestClientAPIPlainHTTP: ssl-enabled = false serves the client API over
// plain HTTP (behind a TLS-terminating proxy), and no Redis is said once.
func TestClientAPIPlainHTTP(t *testing.T) {
	d := startDaemon(t, "--api.client.ssl-enabled", "false")
	if !strings.HasPrefix(d.clientURL, "http://") {
		t.Fatalf("client API %q, want http", d.clientURL)
	}
	resp, err := http.Get(d.clientURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Type string }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.Type != "client-facing" {
		t.Fatalf("GET /: %v %+v", err, st)
	}
	if n := strings.Count(d.log.String(), "the manager will not hear"); n != 1 {
		t.Errorf("the no-Redis warning appears %d times:\n%s", n, d.log.String())
	}
}

// TestClientAPIOwnCertificate: [api.client] ssl-cert/ssl-privkey are
// served instead of the generated certificate.
func TestClientAPIOwnCertificate(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeTestCert(t, cert, key, 6021)
	d := startDaemon(t, "--api.client.ssl-cert", cert, "--api.client.ssl-privkey", key)
	if got := servedSerial(strings.TrimPrefix(d.clientURL, "https://")); got != "6021" {
		t.Fatalf("client API serves serial %q, want 6021", got)
	}
}

// TestEventsJSONFormat: with event-format = "json" the manager of
// Backend.AI main reads payload fields: the deletion on the stream and the
// task's end cached under bgtask.<id>.
func TestEventsJSONFormat(t *testing.T) {
	sock, rdb := redistest.Start(t, 4)
	d := startDaemon(t, "--redis.addr", sock, "--redis.event-format", "json")
	vfid, _ := d.folder("sp-json", "data")
	var task struct {
		BgtaskID string `json:"bgtask_id"`
	}
	if code, _, b := d.api("POST", "/folder/delete", map[string]any{"volume": "local", "vfid": vfid}, &task); code != 202 {
		t.Fatalf("folder/delete: %d %s", code, b)
	}
	want := `{"vfid":"user:` + uuidFrom("user:sp-json") + "/" + strings.ReplaceAll(uuidFrom("sp-json/data"), "-", "") + `"}`
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		entries, _ := rdb.XRange(ctx, "events", "-", "+").Result()
		cached, _ := rdb.Get(ctx, "bgtask."+task.BgtaskID).Result()
		if len(entries) == 1 && cached != "" {
			if v := entries[0].Values; v["name"] != "vfolder_deletion_success" || v["payload"] != want {
				t.Errorf("stream entry %v, want payload %s", v, want)
			}
			var env map[string]string
			if err := json.Unmarshal([]byte(cached), &env); err != nil || env["name"] != "bgtask_done" ||
				env["payload"] != `{"task_id":"`+task.BgtaskID+`","message":null}` {
				t.Errorf("cached bgtask event %q: %v", cached, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events: stream %v, cache %q; daemon log:\n%s", entries, cached, d.log.String())
		}
	}
}
