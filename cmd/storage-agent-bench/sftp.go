package main

import (
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

func sha1Sum(s string) [20]byte { return sha1.Sum([]byte(s)) }

// benchmark is one named measurement.
type benchmark struct {
	name string
	run  func(ctx context.Context, e *env, r *report) error
	// rows are the result rows a section can run one at a time: --only
	// naming one of them runs the section with just that row.
	rows []string
}

// benchmarks run in this order; each file adds the ones of its protocol.
var benchmarks = []benchmark{
	{name: "sftp get 1 GiB", run: benchSFTPGet},
	{name: "sftp put 1 GiB", run: benchSFTPPut},
	{name: "scp and rsync", run: benchSCPRsync, rows: scpRsyncRows},
	{name: "webfs https", run: benchWebFS},
	{name: "4 concurrent downloads", run: benchConcurrent},
	{name: "webfs browser UI", run: benchWebUI},
	{name: "storage proxy", run: benchStorageProxy},
	{name: "session open latency", run: benchOpenLatency},
	{name: "sessions open at once", run: benchManySessions},
}

// sftpClient runs the stock OpenSSH sftp client in batch mode.
func (e *env) sftpClient(ctx context.Context, port, login, batch string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, "sftp",
		"-o", "Ciphers=aes128-gcm@openssh.com", "-o", "Compression=no",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-i", e.key,
		"-P", port, "-b", "-", login+"@127.0.0.1")
	cmd.Stdin = stringReader(batch)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("sftp %s: %v: %s", login, err, out)
	}
	return d, nil
}

// target is one side of a side-by-side measurement.
type target struct {
	name  string
	port  string
	login string
	dir   string // remote directory as the client names it
	host  string // the same directory on this host
}

// removeFromBoth removes a file a step uploaded to both servers.
func (e *env) removeFromBoth(name string) {
	for _, t := range targetPair(e) {
		os.Remove(filepath.Join(t.host, name))
	}
}

// targetPair is targets as a slice.
func targetPair(e *env) []target { a, b := e.targets(); return []target{a, b} }

func (e *env) targets() (ours, ref target) {
	u, _ := user.Current()
	return target{"storage-agent", e.agentPort, e.session, "/data", e.agentDir},
		target{"openssh", e.sshdPort, u.Username, e.refDir, e.refDir}
}

// alternate runs fn for both targets, rounds times, swapping who goes first
// each round so neither always enjoys a warmer cache.
func alternate(ctx context.Context, e *env, fn func(target) (time.Duration, error)) (ours, ref []sample, err error) {
	return alternateAgainst(ctx, e, "openssh", fn)
}

// alternateAgainst is alternate with refName naming the reference in the
// progress lines (nginx for the web benchmarks, whose fn picks the server).
func alternateAgainst(ctx context.Context, e *env, refName string, fn func(target) (time.Duration, error)) (ours, ref []sample, err error) {
	a, b := e.targets()
	b.name = refName
	for r := 0; r < e.o.rounds; r++ {
		order := []target{a, b}
		if r%2 == 1 {
			order = []target{b, a}
		}
		for _, t := range order {
			e.settle()
			side := sideRef
			if t.name == a.name {
				side = sideOurs
			}
			s, err := e.cpu.measure(side, func() (time.Duration, error) { return fn(t) })
			if err != nil {
				return nil, nil, err
			}
			fmt.Fprintf(os.Stderr, "  round %d %-14s %s (server CPU %s)\n", r+1, t.name, s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond))
			if side == sideOurs {
				ours = append(ours, s)
			} else {
				ref = append(ref, s)
			}
		}
	}
	return ours, ref, nil
}

func syncDisks() { _ = exec.Command("sync").Run() }

// settle prepares one measured transfer, the same for both servers: sync
// pending writes, then read every source file into the page cache. This
// VM's host takes page cache back on its own (half of a 1 GiB file gone
// within 45 s, idle), so without this a transfer starts cold or warm by
// chance and single runs varied from 1.4 s to 3.5 s on either server.
func (e *env) settle() {
	syncDisks()
	ours, ref := e.targets()
	for _, root := range []string{e.bigFile, filepath.Join(ours.host, "big.bin"), filepath.Join(ref.host, "big.bin"),
		filepath.Join(e.dir, "tree"), filepath.Join(ours.host, "tree"), filepath.Join(ref.host, "tree")} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if f, err := os.Open(p); err == nil {
					_, _ = io.Copy(io.Discard, f)
					f.Close()
				}
			}
			return nil
		})
	}
	warmMemory(e.o.bigSize + 512<<20)
}

// warmMemory touches n bytes of fresh memory and frees it, just before a
// measured run. This VM reports freed guest memory to its host (virtio
// balloon free page reporting), which takes it back; the next touch of
// such a page waits for the host to supply it again. A run that wrote 1 GiB
// into pages freed a few seconds earlier took 1.9-2.0 s instead of 1.4 s,
// for OpenSSH as for us, at random. Pages freed just now go to the head of
// the free lists (reported ones to the tail) and are not yet reported, so
// the run finds memory as fast as the machine has it.
func warmMemory(n int64) {
	mem, err := unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return
	}
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	_ = unix.Munmap(mem)
}

// placeBig copies the big file into both servers' directories, owned by the
// user each server writes as.
func placeBig(e *env) error {
	ours, ref := e.targets()
	for _, t := range []target{ours, ref} {
		dst := filepath.Join(t.host, "big.bin")
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		if out, err := exec.Command("cp", e.bigFile, dst).CombinedOutput(); err != nil {
			return fmt.Errorf("cp: %v: %s", err, out)
		}
		if t.name == "storage-agent" {
			if err := os.Chown(dst, 1000, 1000); err != nil {
				return err
			}
		}
	}
	return nil
}

func benchSFTPGet(ctx context.Context, e *env, r *report) error {
	if err := placeBig(e); err != nil {
		return err
	}
	ours, ref, err := alternate(ctx, e, func(t target) (time.Duration, error) {
		return e.sftpClient(ctx, t.port, t.login, "get "+t.dir+"/big.bin /dev/null\n")
	})
	if err != nil {
		return err
	}
	r.download("sftp get 1 GiB", e.o.bigSize, ours, ref, 1.2, false)
	return nil
}

func benchSFTPPut(ctx context.Context, e *env, r *report) error {
	ours, ref, err := alternate(ctx, e, func(t target) (time.Duration, error) {
		os.Remove(filepath.Join(t.host, "put.bin"))
		return e.sftpClient(ctx, t.port, t.login, "put "+e.bigFile+" "+t.dir+"/put.bin\n")
	})
	if err != nil {
		return err
	}
	r.throughput("sftp put 1 GiB", e.o.bigSize, ours, ref, 1.0)
	e.removeFromBoth("put.bin") // see benchSCPRsync: uploads go before the next step
	return nil
}
