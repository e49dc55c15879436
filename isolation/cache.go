package isolation

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/cgroups"
	"golang.org/x/sys/unix"
)

// dropCacheAbove is the page cache a worker's cgroup may keep after a
// command; more is given back (see dropCache).
const dropCacheAbove = 64 << 20

// dropCache gives back the page cache charged to the worker's cgroup once
// a command has ended, when there is more than dropCacheAbove of it.
//
// The cgroup's memory limit counts the page cache of every file its
// processes wrote or first read. After rsync wrote a 1 GiB file into a
// 1 GiB session, the cgroup sat at its limit: each later allocation in the
// session reclaimed first, and reclaim took the pages the next command was
// about to read (measured: pulls of that file took 1.3-3.0 s, 1.37 s every
// time once the cache was dropped). Giving it back costs ~0.2 s per GiB,
// dirty pages included, and the pages stay cached for anyone outside
// until the kernel needs the memory. Our own uploads avoid this with
// write-behind; rsync is not ours to change.
func (w *Worker) dropCache() error {
	st, err := w.container.State()
	if err != nil {
		return fmt.Errorf("isolation: state: %w", err)
	}
	if cgroups.IsCgroup2UnifiedMode() {
		dir := st.CgroupPaths[""]
		cached, err := memoryStat(dir, "file")
		if err != nil || cached < dropCacheAbove {
			return err
		}
		// Asks for all of it; EAGAIN says some could not go, which is fine.
		err = os.WriteFile(filepath.Join(dir, "memory.reclaim"), []byte(strconv.FormatUint(cached, 10)), 0)
		if errors.Is(err, unix.EAGAIN) {
			err = nil
		}
		return err
	}
	dir := st.CgroupPaths["memory"]
	cached, err := memoryStat(dir, "cache")
	if err != nil || cached < dropCacheAbove {
		return err
	}
	// cgroup v1: reclaims what it can (page cache; the worker's own memory
	// has no swap to go to) and returns.
	return os.WriteFile(filepath.Join(dir, "memory.force_empty"), []byte("0"), 0)
}

// memoryStat reads one counter of a cgroup's memory.stat.
func memoryStat(dir, key string) (uint64, error) {
	data, err := os.ReadFile(filepath.Join(dir, "memory.stat"))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, value, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		if ok && string(name) == key {
			return strconv.ParseUint(string(value), 10, 64)
		}
	}
	return 0, fmt.Errorf("isolation: %s has no %q", filepath.Join(dir, "memory.stat"), key)
}
