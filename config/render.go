package config

import (
	"bytes"
	"encoding"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// mask replaces a secret value in Masked.
const mask = "********"

// Masked returns a deep copy of c with secret values replaced by "********",
// for printing or logging. Empty secrets stay empty, so the output still
// shows whether one will be generated.
func (c *Config) Masked() *Config {
	m := *c
	m.Volume = maps.Clone(c.Volume)
	for _, secret := range []*string{&m.API.Manager.Secret, &m.StorageProxy.Secret, &m.Redis.Password} {
		if *secret != "" {
			*secret = mask
		}
	}
	return &m
}

// Keys returns every leaf key of Default() in dotted form, sorted, e.g.
// "session.max-sessions"; the command registers one flag per key.
func Keys() []string {
	flat := map[string]string{}
	flatten(flat, "", encode(reflect.ValueOf(*Default())))
	return slices.Sorted(maps.Keys(flat))
}

// hostPortType is written as an inline table, as DESIGN.md shows it.
var hostPortType = reflect.TypeFor[HostPort]()

// TOML renders c as a storage-agent.toml that Load reads back to the same
// Config: sections in the order of DESIGN.md, kebab-case keys, addresses as
// inline tables. Use Masked first when the output may be shown to others.
func (c *Config) TOML() ([]byte, error) {
	var b bytes.Buffer
	if err := writeTable(&b, nil, reflect.ValueOf(*c)); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b.Bytes(), nil
}

// writeTable writes the struct v as the table at path. TOML attaches
// key/value lines to the latest [header], so a table's own values come
// before its sub-tables, and a header is written only over values.
func writeTable(b *bytes.Buffer, path []string, v reflect.Value) error {
	t := v.Type()
	var subs []int
	header := false
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if f.Type != hostPortType && !isLeaf(f.Type) {
			subs = append(subs, i)
			continue
		}
		if !header && len(path) > 0 {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(b, "[%s]\n", tomlKeyPath(path))
			header = true
		}
		s, err := tomlValue(fv)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(append(path, keyName(f)), "."), err)
		}
		fmt.Fprintf(b, "%s = %s\n", tomlKey(keyName(f)), s)
	}
	for _, i := range subs {
		f, fv := t.Field(i), v.Field(i)
		sub := append(path[:len(path):len(path)], keyName(f))
		if f.Type.Kind() == reflect.Struct {
			if err := writeTable(b, sub, fv); err != nil {
				return err
			}
			continue
		}
		// A map of tables: one [volume.<name>] per entry, sorted.
		keys := fv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			if err := writeTable(b, append(sub[:len(sub):len(sub)], k.String()), fv.MapIndex(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// tomlValue renders one value: a scalar, or a HostPort as an inline table.
func tomlValue(v reflect.Value) (string, error) {
	if v.Type() == hostPortType {
		hp := v.Interface().(HostPort)
		return fmt.Sprintf("{ host = %s, port = %d }", tomlString(hp.Host), hp.Port), nil
	}
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		text, err := m.MarshalText()
		if err != nil {
			return "", err
		}
		return tomlString(string(text)), nil
	}
	switch v.Kind() {
	case reflect.String:
		return tomlString(v.String()), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Float32, reflect.Float64:
		return tomlFloat(v.Float()), nil
	}
	return "", fmt.Errorf("cannot write a %s as TOML", v.Type())
}

// tomlFloat writes f so TOML reads it back as a float: "1.0", not "1".
func tomlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// tomlString quotes s as a TOML basic string. strconv.Quote is not used:
// Go escapes such as \x00 or \a are not valid TOML.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f || r == utf8.RuneError {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlKey writes k bare when TOML allows it, quoted otherwise (a volume
// name with a dot must not turn into two levels).
func tomlKey(k string) string {
	if k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
		return k
	}
	return tomlString(k)
}

func tomlKeyPath(path []string) string {
	keys := make([]string, len(path))
	for i, k := range path {
		keys[i] = tomlKey(k)
	}
	return strings.Join(keys, ".")
}
