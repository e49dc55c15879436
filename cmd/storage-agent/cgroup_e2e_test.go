package main

import (
	"encoding/json"
	"fmt"
	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// intoSandbox runs the worker binary with a test role inside session id's
// sandbox: joined to its cgroups first, then to its namespaces, as its uid.
func intoSandbox(t *testing.T, d *daemon, id, role string) (string, int) {
	t.Helper()
	requireTool(t, "nsenter")
	pid := workerPid(t, d, id)
	var joins []string
	for _, ctrl := range []string{"memory", "pids", "cpu", "cpuacct", "devices", "freezer", "blkio", "cpuset"} {
		m, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/%s/storage-agent/*/%s/cgroup.procs", ctrl, id))
		for _, f := range m {
			joins = append(joins, "echo $$ > "+f)
		}
	}
	if len(joins) == 0 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		t.Fatalf("worker cgroups of %s not found; worker %d is in %q (%v); status %.300s\n%s", id, pid, b, err, st, d.log.String())
	}
	// Like every program the worker starts, the intruder carries the
	// highest OOM badness in the sandbox.
	joins = append(joins, fmt.Sprintf("echo %d > /proc/self/oom_score_adj", 1000))
	script := strings.Join(joins, "; ") + fmt.Sprintf("; exec nsenter -t %d -m -p -i -u -n -S 1000 -G 1000 -- /dev/.storage-agent-worker %s", pid, role)
	cmd := exec.Command("sh", "-c", script)
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}

// workerPid reads the init pid of session id's worker from its state.
func workerPid(t *testing.T, d *daemon, id string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.varDir, "state", "containers", id, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Pid int `json:"init_process_pid"`
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Pid == 0 {
		t.Fatalf("state of %s: %v", id, err)
	}
	return st.Pid
}

// TestCgroupStopsHogsWhileOthersServe plants a memory hog and a fork bomb in
// one session's sandbox: its cgroup stops them, and the daemon and another
// session keep serving.
func TestCgroupStopsHogsWhileOthersServe(t *testing.T) {
	d := startDaemon(t, "--session.memory", "256m", "--session.pids", "32")
	key := testKey(t)
	vfid, _ := d.folder("hog-user", "data")
	victim := d.openSession("hog-user", []map[string]any{mount(vfid, "data")}, map[string]any{"ssh_public_keys": []string{key.public}})
	other := d.openSession("calm-user", []map[string]any{mount(vfid, "data")}, map[string]any{"ssh_public_keys": []string{key.public}})

	out, code := intoSandbox(t, d, victim.ID, sandboxtest.MemHog)
	if code != 137 && code != -1 {
		t.Fatalf("memory hog exit %d, want killed by the OOM killer:\n%s", code, out)
	}
	out, code = intoSandbox(t, d, victim.ID, sandboxtest.ForkBomb)
	if code != sandboxtest.ForkBombRefused {
		t.Fatalf("fork bomb exit %d, want 3 (the pids limit refused forks):\n%s", code, out)
	}
	for _, s := range []sessionInfo{other, victim} {
		if o, e, err := d.sftpBatch(t, s, sshAuth{keyFile: key.private}, "ls /\n"); err != nil || !strings.Contains(o, "data") {
			t.Fatalf("session %s after the hogs: %v\n%s\n%s", s.ID, err, o, e)
		}
	}
	if code, _, _ := d.api("GET", "/status", nil, nil); code != 200 {
		t.Fatalf("daemon status %d", code)
	}
}
