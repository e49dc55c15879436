// Package bgtask runs the storage proxy's long operations (folder delete,
// clone, delete-async) in the background: the API answers at once with the
// task's UUID, and the task's progress and end are broadcast as
// Backend.AI's bgtask_updated / bgtask_done / bgtask_failed /
// bgtask_cancelled events, which the manager relays to the user.
package bgtask

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/procs"
)

// Publisher broadcasts an event; *events.Bus is one (a nil *events.Bus
// publishes nothing).
type Publisher interface {
	Broadcast(ctx context.Context, cacheID string, ev events.Event) error
}

// Func is a task's work. report publishes progress; the message returned
// goes into bgtask_done.
type Func func(ctx context.Context, report func(current, total float64)) (message string, err error)

// updateEvery throttles bgtask_updated: a 100,000-file clone must not
// send 100,000 events.
const updateEvery = time.Second

// publishTimeout bounds one publish, so a stuck Redis cannot hold a task.
const publishTimeout = 5 * time.Second

// Runner runs tasks until Close.
type Runner struct {
	pub   Publisher
	log   *slog.Logger
	procs *procs.Scaler // every task runs with every P; nil: not scaled

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a runner publishing through pub (nil: nowhere). A task walks
// or copies a whole tree, a clone four directories at once, so while one
// runs scaler gives the daemon every P, even beside a transfer that would
// otherwise keep it to one (nil: GOMAXPROCS is left alone).
func New(pub Publisher, log *slog.Logger, scaler *procs.Scaler) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{pub: pub, log: log, procs: scaler, ctx: ctx, cancel: cancel}
}

// NewID returns a random (version 4) UUID in its dashed form.
func NewID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// Start runs fn in the background and returns its task id at once.
func (r *Runner) Start(name string, fn Func) string {
	id := NewID()
	r.wg.Go(func() { r.run(id, name, fn) })
	return id
}

func (r *Runner) run(id, name string, fn Func) {
	defer r.procs.BeginWide()()
	var last time.Time
	report := func(cur, total float64) {
		if now := time.Now(); now.Sub(last) >= updateEvery {
			last = now
			r.publish(id, events.BgtaskUpdated(id, cur, total))
		}
	}
	start := time.Now()
	msg, err := fn(r.ctx, report)
	switch {
	case err == nil:
		r.log.Info("background task done", "task", name, "id", id, "duration", time.Since(start))
		r.publish(id, events.BgtaskEnded("bgtask_done", id, msg))
	case errors.Is(err, context.Canceled):
		r.log.Warn("background task cancelled", "task", name, "id", id, "err", err)
		r.publish(id, events.BgtaskEnded("bgtask_cancelled", id, err.Error()))
	default:
		r.log.Error("background task failed", "task", name, "id", id, "err", err)
		r.publish(id, events.BgtaskEnded("bgtask_failed", id, err.Error()))
	}
}

func (r *Runner) publish(id string, ev events.Event) {
	if r.pub == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), publishTimeout)
	defer cancel()
	if err := r.pub.Broadcast(ctx, events.BgtaskCacheID(id), ev); err != nil {
		r.log.Warn("cannot publish event", "event", ev.Name, "task", id, "err", err)
	}
}

// Close cancels running tasks and waits for them until ctx ends.
func (r *Runner) Close(ctx context.Context) error {
	r.cancel()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bgtask: close: %w", ctx.Err())
	}
}
