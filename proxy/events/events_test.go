package events_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/events/redistest"
)

// TestWireFormats publishes one anycast and one broadcast event in each
// format on a real redis-server and decodes them as a manager would.
func TestWireFormats(t *testing.T) {
	sock, rdb := redistest.Start(t, 4)
	ctx := context.Background()
	const vfid = "user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"
	for _, tc := range []struct {
		format, field      string
		anycast, broadcast string // the decoded body, as JSON
	}{
		{"msgpack", "args", `["` + vfid + `","` + vfid + `"]`, `["task-1",null]`},
		{"json", "payload", `{"vfid":"` + vfid + `","dst_vfid":"` + vfid + `"}`, `{"task_id":"task-1","message":null}`},
	} {
		t.Run(tc.format, func(t *testing.T) {
			rdb.Del(ctx, events.Stream)
			bus, err := events.New(ctx, events.Options{Addr: sock, DB: 4, Format: tc.format, Source: "agent-1"})
			if err != nil {
				t.Fatal(err)
			}
			defer bus.Close()
			sub := rdb.Subscribe(ctx, events.Channel)
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
				t.Fatal(err)
			}
			if err := bus.Anycast(ctx, events.VFolderCloneSuccess(vfid, vfid)); err != nil {
				t.Fatal(err)
			}
			if err := bus.Broadcast(ctx, events.BgtaskCacheID("task-1"), events.BgtaskEnded("bgtask_done", "task-1", "")); err != nil {
				t.Fatal(err)
			}
			// asJSON renders a body (msgpack or JSON) as JSON.
			// JSON bodies are compared as sent: their field order is the event's.
			asJSON := func(b []byte) string {
				if tc.format == "json" {
					if !json.Valid(b) {
						t.Fatalf("body %q is not JSON", b)
					}
					return string(b)
				}
				var v any
				if err := msgpack.Unmarshal(b, &v); err != nil {
					t.Fatalf("body %q: %v", b, err)
				}
				out, _ := json.Marshal(v)
				return string(out)
			}

			entries, err := rdb.XRange(ctx, events.Stream, "-", "+").Result()
			if err != nil || len(entries) != 1 {
				t.Fatalf("stream: %v %v", entries, err)
			}
			v := entries[0].Values
			if v["name"] != "vfolder_clone_success" || v["source"] != "agent-1" || asJSON([]byte(v[tc.field].(string))) != tc.anycast {
				t.Errorf("anycast entry %v, want %s = %s", v, tc.field, tc.anycast)
			}

			msg, err := sub.ReceiveMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var env map[string]string
			if err := json.Unmarshal([]byte(msg.Payload), &env); err != nil {
				t.Fatal(err)
			}
			body := []byte(env[tc.field])
			if tc.format == "msgpack" {
				body, _ = base64.StdEncoding.DecodeString(env[tc.field])
			}
			if env["name"] != "bgtask_done" || env["source"] != "agent-1" || asJSON(body) != tc.broadcast {
				t.Errorf("broadcast %v, want %s = %s", env, tc.field, tc.broadcast)
			}
			if cached, _ := rdb.Get(ctx, "bgtask.task-1").Result(); cached != msg.Payload {
				t.Errorf("cached %q, want the broadcast", cached)
			}
		})
	}
}

// TestRedisDownAtStart: a bus whose Redis is not there yet still comes
// up; Ping says so and publishing fails until Redis answers.
func TestRedisDownAtStart(t *testing.T) {
	ctx := context.Background()
	bus, err := events.New(ctx, events.Options{Addr: filepath.Join(t.TempDir(), "none.sock"), Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	if bus.Ping(ctx) == nil || bus.Anycast(ctx, events.VFolderDeletionSuccess("x")) == nil {
		t.Fatal("a missing Redis answered")
	}
}

func TestNoRedisIsNoBus(t *testing.T) {
	bus, err := events.New(context.Background(), events.Options{})
	if err != nil || bus != nil {
		t.Fatalf("New without addr = %v, %v", bus, err)
	}
	if err := bus.Anycast(context.Background(), events.VFolderDeletionSuccess("x")); err != nil {
		t.Fatal(err)
	}
}
