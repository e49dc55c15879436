package config

import (
	"encoding/json"
	"testing"
	"time"
)

func TestByteSizeUnmarshalText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"1073741824", 1 << 30, true},
		{"0", 0, true},
		{"100b", 100, true},
		{"1g", 1 << 30, true},
		{"1G", 1 << 30, true},
		{"1gb", 1 << 30, true},
		{"1GiB", 1 << 30, true},
		{"512M", 512 << 20, true},
		{"512mib", 512 << 20, true},
		{"64KiB", 64 << 10, true},
		{"64k", 64 << 10, true},
		{"2t", 2 << 40, true},
		{" 16 MiB ", 16 << 20, true},
		{"", 0, false},
		{"g", 0, false},
		{"1x", 0, false},
		{"1gi", 0, false},
		{"1.5g", 0, false},
		{"-1g", 0, false},
		{"1 g b", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false},
		{"8388608t", 0, false}, // 2^63 bytes
	}
	for _, tt := range tests {
		var b ByteSize
		err := b.UnmarshalText([]byte(tt.in))
		if (err == nil) != tt.ok || (tt.ok && b != tt.want) {
			t.Errorf("UnmarshalText(%q) = %d, %v; want %d, ok=%v", tt.in, b, err, tt.want, tt.ok)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1000"},
		{1024, "1k"},
		{1536 << 10, "1536k"},
		{512 << 20, "512m"},
		{1 << 30, "1g"},
		{3 << 40, "3t"},
		{1<<30 + 1, "1073741825"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		var back ByteSize
		if err := back.UnmarshalText([]byte(tt.in.String())); err != nil || back != tt.in {
			t.Errorf("round trip of %d = %d, %v", int64(tt.in), back, err)
		}
	}
}

func TestByteSizeJSON(t *testing.T) {
	t.Parallel()
	var v struct{ Memory ByteSize }
	for in, want := range map[string]ByteSize{`{"Memory":"1g"}`: 1 << 30, `{"Memory":4096}`: 4 << 10} {
		if err := json.Unmarshal([]byte(in), &v); err != nil || v.Memory != want {
			t.Errorf("json %s = %d, %v; want %d", in, v.Memory, err, want)
		}
	}
	for _, in := range []string{`{"Memory":"1x"}`, `{"Memory":1.5}`, `{"Memory":true}`} {
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("json %s accepted", in)
		}
	}
	out, err := json.Marshal(struct{ Memory ByteSize }{512 << 20})
	if err != nil || string(out) != `{"Memory":"512m"}` {
		t.Errorf("json.Marshal = %s, %v", out, err)
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
		str  string
	}{
		{"30m", 30 * time.Minute, true, "30m"},
		{"24h", 24 * time.Hour, true, "24h"},
		{"1h30m", 90 * time.Minute, true, "1h30m"},
		{"90s", 90 * time.Second, true, "1m30s"},
		{"1500ms", 1500 * time.Millisecond, true, "1.5s"},
		{" 5m ", 5 * time.Minute, true, "5m"},
		{"0", 0, true, "0s"},
		{"soon", 0, false, ""},
		{"", 0, false, ""},
		{"10", 0, false, ""},
	}
	for _, tt := range tests {
		var d Duration
		err := d.UnmarshalText([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("UnmarshalText(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if time.Duration(d) != tt.want || d.String() != tt.str {
			t.Errorf("UnmarshalText(%q) = %v (%q), want %v (%q)", tt.in, time.Duration(d), d.String(), tt.want, tt.str)
		}
		var back Duration
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Errorf("round trip of %q = %v, %v", tt.in, back, err)
		}
	}
}
