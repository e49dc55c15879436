package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// env is everything the benchmarks share: both servers, a session on ours,
// a client key and the big test file.
type env struct {
	o       options
	dir     string
	key     string // client private key
	pubKey  string
	bigFile string // local source of the big transfers

	sshd     *exec.Cmd
	sshdPort string
	refDir   string // where OpenSSH reads and writes

	agent     *exec.Cmd
	agentVar  string
	mgrURL    string
	secret    string
	agentPort string
	session   string   // id of the benchmark session
	agentDir  string   // host path of the session's folder
	webURL    string   // https://host:port of the daemon's webfs
	clientURL string   // https://host:port of the storage proxy's client API
	keep      bool     // keep the work dir (and the daemon's log) after a failure
	ramDir    string   // a tmpfs directory for client-side downloads
	fs        *freshFS // mounted on dir, or nil
	cpu       *cpuMeter
	row       string // --only named rows of the running section: run just those
}

// runsRow reports whether the running section should run the row named name.
func (e *env) runsRow(name string) bool {
	return e.row == "" || strings.Contains(name, e.row)
}

func setup(ctx context.Context, o options) (*env, error) {
	dir := o.workDir
	if dir == "" {
		var err error
		// /var/tmp, not /tmp: a tmpfs would make disk writes look free.
		if dir, err = os.MkdirTemp("/var/tmp", "sa-bench-"); err != nil {
			return nil, err
		}
	}
	e := &env{o: o, dir: dir, cpu: newCPUMeter()}
	var err error
	if o.workDir == "" && os.Geteuid() == 0 {
		if e.fs, err = newFreshFS(dir); err != nil {
			fmt.Fprintf(os.Stderr, "bench: no fresh filesystem (%v); file creation may measure the host's\n", err)
			e.fs = nil
		}
	}
	fmt.Fprintf(os.Stderr, "bench: files on %s\n", e.fs.describe())
	if e.ramDir, err = os.MkdirTemp("/dev/shm", "sa-bench-"); err != nil {
		e.ramDir = filepath.Join(dir, "ram") // no tmpfs: the disk will do
		_ = os.MkdirAll(e.ramDir, 0o755)
	}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	e.key = filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", e.key).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(e.key + ".pub")
	if err != nil {
		return nil, err
	}
	e.pubKey = strings.TrimSpace(string(pub))
	e.bigFile = filepath.Join(dir, "big.bin")
	if err := writeRandom(e.bigFile, o.bigSize); err != nil {
		return nil, err
	}
	if err := e.startSSHD(ctx); err != nil {
		return nil, err
	}
	if err := e.startAgent(ctx); err != nil {
		return nil, err
	}
	ok = true
	return e, nil
}

func writeRandom(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyN(bufio.NewWriterSize(f, 1<<20), rand.Reader, size)
	if err == nil {
		err = f.Sync()
	}
	return err
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port), nil
}

// startSSHD runs the reference: OpenSSH's sshd with sftp-server on
// loopback, key login for the current user, the same cipher.
func (e *env) startSSHD(ctx context.Context) error {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if sshd, err = exec.LookPath("/usr/sbin/sshd"); err != nil {
			return fmt.Errorf("sshd not found (make bench installs openssh-server): %w", err)
		}
	}
	d := filepath.Join(e.dir, "sshd")
	e.refDir = filepath.Join(e.dir, "ref")
	for _, p := range []string{d, e.refDir} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
	}
	hostKey := filepath.Join(d, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		return fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(d, "authorized_keys"), []byte(e.pubKey+"\n"), 0o600); err != nil {
		return err
	}
	if e.sshdPort, err = freePort(); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`Port %s
ListenAddress 127.0.0.1
HostKey %s
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel ERROR
`, e.sshdPort, hostKey, d, d)
	cfgFile := filepath.Join(d, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return err
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation dir
	e.sshd = exec.CommandContext(ctx, sshd, "-D", "-e", "-f", cfgFile)
	e.sshd.Stderr = os.Stderr
	if err := e.sshd.Start(); err != nil {
		return err
	}
	e.cpu.adopt(sideRef, e.sshd.Process.Pid)
	return waitSSH("127.0.0.1:" + e.sshdPort)
}

// waitSSH waits until an SSH server answers on addr with its banner. It
// sends an identification of its own before hanging up: a bare connect
// and close made sshd log kex_exchange_identification at ERROR, a stray
// line in every bench's output.
func waitSSH(addr string) error {
	var c net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not open", addr)
		}
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("SSH-2.0-storage-agent-bench\r\n")); err != nil {
		return err
	}
	banner, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(banner, "SSH-2.0-") {
		return fmt.Errorf("%s: no SSH banner (%q): %v", addr, banner, err)
	}
	return nil
}

func waitPort(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not open", addr)
}

// bannerLine matches the daemon's listener lines: name, then the URL
// clients use, then where it is bound.
var bannerLine = regexp.MustCompile(`^(manager-api|sftp|webfs|client-api):\s+(\S+)`)

// startAgent runs our daemon on loopback with room for the session tests.
func (e *env) startAgent(ctx context.Context) error {
	e.agentVar = filepath.Join(e.dir, "agent")
	max := fmt.Sprint(e.o.sessions + 16)
	cmd, banner, err := e.launchAgent(ctx, e.agentVar, "agent.log",
		"--session.max-sessions", max, "--session.max-sessions-per-user", max)
	if err != nil {
		return err
	}
	e.agent = cmd
	e.mgrURL, e.webURL, e.clientURL = banner["manager-api"], banner["webfs"], banner["client-api"]
	e.agentPort = banner["sftp"][strings.LastIndex(banner["sftp"], ":")+1:]
	if e.secret, err = readSecret(e.agentVar); err != nil {
		return err
	}
	vfid, hostPath, err := e.createFolder("bench", "data")
	if err != nil {
		return err
	}
	e.agentDir = hostPath
	id, err := e.openSession("bench", vfid)
	if err != nil {
		return err
	}
	e.session = id
	return nil
}

// launchAgent starts a daemon with its state in varDir, its log in the
// work dir's logName, every listener on a free loopback port and extra
// flags, and returns the addresses its banner printed.
func (e *env) launchAgent(ctx context.Context, varDir, logName string, extra ...string) (*exec.Cmd, map[string]string, error) {
	args := append([]string{
		"--agent.var-base-path", varDir,
		"--api.manager.service-addr.port", "0",
		"--sftp.service-addr.host", "127.0.0.1", "--sftp.service-addr.port", "0",
		"--webfs.service-addr.port", "0",
		"--api.client.service-addr.host", "127.0.0.1", "--api.client.service-addr.port", "0",
		// The listing benchmark lists all of its 100,000 entries.
		"--storage-proxy.scandir-limit", "1000000",
	}, extra...)
	cmd := exec.CommandContext(ctx, e.o.agent, append(args, "serve")...)
	logFile, err := os.Create(filepath.Join(e.dir, logName))
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = logFile // the daemon logs every request; keep the report readable
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	e.cpu.adopt(sideOurs, cmd.Process.Pid)
	banner := map[string]string{}
	sc := bufio.NewScanner(out)
	for len(banner) < 4 && sc.Scan() {
		if m := bannerLine.FindStringSubmatch(sc.Text()); m != nil {
			banner[m[1]] = m[2]
		}
	}
	go io.Copy(io.Discard, out)
	if len(banner) < 4 {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, nil, fmt.Errorf("storage-agent did not start (see %s)", filepath.Join(e.dir, logName))
	}
	return cmd, banner, nil
}

// readSecret reads the manager secret a daemon generated in varDir.
func readSecret(varDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(varDir, "manager.secret"))
	return strings.TrimSpace(string(b)), err
}

// createFolder makes a vfolder through the manager API.
func (e *env) createFolder(user, name string) (vfid, hostPath string, err error) {
	q, f := uuidOf("user:"+user), uuidOf(user+"/"+name)
	vfid = "user:" + q + "/" + f
	code, body, err := e.api("POST", "/folder/create", map[string]any{"volume": "local", "vfid": vfid})
	if err != nil || code != 204 {
		return "", "", fmt.Errorf("folder/create: %d %s %v", code, body, err)
	}
	h := strings.ReplaceAll(f, "-", "")
	hostPath = filepath.Join(e.agentVar, "volumes", "local", strings.ReplaceAll(q, "-", ""), h[:2], h[2:4], h[4:])
	return vfid, hostPath, nil
}

func (e *env) openSession(user, vfid string) (string, error) {
	code, body, err := e.api("POST", "/sessions", map[string]any{
		"user":            user,
		"mounts":          []map[string]any{{"volume": "local", "vfid": vfid, "name": "data"}},
		"ssh_public_keys": []string{e.pubKey},
	})
	if err != nil || code != 201 {
		return "", fmt.Errorf("open session: %d %s %v", code, body, err)
	}
	var s struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return "", err
	}
	return s.ID, nil
}

func (e *env) api(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.mgrURL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-BackendAI-Storage-Auth-Token", e.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (e *env) close() {
	for _, c := range []*exec.Cmd{e.agent, e.sshd} {
		if c != nil && c.Process != nil {
			_ = c.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				c.Process.Kill()
			}
		}
	}
	if e.ramDir != "" {
		os.RemoveAll(e.ramDir)
	}
	e.cpu.close()
	switch {
	case e.keep: // the daemon's log stays where the failure message says
	case e.fs != nil:
		e.fs.close()
		os.Remove(e.dir)
	case e.o.workDir == "" && e.dir != "":
		os.RemoveAll(e.dir)
	}
}

func uuidOf(s string) string {
	b := []byte(fmt.Sprintf("%x", sha1Sum(s)))[:32]
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[:8], b[8:12], b[12:16], b[16:20], b[20:32])
}
