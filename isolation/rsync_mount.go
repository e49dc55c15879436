package isolation

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/storage-agent/storage-agent/isolation/serve"
	"golang.org/x/sys/unix"
)

// hostRsync is where the daemon looks for the rsync binary on the host.
const hostRsync = "/usr/bin/rsync"

// libSearchDirs are the directories the dynamic loader searches by default
// on Debian-like systems, in its order.
var libSearchDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// rsyncMounts returns the read-only bind mounts that make the host's rsync
// runnable inside a sandbox: the binary, its ELF interpreter and the
// transitive closure of its DT_NEEDED libraries, found by reading the ELF
// files (no program runs). Without rsync on the host it returns nil, and
// the worker refuses rsync requests with a clear line.
func rsyncMounts() ([]*configs.Mount, error) {
	bin, err := filepath.EvalSymlinks(hostRsync)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("isolation: rsync: %w", err)
	}
	interp, libs, err := elfDeps(bin)
	if err != nil {
		return nil, fmt.Errorf("isolation: rsync: %w", err)
	}
	const flags = unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV
	mounts := []*configs.Mount{
		{Source: bin, Destination: serve.RsyncBinary, Device: "bind", Flags: flags},
		{Source: interp, Destination: serve.RsyncLoader, Device: "bind", Flags: flags},
	}
	for soname, host := range libs {
		mounts = append(mounts, &configs.Mount{Source: host, Destination: serve.RsyncLibDir + "/" + soname, Device: "bind", Flags: flags})
	}
	return mounts, nil
}

// elfDeps returns a dynamic executable's interpreter and its libraries by
// soname (the names the loader will ask for) with their host paths.
func elfDeps(bin string) (string, map[string]string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", nil, fmt.Errorf("%s: read interpreter: %w", bin, err)
			}
			interp = string(b[:len(b)-1]) // NUL-terminated
		}
	}
	if interp == "" {
		return "", nil, fmt.Errorf("%s: not a dynamic executable", bin)
	}
	if interp, err = filepath.EvalSymlinks(interp); err != nil {
		return "", nil, err
	}
	libs := map[string]string{filepath.Base(interp): interp}
	queue := []string{bin}
	for len(queue) > 0 {
		needed, err := neededLibs(queue[0])
		if err != nil {
			return "", nil, err
		}
		queue = queue[1:]
		for _, soname := range needed {
			if _, seen := libs[soname]; seen {
				continue
			}
			host, err := findLib(soname)
			if err != nil {
				return "", nil, err
			}
			libs[soname] = host
			queue = append(queue, host)
		}
	}
	return interp, libs, nil
}

func neededLibs(file string) ([]string, error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ImportedLibraries()
}

func findLib(soname string) (string, error) {
	for _, dir := range libSearchDirs {
		p, err := filepath.EvalSymlinks(filepath.Join(dir, soname))
		if err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("library %s not found", soname)
}
