package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// benchWebFS measures the HTTPS file API side by side (issue 4): a 1 GiB
// download against nginx serving the same file over TLS, a 1 GiB tus
// upload in 10 MiB chunks against OpenSSH's sftp put, and a listing of
// 100,000 files against ls -l, with the daemon's peak memory.
func benchWebFS(ctx context.Context, e *env, r *report) error {
	if err := placeBig(e); err != nil {
		return err
	}
	w, err := e.webLogin()
	if err != nil {
		return err
	}
	if err := benchWebDownload(ctx, e, w, r); err != nil {
		return err
	}
	if err := benchWebUpload(ctx, e, w, r); err != nil {
		return err
	}
	return benchWebListing(ctx, e, w, r)
}

// webBench is a logged-in HTTPS client of the benchmark's daemon.
type webBench struct {
	hc    *http.Client
	base  string
	token string
	ca    string
}

// webLogin opens a fresh session on the benchmark folder and logs in.
func (e *env) webLogin() (*webBench, error) { return e.webLoginAs("bench-web") }

// webLoginAs is webLogin for a session of user.
func (e *env) webLoginAs(user string) (*webBench, error) {
	// The benchmark folder of setup (createFolder refuses to make it twice).
	vfid := "user:" + uuidOf("user:bench") + "/" + uuidOf("bench/data")
	code, body, err := e.api("POST", "/sessions", map[string]any{"user": user,
		"mounts": []map[string]any{{"volume": "local", "vfid": vfid, "name": "data"}}})
	if err != nil || code != 201 {
		return nil, fmt.Errorf("open session: %d %s %v", code, body, err)
	}
	var s struct{ ID, Token string }
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, err
	}
	ca, hc, err := e.agentHTTPClient()
	if err != nil {
		return nil, err
	}
	w := &webBench{base: e.webURL, ca: ca, hc: hc}
	resp, err := w.hc.Post(w.base+"/api/login", "application/json",
		strings.NewReader(`{"username":"`+s.ID+`","password":"`+s.Token+`"}`))
	if err != nil {
		return nil, err
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("web login: %d %s", resp.StatusCode, tok)
	}
	w.token = string(tok)
	return w, nil
}

// agentHTTPClient is an HTTPS client that trusts the daemon's generated
// certificate (webfs and the client API share it), with big buffers;
// ca is the certificate's file, for curl.
func (e *env) agentHTTPClient() (ca string, hc *http.Client, err error) {
	ca = filepath.Join(e.agentVar, "webfs", "cert.pem")
	pem, err := os.ReadFile(ca)
	if err != nil {
		return "", nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return ca, &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, WriteBufferSize: 256 << 10, ReadBufferSize: 256 << 10}}, nil
}

// curlGet downloads url to /dev/null with curl over HTTP/1.1.
func curlGet(ctx context.Context, ca, url string, hdr ...string) (time.Duration, error) {
	args := []string{"-sSf", "--http1.1", "-o", "/dev/null"}
	if ca != "" { // "" for plain HTTP
		// One TLS version and cipher for both servers: left to choose,
		// nginx takes curl's first (AES-256-GCM) and Go its own first
		// (AES-128-GCM), which is not the same work.
		args = append(args, "--cacert", ca, "--tlsv1.3", "--tls13-ciphers", "TLS_AES_128_GCM_SHA256")
	}
	for _, h := range hdr {
		args = append(args, "-H", h)
	}
	start := time.Now()
	out, err := exec.CommandContext(ctx, "curl", append(args, url)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("curl %s: %v: %s", url, err, out)
	}
	return time.Since(start), nil
}

func benchWebDownload(ctx context.Context, e *env, w *webBench, r *report) error {
	ngx, url, err := e.startNginx(ctx, true)
	if err != nil {
		return err
	}
	defer stopNginx(ngx)
	ours, ref, err := alternateAgainst(ctx, e, "nginx", func(t target) (time.Duration, error) {
		if t.name == "storage-agent" {
			return curlGet(ctx, w.ca, w.base+"/api/raw/data/big.bin", "X-Auth: "+w.token)
		}
		return curlGet(ctx, w.ca, url+"/big.bin")
	})
	if err != nil {
		return err
	}
	r.download("webfs download 1 GiB vs nginx", e.o.bigSize, ours, ref, 1.1, true)
	return nil
}

// startNginx serves the benchmark folder on a free loopback port, over
// TLS (the daemon's own certificate) or plain HTTP.
func (e *env) startNginx(ctx context.Context, withTLS bool) (*exec.Cmd, string, error) {
	return e.startNginxWorkers(ctx, withTLS, 1)
}

// startNginxWorkers is startNginx with a number of worker processes; more
// than one needs nginx's master process, which stopNginx ends gracefully.
func (e *env) startNginxWorkers(ctx context.Context, withTLS bool, workers int) (*exec.Cmd, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(e.dir, "nginx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	tlsConf, scheme := "", "http"
	if withTLS {
		tlsConf = fmt.Sprintf(" ssl;\n    ssl_certificate %[1]s/cert.pem; ssl_certificate_key %[1]s/key.pem;\n    ssl_protocols TLSv1.2 TLSv1.3",
			filepath.Join(e.agentVar, "webfs"))
		scheme = "https"
	}
	master := "off"
	if workers > 1 {
		master = "on"
	}
	conf := fmt.Sprintf(`daemon off; master_process %[5]s; worker_processes %[6]d; user root;
error_log %[1]s/error.log; pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
  access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]s%[4]s;
    root %[3]s;
  }
}
`, dir, port, e.agentDir, tlsConf, master, workers)
	cf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, "/usr/sbin/nginx", "-c", cf, "-p", dir)
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("nginx (apt-get install nginx-light): %w", err)
	}
	e.cpu.adopt(sideRef, cmd.Process.Pid)
	if err := waitPort("127.0.0.1:" + port); err != nil {
		cmd.Process.Kill()
		return nil, "", err
	}
	// Workers the master forked before it was adopted stay where they
	// were born; once it listens, they all exist.
	for _, pid := range childrenOf(cmd.Process.Pid) {
		e.cpu.adopt(sideRef, pid)
	}
	return cmd, scheme + "://127.0.0.1:" + port, nil
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// stopNginx ends nginx and, through its master, its workers.
func stopNginx(ngx *exec.Cmd) {
	_ = ngx.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = ngx.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = ngx.Process.Kill()
		<-done
	}
}

// tusUpload uploads the big file with tus in 10 MiB chunks.
func (w *webBench) tusUpload(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, _ := f.Stat()
	do := func(method string, body io.Reader, n int64, hdr map[string]string) (*http.Response, error) {
		req, _ := http.NewRequest(method, w.base+"/api/tus"+dst+"?override=true", body)
		req.ContentLength = n
		req.Header.Set("X-Auth", w.token)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := w.hc.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := do("POST", nil, 0, map[string]string{"Upload-Length": strconv.FormatInt(fi.Size(), 10)})
	if err != nil || resp.StatusCode != 201 {
		return fmt.Errorf("tus POST: %v %v", resp, err)
	}
	const chunk = 10 << 20
	for off := int64(0); off < fi.Size(); off += chunk {
		n := min(chunk, fi.Size()-off)
		resp, err := do("PATCH", io.NewSectionReader(f, off, n), n, map[string]string{
			"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.FormatInt(off, 10)})
		if err != nil || resp.StatusCode != 204 {
			return fmt.Errorf("tus PATCH at %d: %v %v", off, resp, err)
		}
	}
	return nil
}

func benchWebUpload(ctx context.Context, e *env, w *webBench, r *report) error {
	return tusAgainstSFTPPut(ctx, e, r, "webfs tus upload 1 GiB vs sftp", "tus.bin",
		func() error { return w.tusUpload(e.bigFile, "/data/tus.bin") })
}

// tusAgainstSFTPPut alternates up (a tus upload of the big file into
// ours, named file) with OpenSSH's sftp put of the same file.
func tusAgainstSFTPPut(ctx context.Context, e *env, r *report, name, file string, up func() error) error {
	_, ref := e.targets()
	var ours, refs []sample
	for i := 0; i < e.o.rounds; i++ {
		e.settle()
		os.Remove(filepath.Join(e.agentDir, file))
		o, err := e.cpu.measure(sideOurs, func() (time.Duration, error) {
			start := time.Now()
			err := up()
			return time.Since(start), err
		})
		if err != nil {
			return err
		}
		ours = append(ours, o)
		e.settle()
		os.Remove(filepath.Join(ref.host, "put.bin"))
		d, err := e.cpu.measure(sideRef, func() (time.Duration, error) {
			return e.sftpClient(ctx, ref.port, ref.login, "put "+e.bigFile+" "+ref.dir+"/put.bin\n")
		})
		if err != nil {
			return err
		}
		refs = append(refs, d)
		fmt.Fprintf(os.Stderr, "  round %d tus %s, sftp put %s\n", i+1, o.wall.Round(time.Millisecond), d.wall.Round(time.Millisecond))
	}
	r.throughput(name, e.o.bigSize, ours, refs, 1.0)
	return nil
}

func benchWebListing(ctx context.Context, e *env, w *webBench, r *report) error {
	dir, err := makeMany(e)
	if err != nil {
		return err
	}
	var ours, ref []time.Duration
	for i := 0; i < e.o.rounds; i++ {
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, "GET", w.base+"/api/resources/data/many/", nil)
		req.Header.Set("X-Auth", w.token)
		resp, err := w.hc.Do(req)
		if err != nil {
			return err
		}
		got, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("listing: %d", resp.StatusCode)
		}
		ours = append(ours, time.Since(start))
		start = time.Now()
		cmd := exec.CommandContext(ctx, "ls", "-l", dir)
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			return err
		}
		ref = append(ref, time.Since(start))
		fmt.Fprintf(os.Stderr, "  round %d listing %s (%d bytes), ls -l %s\n", i+1, ours[i].Round(time.Millisecond), got, ref[i].Round(time.Millisecond))
	}
	mo, mr := median(ours), median(ref)
	r.line(fmt.Sprintf("%-30s storage-agent %s   ls -l %s   ratio %.2fx (target <= 3x)  daemon peak RSS %s",
		"webfs listing 100,000 files", mo.Round(time.Millisecond), mr.Round(time.Millisecond), mo.Seconds()/mr.Seconds(), peakRSS(e.agent.Process.Pid)),
		mo <= 3*mr)
	return nil
}

// manyFiles is the size of the listing benchmarks' folder.
const manyFiles = 100_000

// makeMany fills <bench folder>/many with manyFiles empty files, once.
func makeMany(e *env) (string, error) {
	dir := filepath.Join(e.agentDir, "many")
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("f%06d", manyFiles-1))); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for i := range manyFiles {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%06d", i)))
		if err != nil {
			return "", err
		}
		f.Close()
	}
	return dir, nil
}

// peakRSS reads a process's peak resident memory (VmHWM).
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "?"
}
