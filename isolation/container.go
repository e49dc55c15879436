package isolation

import (
	"math"

	"github.com/opencontainers/cgroups"
	// The device cgroup manager: without it libcontainer refuses configs
	// that restrict devices.
	_ "github.com/opencontainers/cgroups/devices"
	devconfig "github.com/opencontainers/cgroups/devices/config"
	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
)

// cgroupParent groups every worker's cgroup so an operator can see (and a
// restarted daemon can find) them in one place; each Manager adds a
// subdirectory of its own.
const cgroupParent = "/storage-agent"

// workerPath is where the worker binary sits inside the sandbox: under the
// sandbox's private /dev, which users never see (the session root shows
// only the mounts). libcontainer's init looks the program up inside the
// container, where its own sealed /proc/self/exe is not reachable.
const workerPath = "/dev/.storage-agent-worker"

// workerOOMScore is the worker's OOM badness adjustment; the programs it
// starts get a higher one (see serve's childOOMScore), so they go first.
const workerOOMScore = 500

// cpuPeriod is the CFS period the CPU quota is expressed in (100 ms).
const cpuPeriod = 100_000

// The devices a worker may use: the harmless character devices every
// program expects. Nothing else, not even a tty.
var workerDevices = []struct {
	path         string
	major, minor int64
}{
	{"/dev/null", 1, 3},
	{"/dev/zero", 1, 5},
	{"/dev/full", 1, 7},
	{"/dev/random", 1, 8},
	{"/dev/urandom", 1, 9},
}

// containerConfig builds the libcontainer config of one worker: its own
// mount, pid, ipc, uts and net namespaces, a read-only root that holds only
// the session's mounts (plus /proc, a tiny /dev and a small /tmp, which the
// worker hides from users), no capabilities and cgroup limits.
func containerConfig(rootfs, cgroupPath, workerExe string, tools []*configs.Mount, spec Spec) *configs.Config {
	const hardened = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	mounts := []*configs.Mount{
		{Source: "proc", Destination: "/proc", Device: "proc", Flags: hardened},
		{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=64k"},
		{Source: workerExe, Destination: workerPath, Device: "bind", Flags: unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV},
		{Source: "tmpfs", Destination: "/tmp", Device: "tmpfs", Flags: hardened, Data: "mode=1777,size=16m"},
	}
	// Tools such as rsync, found once by the Manager. Without them workers
	// still start and refuse those requests with a clear line.
	for _, t := range tools {
		c := *t // libcontainer may adjust its copy
		mounts = append(mounts, &c)
	}
	for _, m := range spec.Mounts {
		// noexec: nothing in a session runs a program from a folder; the
		// tools it offers come from the host, read-only.
		flags := unix.MS_BIND | unix.MS_REC | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
		if m.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		mounts = append(mounts, &configs.Mount{
			Source:      m.HostPath,
			Destination: "/" + m.Name,
			Device:      "bind",
			Flags:       flags,
		})
	}

	var devices []*devconfig.Device
	var rules []*devconfig.Rule
	for _, d := range workerDevices {
		dev := &devconfig.Device{
			Rule: devconfig.Rule{
				Type: devconfig.CharDevice, Major: d.major, Minor: d.minor,
				Permissions: "rwm", Allow: true,
			},
			Path: d.path, FileMode: 0o666, Uid: 0, Gid: 0,
		}
		devices = append(devices, dev)
		rules = append(rules, &dev.Rule)
	}

	// Under global memory pressure a worker goes before the daemon (0);
	// inside its own cgroup, the programs it starts (raised to 1000, which
	// needs no privilege) go before the worker itself.
	oomScore := workerOOMScore
	return &configs.Config{
		Rootfs:          rootfs,
		Readonlyfs:      true,
		RootPropagation: unix.MS_PRIVATE | unix.MS_REC,
		NoNewPrivileges: true,
		Hostname:        "session",
		OomScoreAdj:     &oomScore,
		Capabilities:    &configs.Capabilities{},
		Seccomp:         seccompConfig(),
		Namespaces: configs.Namespaces{
			{Type: configs.NEWNS},
			{Type: configs.NEWPID},
			{Type: configs.NEWIPC},
			{Type: configs.NEWUTS},
			{Type: configs.NEWNET},
		},
		Networks: []*configs.Network{{Type: "loopback", Address: "127.0.0.1/0", Gateway: "localhost"}},
		Mounts:   mounts,
		Devices:  devices,
		MaskPaths: []string{
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		},
		ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		Rlimits: []configs.Rlimit{
			{Type: unix.RLIMIT_NOFILE, Hard: 8192, Soft: 8192},
			{Type: unix.RLIMIT_CORE, Hard: 0, Soft: 0},
		},
		Cgroups: &cgroups.Cgroup{
			Path: cgroupPath,
			Resources: &cgroups.Resources{
				CpuPeriod: cpuPeriod,
				CpuQuota:  int64(math.Ceil(spec.Limits.CPU * cpuPeriod)),
				Memory:    spec.Limits.Memory,
				PidsLimit: &spec.Limits.Pids,
				Devices:   rules,
			},
		},
	}
}
