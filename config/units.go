package config

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Interface guards: the decoder and the TOML writer rely on these.
var (
	_ encoding.TextUnmarshaler = (*Duration)(nil)
	_ encoding.TextMarshaler   = Duration(0)
	_ encoding.TextUnmarshaler = (*ByteSize)(nil)
	_ encoding.TextMarshaler   = ByteSize(0)
	_ json.Unmarshaler         = (*ByteSize)(nil)
)

// String renders d like time.Duration but without trailing zero units, so
// the defaults print as "30m" and "24h", the way DESIGN.md writes them.
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with time.ParseDuration
// syntax ("90s", "30m", "1h30m"), plus whole days ("1d") as Backend.AI's
// storage-proxy.toml writes session-expire.
func (d *Duration) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.ParseUint(days, 10, 16); err == nil {
			*d = Duration(time.Duration(n) * 24 * time.Hour)
			return nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		// time's own message repeats the input and names no valid form.
		return fmt.Errorf("%q is not a duration such as \"90s\", \"30m\" or \"24h\"", string(text))
	}
	*d = Duration(v)
	return nil
}

// Binary multiples accepted and produced by ByteSize.
const (
	kib ByteSize = 1 << (10 * (iota + 1))
	mib
	gib
	tib
)

// byteUnits lists the suffixes from largest to smallest, so String picks the
// most compact exact form.
var byteUnits = [...]struct {
	suffix string
	size   ByteSize
}{{"t", tib}, {"g", gib}, {"m", mib}, {"k", kib}}

// String renders b with the largest binary suffix that divides it exactly
// ("1g", "512m", "64k"), or as plain bytes.
func (b ByteSize) String() string {
	if b != 0 {
		for _, u := range byteUnits {
			if b%u.size == 0 {
				return strconv.FormatInt(int64(b/u.size), 10) + u.suffix
			}
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts a whole
// number of bytes, optionally followed by a binary unit k, m, g or t, itself
// optionally followed by "b" or "ib", in any case: "1073741824", "1g",
// "512M", "64KiB", "100b".
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := parseByteSize(string(text))
	if err != nil {
		return fmt.Errorf("%q is not a size: %w", string(text), err)
	}
	*b = v
	return nil
}

// UnmarshalJSON accepts a JSON number of bytes as well as a string in the
// UnmarshalText form, because API clients write both (DESIGN.md's session
// request has "memory": "1g").
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		return b.UnmarshalText([]byte(s))
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("size must be a string or a number: %w", err)
	}
	return b.UnmarshalText([]byte(n.String()))
}

func parseByteSize(s string) (ByteSize, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	digits, unit := s[:i], strings.TrimSpace(s[i:])
	if digits == "" {
		return 0, errors.New(`want a whole number of bytes, optionally with a unit k, m, g or t (e.g. "512m")`)
	}
	var mult ByteSize
	switch unit {
	case "", "b":
		mult = 1
	case "k", "kb", "kib":
		mult = kib
	case "m", "mb", "mib":
		mult = mib
	case "g", "gb", "gib":
		mult = gib
	case "t", "tb", "tib":
		mult = tib
	default:
		return 0, fmt.Errorf("unknown unit %q, want k, m, g or t", unit)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(math.MaxInt64/mult) {
		return 0, errors.New("out of range")
	}
	return ByteSize(n) * mult, nil
}
