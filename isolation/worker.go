package isolation

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/storage-agent/storage-agent/isolation/batchio"
	"github.com/storage-agent/storage-agent/isolation/serve"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"golang.org/x/sys/unix"
)

// readyTimeout bounds how long a worker may take from start to ready.
const readyTimeout = 10 * time.Second

// Worker is one running sandboxed worker, seen from the daemon.
type Worker struct {
	id        string
	m         *Manager
	container *libcontainer.Container
	process   *libcontainer.Process
	root      string

	done     chan struct{} // closed when the worker process has exited
	stopOnce sync.Once
	stopErr  error

	mu      sync.RWMutex // guards control against close while sending
	control *os.File     // daemon's end of the control socket; nil once stopped
}

// workerSpec is what the daemon tells the worker about its session, passed
// as one argument so that names with any bytes survive intact.
type workerSpec struct {
	Mounts []workerMount `json:"mounts"`
}

type workerMount struct {
	Name     string `json:"name"`
	ReadOnly bool   `json:"ro,omitempty"`
}

// Start starts a worker and returns once it is ready to serve streams.
func (m *Manager) Start(ctx context.Context, spec Spec) (*Worker, error) {
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("isolation: manager closed: %w", ErrWorkerGone)
	}
	if _, dup := m.workers[spec.ID]; dup {
		m.mu.Unlock()
		return nil, fmt.Errorf("isolation: worker %q already exists", spec.ID)
	}
	w := &Worker{id: spec.ID, m: m, done: make(chan struct{}), root: filepath.Join(m.rootsDir, spec.ID)}
	m.workers[spec.ID] = w
	m.mu.Unlock()

	if err := w.start(ctx, spec); err != nil {
		w.cleanup()
		m.forget(spec.ID)
		return nil, err
	}
	return w, nil
}

func validateSpec(spec Spec) error {
	if !validID.MatchString(spec.ID) {
		return fmt.Errorf("isolation: invalid worker id %q", spec.ID)
	}
	seen := map[string]bool{}
	for _, mt := range spec.Mounts {
		if err := CheckMountName(mt.Name); err != nil {
			return fmt.Errorf("isolation: mount: %w", err)
		}
		if seen[mt.Name] {
			return fmt.Errorf("isolation: duplicate mount name %q", mt.Name)
		}
		if !filepath.IsAbs(mt.HostPath) {
			return fmt.Errorf("isolation: mount %q: host path must be absolute", mt.Name)
		}
		seen[mt.Name] = true
	}
	if spec.Limits.CPU <= 0 || spec.Limits.Memory <= 0 || spec.Limits.Pids <= 0 {
		return fmt.Errorf("isolation: limits must be positive: %+v", spec.Limits)
	}
	return nil
}

func (w *Worker) start(ctx context.Context, spec Spec) error {
	if err := os.Mkdir(w.root, 0o755); err != nil {
		return fmt.Errorf("isolation: worker root: %w", err)
	}
	cfg := containerConfig(w.root, filepath.Join(w.m.cgroupParent, spec.ID), w.m.workerExe, w.m.tools, spec)
	c, err := libcontainer.Create(w.m.containersDir, spec.ID, cfg)
	if err != nil {
		return fmt.Errorf("isolation: create container: %w", err)
	}
	w.container = c

	ws := workerSpec{}
	for _, mt := range spec.Mounts {
		ws.Mounts = append(ws.Mounts, workerMount{Name: mt.Name, ReadOnly: mt.ReadOnly})
	}
	specArg, err := json.Marshal(ws)
	if err != nil {
		return fmt.Errorf("isolation: encode worker spec: %w", err)
	}
	local, remote, err := unixsock.Pair(unix.SOCK_SEQPACKET)
	if err != nil {
		return fmt.Errorf("isolation: control socket: %w", err)
	}
	w.control = local
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		remote.Close()
		return fmt.Errorf("isolation: stderr pipe: %w", err)
	}
	noNewPrivs := true
	w.process = &libcontainer.Process{
		Args: []string{workerPath, workerArg, string(specArg)},
		Env: []string{
			"PATH=/nonexistent",
			"HOME=/tmp",
			// One P per CPU of quota: the sftp server hands every packet
			// across several goroutines, and with a second P each hand-off
			// wakes a thread (measured: 12% less worker CPU per GiB).
			"GOMAXPROCS=" + strconv.Itoa(max(1, int(spec.Limits.CPU+0.999))),
			// Collect rarely (the heap is tiny, the packet rate high), but
			// always before the cgroup would OOM-kill.
			"GOGC=400",
			"GOMEMLIMIT=" + strconv.FormatInt(spec.Limits.Memory*7/10, 10),
		},
		UID:             spec.UID,
		GID:             spec.GID,
		Cwd:             "/",
		Stderr:          stderrW,
		ExtraFiles:      []*os.File{remote},
		NoNewPrivileges: &noNewPrivs,
		Init:            true,
	}
	runErr := c.Run(w.process)
	remote.Close()
	stderrW.Close()
	if runErr != nil {
		stderrR.Close()
		w.process = nil // never started: nothing to wait for
		return fmt.Errorf("isolation: start worker: %w", runErr)
	}
	go w.logStderr(stderrR)
	go func() {
		_, _ = w.process.Wait()
		close(w.done)
	}()
	return w.awaitReady(ctx)
}

// awaitReady waits for the worker's ready message, which it sends once it
// has verified its confinement.
func (w *Worker) awaitReady(ctx context.Context) error {
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, 512)
		req, files, err := recvRequest(int(w.control.Fd()), buf, nil)
		unixsock.CloseFiles(files)
		if err == nil && req.Op != opReady {
			err = fmt.Errorf("unexpected %q message", req.Op)
		}
		ready <- err
	}()
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case err := <-ready:
		if err != nil {
			return fmt.Errorf("isolation: worker did not become ready: %w", err)
		}
		return nil
	case <-w.done:
		return fmt.Errorf("isolation: worker exited during start: %w", ErrWorkerGone)
	case <-timer.C:
		return fmt.Errorf("isolation: worker not ready after %s", readyTimeout)
	case <-ctx.Done():
		return fmt.Errorf("isolation: start worker: %w", ctx.Err())
	}
}

func (w *Worker) logStderr(r io.ReadCloser) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		w.m.log.Warn("worker says", "worker", w.id, "line", sc.Text())
	}
}

// ID returns the worker's id (the session id).
func (w *Worker) ID() string { return w.id }

// Done is closed when the worker has exited for any reason.
func (w *Worker) Done() <-chan struct{} { return w.done }

// send passes one request and its stream ends to the worker.
func (w *Worker) send(req request, files ...*os.File) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.control == nil {
		return ErrWorkerGone
	}
	select {
	case <-w.done:
		return ErrWorkerGone
	default:
	}
	if err := sendRequest(int(w.control.Fd()), req, files...); err != nil {
		if errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNREFUSED) {
			return fmt.Errorf("%w: %w", ErrWorkerGone, err)
		}
		return err
	}
	return nil
}

// OpenSFTP opens a new stream served by an SFTP server inside the worker.
// The returned conn has CloseWrite, which passes EOF.
func (w *Worker) OpenSFTP(ctx context.Context) (io.ReadWriteCloser, error) {
	local, remote, err := unixsock.Pair(unix.SOCK_STREAM)
	if err != nil {
		return nil, err
	}
	err = w.send(request{Op: opSFTP}, remote)
	remote.Close()
	if err != nil {
		local.Close()
		return nil, err
	}
	c, err := unixsock.Conn(local)
	if err != nil {
		return nil, err
	}
	return batchio.NewSysConn(c), nil
}

// Exec runs an SSH exec request's command line inside the worker and returns
// its exit status. The worker decides which commands it serves; stdin is
// relayed until EOF, stdout and stderr until the command ends.
func (w *Worker) Exec(ctx context.Context, command string, stdio Stdio) (int, error) {
	dataL, dataR, err := unixsock.Pair(unix.SOCK_STREAM)
	if err != nil {
		return -1, err
	}
	errL, errR, err := unixsock.Pair(unix.SOCK_STREAM)
	if err != nil {
		dataL.Close()
		dataR.Close()
		return -1, err
	}
	err = w.send(request{Op: opExec, Command: command}, dataR, errR)
	dataR.Close()
	errR.Close()
	if err != nil {
		dataL.Close()
		errL.Close()
		return -1, err
	}
	data, err := unixsock.Conn(dataL)
	if err != nil {
		errL.Close()
		return -1, err
	}
	defer data.Close()
	stream := batchio.NewSysConn(data) // the bulk reads and writes
	errConn, err := unixsock.Conn(errL)
	if err != nil {
		return -1, err
	}
	defer errConn.Close()

	stop := context.AfterFunc(ctx, func() { data.Close(); errConn.Close() })
	defer stop()
	if stdio.Stdin != nil {
		go func() {
			buf := make([]byte, 256<<10)
			_, _ = io.CopyBuffer(stream, stdio.Stdin, buf)
			_ = data.CloseWrite()
		}()
	} else {
		_ = data.CloseWrite()
	}
	stderrDone := make(chan struct{})
	var status int32 = -1
	go func() {
		defer close(stderrDone)
		// The stderr stream carries the command's stderr, then a final
		// 4-byte exit status after a zero-length marker frame.
		status = copyStderr(stdio.Stderr, errConn)
	}()
	out := stdio.Stdout
	if out == nil {
		out = io.Discard
	}
	buf := make([]byte, 256<<10)
	_, _ = io.CopyBuffer(out, stream, buf)
	<-stderrDone
	if status < 0 {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, fmt.Errorf("isolation: exec ended without a status: %w", ErrWorkerGone)
	}
	return int(status), nil
}

// copyStderr reads frames (4-byte big-endian length + bytes) until the
// terminating frame of length 0xFFFFFFFF followed by the exit status.
func copyStderr(dst io.Writer, src io.Reader) int32 {
	var hdr [4]byte
	buf := make([]byte, 32<<10)
	for {
		if _, err := io.ReadFull(src, hdr[:]); err != nil {
			return -1
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == serve.StatusFrame {
			if _, err := io.ReadFull(src, hdr[:]); err != nil {
				return -1
			}
			return int32(binary.BigEndian.Uint32(hdr[:]))
		}
		if n > uint32(len(buf)) {
			return -1
		}
		if _, err := io.ReadFull(src, buf[:n]); err != nil {
			return -1
		}
		if dst != nil {
			_, _ = dst.Write(buf[:n])
		}
	}
}

// MemoryUsage returns the bytes the worker's cgroup currently charges.
func (w *Worker) MemoryUsage() (int64, error) {
	st, err := w.container.Stats()
	if err != nil {
		return 0, fmt.Errorf("isolation: stats: %w", err)
	}
	return int64(st.CgroupStats.MemoryStats.Usage.Usage), nil
}

// Stop kills the worker and removes its container, cgroups and state. It is
// idempotent and safe to call from any goroutine.
func (w *Worker) Stop() error {
	w.stopOnce.Do(func() {
		w.stopErr = w.cleanup()
		w.m.forget(w.id)
	})
	return w.stopErr
}

func (w *Worker) cleanup() error {
	w.mu.Lock()
	if w.control != nil {
		w.control.Close() // the worker sees EOF and exits on its own
		w.control = nil
	}
	w.mu.Unlock()
	var errs []error
	if w.container != nil {
		if w.process != nil {
			_ = w.process.Signal(unix.SIGKILL)
			select {
			case <-w.done:
			case <-time.After(5 * time.Second):
				errs = append(errs, fmt.Errorf("isolation: worker %s did not exit", w.id))
			}
		}
		if err := w.container.Destroy(); err != nil {
			errs = append(errs, fmt.Errorf("isolation: destroy %s: %w", w.id, err))
		}
	}
	if err := removeRoot(w.root); err != nil {
		errs = append(errs, fmt.Errorf("isolation: remove root of %s: %w", w.id, err))
	}
	return errors.Join(errs...)
}
