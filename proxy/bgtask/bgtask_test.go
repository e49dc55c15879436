package bgtask

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/proxy/events"
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
	r := New(rec, nil)
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
	if New(nil, nil).Start("no bus", func(context.Context, func(float64, float64)) (string, error) { return "", nil }) == "" {
		t.Error("no task id")
	}
}
