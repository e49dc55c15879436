// Package events publishes the storage proxy's events on Backend.AI's
// event bus (Redis): anycast events (vfolder_deletion_success, ...) as
// XADD entries on the stream "events", which one manager process consumes;
// broadcast events (bgtask progress) PUBLISHed on "events_all" and cached
// under their cache id, as Backend.AI's RedisQueue does.
//
// An event's args are encoded in one of two wire formats: "msgpack" (the
// msgpack array Backend.AI releases up to 26.8.x unpack) or "json" (a JSON
// array, for Backend.AI main's JSON payloads).
package events

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"
)

// Redis keys of Backend.AI's event bus.
const (
	// Stream is the anycast stream the manager's consumer group reads.
	Stream = "events"
	// Channel is the broadcast channel every manager process subscribes to.
	Channel = "events_all"
	// streamMaxLen bounds the stream (approximately) like Backend.AI's
	// MAXLEN, so events nobody consumes cannot fill Redis.
	streamMaxLen = 65536
	// cacheTTL keeps a broadcast's last state for late subscribers.
	cacheTTL = time.Hour
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

// New connects to Redis; an empty Addr returns a nil Bus.
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
	rdb := redis.NewClient(&redis.Options{Network: network, Addr: o.Addr, Password: o.Password, DB: o.DB})
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("events: redis %s: %w", o.Addr, err)
	}
	return &Bus{rdb: rdb, format: o.Format, source: o.Source}, nil
}

// Close disconnects from Redis.
func (b *Bus) Close() error {
	if b == nil {
		return nil
	}
	return b.rdb.Close()
}

// encode writes args in the bus's format.
func (b *Bus) encode(args []any) ([]byte, error) {
	if args == nil {
		args = []any{}
	}
	if b.format == "json" {
		return json.Marshal(args)
	}
	return msgpack.Marshal(args)
}

// Anycast adds one event for exactly one consumer.
func (b *Bus) Anycast(ctx context.Context, name string, args ...any) error {
	if b == nil {
		return nil
	}
	enc, err := b.encode(args)
	if err != nil {
		return fmt.Errorf("events: %s: %w", name, err)
	}
	err = b.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: Stream, MaxLen: streamMaxLen, Approx: true,
		Values: []any{"name", name, "source", b.source, "args", enc},
	}).Err()
	if err != nil {
		return fmt.Errorf("events: anycast %s: %w", name, err)
	}
	return nil
}

// Broadcast publishes one event to every subscriber and, with a cacheID,
// keeps it for late subscribers.
func (b *Bus) Broadcast(ctx context.Context, name, cacheID string, args ...any) error {
	if b == nil {
		return nil
	}
	enc, err := b.encode(args)
	if err != nil {
		return fmt.Errorf("events: %s: %w", name, err)
	}
	msg, err := json.Marshal(map[string]string{
		"name": name, "source": b.source, "args": base64.StdEncoding.EncodeToString(enc),
	})
	if err != nil {
		return fmt.Errorf("events: %s: %w", name, err)
	}
	_, err = b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if cacheID != "" {
			p.Set(ctx, cacheID, msg, cacheTTL)
		}
		p.Publish(ctx, Channel, msg)
		return nil
	})
	if err != nil {
		return fmt.Errorf("events: broadcast %s: %w", name, err)
	}
	return nil
}
