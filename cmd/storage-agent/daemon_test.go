package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
)

// The end-to-end tests run the real daemon: this test binary re-executes
// itself with daemonEnv set and becomes `storage-agent serve` (and, inside
// sandboxes, its workers), then the tests drive it with real clients.
const daemonEnv = "SA_E2E_DAEMON"

func TestMain(m *testing.M) {
	isolation.RunChildRole()
	sandboxtest.RunRole("/dev/.storage-agent-worker")
	if os.Getenv(daemonEnv) == "1" {
		ctx, stop := signalContext()
		code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	if sharedDaemon.d != nil {
		sharedDaemon.d.stop()
	}
	os.Exit(code)
}

// sharedDaemon is the one daemon most tests of this package share; tests
// that need special limits or kill the daemon start their own.
var sharedDaemon struct {
	once sync.Once
	d    *daemon
}

// shared returns the package's shared daemon, bound to t.
func shared(t *testing.T) *daemon {
	t.Helper()
	sharedDaemon.once.Do(func() {
		d := newDaemon(t, "--session.max-sessions", "200", "--session.max-sessions-per-user", "50")
		d.start()
		sharedDaemon.d = d
	})
	if sharedDaemon.d == nil {
		t.Fatal("the shared daemon failed to start (see the first test's failure)")
	}
	d := *sharedDaemon.d
	d.t = t
	return &d
}

// daemon is one running storage-agent serve process.
type daemon struct {
	t        *testing.T
	cmd      *exec.Cmd
	varDir   string
	args     []string
	mgrURL   string
	sftp     string // host:port
	sftpPort string
	webURL   string // https://host:port of webfs
	// clientURL is the storage proxy's client API.
	clientURL string
	secret    string
	log       *syncBuffer
	out       *syncBuffer // stdout: the banner
	exited    chan struct{}
}

// startDaemon starts a daemon on free ports with its own var dir; extra
// args are config flags such as "--session.max-sessions", "2".
func startDaemon(t *testing.T, extra ...string) *daemon {
	t.Helper()
	d := newDaemon(t, extra...)
	d.start()
	t.Cleanup(d.stop)
	return d
}

// newDaemon prepares (but does not start) a daemon with its own var dir.
func newDaemon(t *testing.T, extra ...string) *daemon {
	t.Helper()
	requireRoot(t)
	varDir, err := os.MkdirTemp("", "sa-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, varDir: varDir}
	d.args = append([]string{
		"--agent.var-base-path", varDir,
		"--api.manager.service-addr.port", "0",
		"--sftp.service-addr.host", "127.0.0.1",
		"--sftp.service-addr.port", "0",
		"--webfs.service-addr.port", "0",
		"--api.client.service-addr.host", "127.0.0.1",
		"--api.client.service-addr.port", "0",
	}, extra...)
	return d
}

// bannerLine matches the banner's listener lines: name, then the URL
// clients use.
var bannerLine = regexp.MustCompile(`^(manager-api|sftp|webfs|client-api):\s+(\S+)`)

func (d *daemon) start() {
	t := d.t
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(self, append(append([]string{}, d.args...), "serve")...)
	d.cmd.Env = append(os.Environ(), daemonEnv+"=1")
	d.log, d.out = &syncBuffer{}, &syncBuffer{}
	d.cmd.Stderr = d.log
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.exited = make(chan struct{})
	go func() { d.cmd.Wait(); close(d.exited) }()
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		n := 0
		for sc.Scan() {
			fmt.Fprintln(d.out, sc.Text())
			if m := bannerLine.FindStringSubmatch(sc.Text()); m != nil {
				switch m[1] {
				case "manager-api":
					d.mgrURL = m[2]
				case "sftp":
					d.sftp = strings.TrimPrefix(m[2], "sftp://")
					d.sftpPort = m[2][strings.LastIndex(m[2], ":")+1:]
				case "webfs":
					d.webURL = m[2]
				case "client-api":
					d.clientURL = m[2]
				}
				if n++; n == 4 {
					close(found)
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case <-found:
	case <-d.exited:
		t.Fatalf("daemon exited during start:\n%s", d.log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("daemon did not start:\n%s", d.log.String())
	}
	b, err := os.ReadFile(filepath.Join(d.varDir, "manager.secret"))
	if err != nil {
		t.Fatal(err)
	}
	d.secret = strings.TrimSpace(string(b))
}

// stop shuts the daemon down with SIGTERM, as systemd would.
func (d *daemon) stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	select {
	case <-d.exited:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		fmt.Fprintf(os.Stderr, "daemon ignored SIGTERM:\n%s", d.log.String())
	}
	os.RemoveAll(d.varDir)
}

// kill ends the daemon with SIGKILL, leaving whatever it had running.
func (d *daemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
}

// api calls the manager API and decodes a JSON answer into out (if non-nil).
func (d *daemon) api(method, path string, body any, out any) (int, http.Header, []byte) {
	d.t.Helper()
	return d.apiWithSecret(d.secret, method, path, body, out)
}

func (d *daemon) apiWithSecret(secret, method, path string, body any, out any) (int, http.Header, []byte) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.mgrURL+path, bodyReader(d.t, body))
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-BackendAI-Storage-Auth-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			d.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode, resp.Header, data
}

// bodyReader turns a test request body into a reader: nil for none, a
// string, bytes or a reader as they are, anything else as JSON.
func bodyReader(t *testing.T, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	case io.Reader:
		return b
	}
	js, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(js)
}

// folder creates a vfolder through the API and returns its vfid and host path.
func (d *daemon) folder(user, name string) (vfid, hostPath string) {
	d.t.Helper()
	qsid := uuidFrom("user:" + user)
	fid := uuidFrom(user + "/" + name)
	vfid = "user:" + qsid + "/" + fid
	if code, _, body := d.api("POST", "/folder/create", map[string]any{"volume": "local", "vfid": vfid}, nil); code != 204 {
		d.t.Fatalf("folder/create: %d %s", code, body)
	}
	hex := strings.ReplaceAll(fid, "-", "")
	hostPath = filepath.Join(d.varDir, "volumes", "local", strings.ReplaceAll(qsid, "-", ""), hex[:2], hex[2:4], hex[4:])
	return vfid, hostPath
}

// sessionInfo is the 201 answer of POST /sessions.
type sessionInfo struct {
	ID    string `json:"id"`
	User  string `json:"user"`
	Token string `json:"token"`
	SFTP  struct {
		Host     string `json:"host"`
		Port     int    `json:"port"`
		Username string `json:"username"`
	} `json:"sftp"`
	Web struct {
		URL string `json:"url"`
	} `json:"web"`
}

// openSession opens a session with the given mounts (maps of the API's
// mount fields) and fails the test unless the daemon answers 201.
func (d *daemon) openSession(user string, mounts []map[string]any, extra map[string]any) sessionInfo {
	d.t.Helper()
	body := map[string]any{"user": user, "mounts": mounts}
	for k, v := range extra {
		body[k] = v
	}
	var s sessionInfo
	code, _, data := d.api("POST", "/sessions", body, &s)
	if code != 201 {
		d.t.Fatalf("open session: %d %s", code, data)
	}
	return s
}

func uuidFrom(s string) string {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return fmt.Sprintf("%s-%s-%s-%s-%s", x[:8], x[8:12], x[12:16], x[16:20], x[20:32])
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("end-to-end tests need root for the sandbox (CI runs as root): run `sudo make test`")
	}
}

func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required (make test installs it with apt-get): %v", name, err)
	}
	return p
}

// syncBuffer collects a process's output safely from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
