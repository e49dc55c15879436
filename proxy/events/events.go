// Package events publishes the storage proxy's events on Backend.AI's
// event bus (Redis), as its storage proxy does: anycast events
// (vfolder_deletion_success, ...) as XADD entries on the stream "events",
// which one manager process consumes; broadcast events (bgtask progress)
// PUBLISHed on "events_all" and cached under their cache id.
//
// Two wire formats, chosen by [redis] event-format:
//   - "msgpack" (Backend.AI up to 26.8.x): the field "args" holds the
//     msgpack array of the event's values (base64 in a broadcast);
//   - "json" (Backend.AI main): the field "payload" holds the event's
//     fields as a JSON object.
package events

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"
)

// Redis keys and limits of Backend.AI's event bus.
const (
	// Stream is the anycast stream the manager's consumer group reads.
	Stream = "events"
	// Channel is the broadcast channel every manager process subscribes to.
	Channel = "events_all"
	// streamMaxLen trims the stream approximately, as Backend.AI does, so
	// events nobody consumes cannot fill Redis.
	streamMaxLen = 128
	// cacheTTL keeps a broadcast's last state for late subscribers.
	cacheTTL = 5 * time.Minute
)

// Options configure a Bus.
type Options struct {
	Addr     string // host:port, or a unix socket path
	Password string
	DB       int
	Format   string // "msgpack" or "json"
	Source   string // the event's source: this agent's id
}

// Bus publishes events. A nil *Bus publishes nothing, so callers need not
// check whether Redis is configured.
type Bus struct {
	rdb    *redis.Client
	format string
	source string
}

// New returns a bus on Redis at o.Addr; an empty Addr returns a nil Bus.
func New(ctx context.Context, o Options) (*Bus, error) {
	if o.Addr == "" {
		return nil, nil
	}
	if o.Format != "msgpack" && o.Format != "json" {
		return nil, fmt.Errorf("events: unknown format %q", o.Format)
	}
	network := "tcp"
	if strings.HasPrefix(o.Addr, "/") {
		network = "unix"
	}
	// The client connects on first use and reconnects by itself: a Redis
	// that is down at start must not keep the agent from serving.
	rdb := redis.NewClient(&redis.Options{Network: network, Addr: o.Addr, Password: o.Password, DB: o.DB})
	return &Bus{rdb: rdb, format: o.Format, source: o.Source}, nil
}

// Ping checks that Redis answers.
func (b *Bus) Ping(ctx context.Context) error {
	if b == nil {
		return nil
	}
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("events: redis: %w", err)
	}
	return nil
}

// Close disconnects from Redis.
func (b *Bus) Close() error {
	if b == nil {
		return nil
	}
	return b.rdb.Close()
}

// body is the event in the bus's format: its field name and its value.
func (b *Bus) body(ev Event) (string, []byte, error) {
	if b.format == "msgpack" {
		enc, err := msgpack.Marshal(ev.Values())
		return "args", enc, err
	}
	var obj bytes.Buffer
	obj.WriteByte('{')
	for i, f := range ev.Fields {
		if i > 0 {
			obj.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		v, err := json.Marshal(f.Value)
		if err != nil {
			return "", nil, err
		}
		obj.Write(k)
		obj.WriteByte(':')
		obj.Write(v)
	}
	obj.WriteByte('}')
	return "payload", obj.Bytes(), nil
}

// Anycast adds ev for exactly one consumer.
func (b *Bus) Anycast(ctx context.Context, ev Event) error {
	if b == nil {
		return nil
	}
	key, enc, err := b.body(ev)
	if err != nil {
		return fmt.Errorf("events: %s: %w", ev.Name, err)
	}
	err = b.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: Stream, MaxLen: streamMaxLen, Approx: true,
		Values: []any{"name", ev.Name, "source", b.source, key, enc},
	}).Err()
	if err != nil {
		return fmt.Errorf("events: anycast %s: %w", ev.Name, err)
	}
	return nil
}

// Broadcast publishes ev to every subscriber and, with a cacheID, keeps it
// for late subscribers.
func (b *Bus) Broadcast(ctx context.Context, cacheID string, ev Event) error {
	if b == nil {
		return nil
	}
	key, enc, err := b.body(ev)
	if err != nil {
		return fmt.Errorf("events: %s: %w", ev.Name, err)
	}
	val := string(enc)
	if key == "args" {
		val = base64.StdEncoding.EncodeToString(enc)
	}
	msg, err := json.Marshal(map[string]string{"name": ev.Name, "source": b.source, key: val})
	if err != nil {
		return fmt.Errorf("events: %s: %w", ev.Name, err)
	}
	_, err = b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if cacheID != "" {
			p.Set(ctx, cacheID, msg, cacheTTL)
		}
		p.Publish(ctx, Channel, msg)
		return nil
	})
	if err != nil {
		return fmt.Errorf("events: broadcast %s: %w", ev.Name, err)
	}
	return nil
}
