package bgtask

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/procs"
)

type recorder struct {
	mu  sync.Mutex
	got [][]any
}

func (r *recorder) Broadcast(_ context.Context, cacheID string, ev events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, append([]any{ev.Name, cacheID}, ev.Values()...))
	return nil
}

func TestTaskEvents(t *testing.T) {
	rec := &recorder{}
	r := New(rec, nil, nil)
	release := make(chan struct{})
	done := r.Start("ok", func(ctx context.Context, report func(float64, float64)) (string, error) {
		report(1, 2)
		return "all good", nil
	})
	failed := r.Start("fail", func(context.Context, func(float64, float64)) (string, error) {
		return "", errors.New("disk on fire")
	})
	cancelled := r.Start("slow", func(ctx context.Context, _ func(float64, float64)) (string, error) {
		close(release)
		<-ctx.Done()
		return "", ctx.Err()
	})
	<-release
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]any{
		{"bgtask_updated", "bgtask." + done, done, 1.0, 2.0, nil},
		{"bgtask_done", "bgtask." + done, done, "all good"},
		{"bgtask_failed", "bgtask." + failed, failed, "disk on fire"},
		{"bgtask_cancelled", "bgtask." + cancelled, cancelled, "context canceled"},
	} {
		if !slices.ContainsFunc(rec.got, func(ev []any) bool { return slices.Equal(ev, want) }) {
			t.Errorf("no event %v in %v", want, rec.got)
		}
	}
	if New(nil, nil, nil).Start("no bus", func(context.Context, func(float64, float64)) (string, error) { return "", nil }) == "" {
		t.Error("no task id")
	}
}

// TestTaskRunsWithEveryP starts a task beside a transfer, which alone
// keeps the daemon to one P: while the task runs the daemon has every P,
// and one again once it is done.
func TestTaskRunsWithEveryP(t *testing.T) {
	scaler := procs.New()
	if scaler == nil {
		t.Skipf("one P or GOMAXPROCS set (%d): nothing to scale", runtime.GOMAXPROCS(0))
	}
	all := runtime.GOMAXPROCS(0)
	endTransfer := scaler.Begin()
	defer endTransfer()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("one transfer: GOMAXPROCS %d, want 1", got)
	}
	r := New(nil, nil, scaler)
	inside := make(chan int, 1)
	r.Start("clone", func(context.Context, func(float64, float64)) (string, error) {
		inside <- runtime.GOMAXPROCS(0)
		return "", nil
	})
	if got := <-inside; got != all {
		t.Errorf("while the task runs: GOMAXPROCS %d, want all %d", got, all)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("after the task, beside the transfer: GOMAXPROCS %d, want 1", got)
	}
}
