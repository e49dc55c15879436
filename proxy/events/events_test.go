package events_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/events/redistest"
)

// TestWireFormats publishes one anycast and one broadcast event in each
// format on a real redis-server and decodes what a manager would read.
func TestWireFormats(t *testing.T) {
	sock, rdb := redistest.Start(t, 4)
	ctx := context.Background()
	for _, format := range []string{"msgpack", "json"} {
		t.Run(format, func(t *testing.T) {
			rdb.Del(ctx, events.Stream)
			bus, err := events.New(ctx, events.Options{Addr: sock, DB: 4, Format: format, Source: "agent-1"})
			if err != nil {
				t.Fatal(err)
			}
			defer bus.Close()
			sub := rdb.Subscribe(ctx, events.Channel)
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
				t.Fatal(err)
			}
			vfid := "user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3"
			if err := bus.Anycast(ctx, "vfolder_deletion_success", vfid); err != nil {
				t.Fatal(err)
			}
			if err := bus.Broadcast(ctx, "bgtask_done", "task-1", "task-1", nil); err != nil {
				t.Fatal(err)
			}
			decode := func(b []byte) []any {
				var args []any
				var err error
				if format == "json" {
					err = json.Unmarshal(b, &args)
				} else {
					err = msgpack.Unmarshal(b, &args)
				}
				if err != nil {
					t.Fatalf("args %q: %v", b, err)
				}
				return args
			}

			entries, err := rdb.XRange(ctx, events.Stream, "-", "+").Result()
			if err != nil || len(entries) != 1 {
				t.Fatalf("stream: %v %v", entries, err)
			}
			v := entries[0].Values
			args := decode([]byte(v["args"].(string)))
			if v["name"] != "vfolder_deletion_success" || v["source"] != "agent-1" || len(args) != 1 || args[0] != vfid {
				t.Errorf("anycast entry %v, args %v", v, args)
			}

			msg, err := sub.ReceiveMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var env struct{ Name, Source, Args string }
			if err := json.Unmarshal([]byte(msg.Payload), &env); err != nil {
				t.Fatal(err)
			}
			raw, _ := base64.StdEncoding.DecodeString(env.Args)
			args = decode(raw)
			if env.Name != "bgtask_done" || env.Source != "agent-1" || len(args) != 2 || args[0] != "task-1" || args[1] != nil {
				t.Errorf("broadcast %+v, args %v", env, args)
			}
			if cached, _ := rdb.Get(ctx, "task-1").Result(); cached != msg.Payload {
				t.Errorf("cached %q, want the broadcast", cached)
			}
		})
	}
}

func TestNoRedisIsNoBus(t *testing.T) {
	bus, err := events.New(context.Background(), events.Options{})
	if err != nil || bus != nil {
		t.Fatalf("New without addr = %v, %v", bus, err)
	}
	if err := bus.Anycast(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
}
