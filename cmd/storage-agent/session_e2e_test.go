package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mount(vfid, name string) map[string]any {
	return map[string]any{"volume": "local", "vfid": vfid, "name": name}
}

func TestSFTPLogins(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	vfid, _ := d.folder("login-user", "data")
	s := d.openSession("login-user", []map[string]any{mount(vfid, "data")},
		map[string]any{"ssh_public_keys": []string{key.public}})
	other := d.openSession("login-user", []map[string]any{mount(vfid, "data")}, nil)

	cases := []struct {
		name string
		sess sessionInfo
		auth sshAuth
		ok   bool
	}{
		{"key", s, sshAuth{keyFile: key.private}, true},
		{"token", s, sshAuth{password: s.Token}, true},
		{"wrong token", s, sshAuth{password: "not-the-token"}, false},
		{"token of another session", s, sshAuth{password: other.Token}, false},
		{"key not registered with this session", other, sshAuth{keyFile: key.private}, false},
		{"unknown session", sessionInfo{ID: "no-such-session"}, sshAuth{password: s.Token}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := d.sftpBatch(t, c.sess, c.auth, "ls /\n")
			if c.ok && (err != nil || !strings.Contains(out, "data")) {
				t.Fatalf("login failed: %v\n%s\n%s", err, out, errOut)
			}
			if !c.ok && err == nil {
				t.Fatalf("login succeeded:\n%s", out)
			}
		})
	}

	t.Run("closed session token", func(t *testing.T) {
		c := d.openSession("login-user", []map[string]any{mount(vfid, "data")}, nil)
		if code, _, body := d.api("DELETE", "/sessions/"+c.ID, nil, nil); code != 204 {
			t.Fatalf("close: %d %s", code, body)
		}
		if _, _, err := d.sftpBatch(t, c, sshAuth{password: c.Token}, "ls /\n"); err == nil {
			t.Fatal("token of a closed session still logs in")
		}
	})
	t.Run("expired session token", func(t *testing.T) {
		c := d.openSession("login-user", []map[string]any{mount(vfid, "data")}, map[string]any{"ttl": "2s"})
		time.Sleep(3 * time.Second)
		if _, _, err := d.sftpBatch(t, c, sshAuth{password: c.Token}, "ls /\n"); err == nil {
			t.Fatal("expired token still logs in")
		}
		if code, _, _ := d.api("GET", "/sessions/"+c.ID, nil, nil); code != 404 {
			t.Fatalf("expired session still listed: %d", code)
		}
	})
}

func TestSSHRefusesEverythingButFileTransfer(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	vfid, _ := d.folder("refuse-user", "data")
	s := d.openSession("refuse-user", []map[string]any{mount(vfid, "data")},
		map[string]any{"ssh_public_keys": []string{key.public}})
	a := sshAuth{keyFile: key.private}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"shell", []string{"-T"}, "shell"},
		// With -tt OpenSSH itself gives up when the pty is refused.
		{"shell with pty", []string{"-tt"}, "PTY allocation request failed"},
		{"exec", []string{"-T", "--", "cat /etc/passwd"}, "not available"},
		{"exec with env", []string{"-T", "-o", "SetEnv=FOO=bar", "--", "id"}, "not available"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{}, c.args...)
			var remote []string
			for i, a := range args {
				if a == "--" {
					remote, args = args[i+1:], args[:i]
					break
				}
			}
			auth, env := authArgs(t, a)
			full := append(append(append([]string{}, auth...), commonSSHOptions()...), "-p", d.sftpPort)
			full = append(append(append(full, args...), s.ID+"@127.0.0.1"), remote...)
			out, errOut, err := runClient(t, time.Minute, env, "", "ssh", full...)
			if err == nil {
				t.Fatalf("ssh %v succeeded:\n%s", c.args, out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if !strings.Contains(errOut, c.want) || len(lines) > 2 {
				t.Fatalf("stderr = %q, want one line mentioning %q", errOut, c.want)
			}
			if strings.Contains(out, "root:") {
				t.Fatal("exec ran on the host")
			}
		})
	}
	t.Run("port forwarding", func(t *testing.T) {
		auth, env := authArgs(t, a)
		full := append(append(append([]string{}, auth...), commonSSHOptions()...), "-p", d.sftpPort,
			"-o", "ExitOnForwardFailure=yes", "-N", "-L", "0:127.0.0.1:22", "-W", "127.0.0.1:22", s.ID+"@127.0.0.1")
		if _, _, err := runClient(t, 30*time.Second, env, "", "ssh", full...); err == nil {
			t.Fatal("forwarding succeeded")
		}
	})
}

// TestClosingASessionDropsItsConnections keeps an sftp client connected
// (waiting on stdin) and closes the session under it.
func TestClosingASessionDropsItsConnections(t *testing.T) {
	d := shared(t)
	key := testKey(t)
	vfid, _ := d.folder("drop-user", "data")
	s := d.openSession("drop-user", []map[string]any{mount(vfid, "data")},
		map[string]any{"ssh_public_keys": []string{key.public}})
	auth, env := authArgs(t, sshAuth{keyFile: key.private})
	args := append(append(append([]string{}, auth...), commonSSHOptions()...), "-P", d.sftpPort, "-b", "-", s.ID+"@127.0.0.1")
	cmd := exec.Command(requireTool(t, "sftp"), args...)
	cmd.Env = append(os.Environ(), env...)
	stdin, _ := cmd.StdinPipe()
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(stdin, "ls /")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "data") {
		if time.Now().After(deadline) {
			t.Fatalf("sftp never listed: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _, body := d.api("DELETE", "/sessions/"+s.ID, nil, nil); code != 204 {
		t.Fatalf("close: %d %s", code, body)
	}
	// sftp notices a dropped connection at its next command.
	time.Sleep(200 * time.Millisecond)
	fmt.Fprintln(stdin, "ls /data")
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	select {
	case err := <-ended:
		if err == nil {
			t.Fatalf("sftp kept working after the close:\n%s", out.String())
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("sftp connection survived the session's close")
	}
}

func TestSSHPortSurvivesGarbageAndStalls(t *testing.T) {
	d := startDaemon(t) // its own daemon: stalls must not be shared with others
	key := testKey(t)
	vfid, _ := d.folder("garbage-user", "data")
	s := d.openSession("garbage-user", []map[string]any{mount(vfid, "data")},
		map[string]any{"ssh_public_keys": []string{key.public}})

	stalled, err := net.Dial("tcp", d.sftp)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	half, err := net.Dial("tcp", d.sftp)
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	fmt.Fprint(half, "SSH-2.0-OpenSSH_9.2\r\n") // then nothing: a stalled handshake

	for name, payload := range map[string][]byte{
		"garbage":     []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + strings.Repeat("\x00\xff", 4096)),
		"huge packet": append([]byte("SSH-2.0-x\r\n"), 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0),
	} {
		c, err := net.Dial("tcp", d.sftp)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(payload)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Errorf("%s: connection still open after 10s", name)
				}
				break
			}
		}
		c.Close()
	}
	// Everyone else is still served, while the stalled ones hang.
	if out, errOut, err := d.sftpBatch(t, s, sshAuth{keyFile: key.private}, "ls /\n"); err != nil || !strings.Contains(out, "data") {
		t.Fatalf("sftp while others stall: %v\n%s\n%s", err, out, errOut)
	}
}

// TestRestartAfterKillLeavesNoOrphans kills the daemon with SIGKILL while
// sessions run, then checks that nothing of them survives a restart.
func TestRestartAfterKillLeavesNoOrphans(t *testing.T) {
	d := startDaemon(t)
	vfid, _ := d.folder("crash-user", "data")
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, d.openSession(fmt.Sprintf("crash-user-%d", i), []map[string]any{mount(vfid, "data")}, nil).ID)
	}
	state := filepath.Join(d.varDir, "state")
	pids := workerPids(t, state)
	if len(pids) != 3 {
		t.Fatalf("found %d worker processes, want 3", len(pids))
	}
	for _, pid := range pids {
		if !processAlive(pid) {
			t.Fatalf("worker pid %d is not running before the kill", pid)
		}
	}
	d.kill()
	d.start()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for processAlive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("worker pid %d survived the restart", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, sub := range []string{"containers", "roots"} {
		if ents, _ := os.ReadDir(filepath.Join(state, sub)); len(ents) != 0 {
			t.Errorf("state/%s keeps %d leftovers", sub, len(ents))
		}
	}
	for _, id := range ids {
		matches, _ := filepath.Glob("/sys/fs/cgroup/*/storage-agent/*/" + id)
		if len(matches) > 0 {
			t.Errorf("cgroups of %s left behind: %v", id, matches)
		}
	}
	var st struct {
		Sessions struct{ Used int } `json:"sessions"`
	}
	if code, _, body := d.api("GET", "/status", nil, &st); code != 200 || st.Sessions.Used != 0 {
		t.Fatalf("status after restart: %d %s", code, body)
	}
}

// workerPids reads the init pids of the daemon's live containers.
func workerPids(t *testing.T, state string) []int {
	t.Helper()
	var pids []int
	ents, _ := os.ReadDir(filepath.Join(state, "containers"))
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(state, "containers", e.Name(), "state.json"))
		if err != nil {
			continue
		}
		var st struct {
			Pid int `json:"init_process_pid"`
		}
		if json.Unmarshal(b, &st) == nil && st.Pid > 0 {
			pids = append(pids, st.Pid)
		}
	}
	return pids
}

func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie is dead for our purposes.
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

// TestScriptedPasswordClients: the tools scripts use to type a password,
// sshpass and lftp, log in with the session token in OpenSSH's default
// authentication order (keyboard-interactive first): our prompt ends as
// OpenSSH's does, so they recognize it.
func TestScriptedPasswordClients(t *testing.T) {
	d := shared(t)
	vfid, host := d.folder("scripted-user", "data")
	if err := os.WriteFile(filepath.Join(host, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := d.openSession("scripted-user", []map[string]any{mount(vfid, "data")}, nil)
	opts := []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "PubkeyAuthentication=no"}
	requireTool(t, "sftp")
	requireTool(t, "ssh")

	out, errOut, err := runClient(t, time.Minute, nil, "ls -1 /data\n", "sshpass",
		append([]string{"-p", s.Token, "sftp", "-o", "BatchMode=no", "-P", d.sftpPort, "-b", "-"},
			append(opts, s.ID+"@127.0.0.1")...)...)
	if err != nil || !strings.Contains(out, "hello.txt") {
		t.Fatalf("sshpass sftp: %v\n%s%s", err, out, errOut)
	}
	out, errOut, err = runClient(t, time.Minute, nil, "", "sshpass",
		append(append([]string{"-p", s.Token, "ssh", "-p", d.sftpPort}, opts...), s.ID+"@127.0.0.1", "sha256sum /data/hello.txt")...)
	if err != nil || !strings.Contains(out, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03") {
		t.Fatalf("sshpass ssh sha256sum: %v\n%s%s", err, out, errOut)
	}
	connect := "ssh -a -x " + strings.Join(opts, " ")
	out, errOut, err = runClient(t, time.Minute, nil, "", "lftp",
		"-u", s.ID+","+s.Token,
		"-e", "set sftp:connect-program '"+connect+"'; set net:max-retries 1; cls -1 /data; bye",
		"sftp://127.0.0.1:"+d.sftpPort)
	if err != nil || !strings.Contains(out, "hello.txt") {
		t.Fatalf("lftp: %v\n%s%s", err, out, errOut)
	}
}
