package config

import (
	"encoding"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The Config type itself is the schema: its koanf tags name the keys and its
// field types say how to decode the values, so a new field needs no second
// list to be kept in step.
var (
	configType          = reflect.TypeFor[Config]()
	byteSizeType        = reflect.TypeFor[ByteSize]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// errNotLeaf says a key names a table where a value was given.
var errNotLeaf = errors.New("key names a table")

// keyName is the koanf tag of f: the kebab-case key in every source.
func keyName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
	return name
}

// fieldByKey finds the field of struct type t whose key is name.
func fieldByKey(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && keyName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// isLeaf reports whether values of t are written as one TOML value rather
// than a table.
func isLeaf(t reflect.Type) bool {
	return t.Kind() != reflect.Struct && t.Kind() != reflect.Map
}

// resolve walks the key parts of a flat key (from the environment or a flag)
// through t and returns the key's path in the config tree and its leaf type.
// Below a map (volume.<name>.<field>) every part but the last belongs to the
// name, so dotted volume names can still be set from a flag.
func resolve(t reflect.Type, parts []string) ([]string, reflect.Type, error) {
	var path []string
	for i := 0; ; {
		switch {
		case isLeaf(t):
			if i != len(parts) {
				return nil, nil, ErrUnknownKey
			}
			return path, t, nil
		case i == len(parts):
			return nil, nil, errNotLeaf
		case t.Kind() == reflect.Struct:
			f, ok := fieldByKey(t, parts[i])
			if !ok {
				return nil, nil, ErrUnknownKey
			}
			path, t, i = append(path, parts[i]), f.Type, i+1
		default: // map
			n := i + 1
			if !isLeaf(t.Elem()) {
				// The name takes all parts but the one the element's field needs.
				n = max(n, len(parts)-1)
			}
			path, t, i = append(path, strings.Join(parts[i:n], ".")), t.Elem(), n
		}
	}
}

// layer collects the typed values and the problems of one source.
type layer struct {
	values map[string]any // nested like the TOML file, values of the field types
	errs   []error
}

func newLayer() *layer { return &layer{values: map[string]any{}} }

func (l *layer) fail(key, source string, err error) {
	l.errs = append(l.errs, &KeyError{Key: key, Source: source, Err: err})
}

// setFlat decodes one flat key=value pair (environment or flag) into l.
func (l *layer) setFlat(parts []string, value, source string) {
	key := strings.Join(parts, ".")
	path, t, err := resolve(configType, parts)
	switch {
	case errors.Is(err, errNotLeaf):
		l.fail(key, source, fmt.Errorf("must be a table, got %s", show(value)))
		return
	case err != nil:
		l.fail(key, source, err)
		return
	}
	v, err := convert(t, value)
	if err != nil {
		l.fail(key, source, err)
		return
	}
	m := l.values
	for _, p := range path[:len(path)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	m[path[len(path)-1]] = v
}

// setTree decodes a nested map (the parsed TOML file) into l.
func (l *layer) setTree(raw map[string]any, source string) {
	if v, ok := l.tree(configType, nil, raw, source); ok {
		l.values = v.(map[string]any)
	}
}

// tree checks v, found at path, against t and returns it with typed values.
// Keys are visited in sorted order so the errors come out in a stable order.
func (l *layer) tree(t reflect.Type, path []string, v any, source string) (any, bool) {
	key := strings.Join(path, ".")
	if isLeaf(t) {
		cv, err := convert(t, v)
		if err != nil {
			l.fail(key, source, err)
			return nil, false
		}
		return cv, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		l.fail(key, source, fmt.Errorf("must be a table, got %s", show(v)))
		return nil, false
	}
	out := make(map[string]any, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		sub := append(path[:len(path):len(path)], k)
		elem := t
		if t.Kind() == reflect.Struct {
			f, ok := fieldByKey(t, k)
			if !ok {
				l.fail(strings.Join(sub, "."), source, ErrUnknownKey)
				continue
			}
			elem = f.Type
		} else {
			elem = t.Elem()
		}
		if cv, ok := l.tree(elem, sub, m[k], source); ok {
			out[k] = cv
		}
	}
	return out, true
}

// convert turns a raw value (a string from the environment or a flag, or
// whatever TOML produced) into a value of the field type t. Strings are
// accepted for every type so env and flags need no special syntax; the
// reverse (a TOML number for a string field) is refused, since it is almost
// always a missing pair of quotes.
func convert(t reflect.Type, v any) (any, error) {
	want := func() error { return fmt.Errorf("must be %s, got %s", describe(t), show(v)) }
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		out := reflect.New(t)
		switch x := v.(type) {
		case string:
			if err := out.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(x)); err != nil {
				return nil, err
			}
		case int64:
			// A TOML integer is a plain byte count; for durations it would
			// be ambiguous (seconds? nanoseconds?) and so is refused.
			if t != byteSizeType || x < 0 {
				return nil, want()
			}
			out.Elem().SetInt(x)
		default:
			return nil, want()
		}
		return out.Elem().Interface(), nil
	}
	out := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			out.SetBool(x)
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q is not true or false", x)
			}
			out.SetBool(b)
		default:
			return nil, want()
		}
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return nil, want()
		}
		out.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case string:
			var err error
			n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("%q is out of range", x)
			} else if err != nil {
				return nil, fmt.Errorf("%q is not an integer", x)
			}
		default:
			return nil, want()
		}
		if out.OverflowInt(n) {
			return nil, fmt.Errorf("%d is out of range", n)
		}
		out.SetInt(n)
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := v.(type) {
		case int64:
			f = float64(x)
		case float64:
			f = x
		case string:
			var err error
			f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", x)
			}
		default:
			return nil, want()
		}
		out.SetFloat(f)
	default:
		// Only reachable if a field of an unsupported kind is added.
		return nil, fmt.Errorf("cannot decode into %s", t)
	}
	return out.Interface(), nil
}

// describe names what a value of t looks like, for error messages.
func describe(t reflect.Type) string {
	switch {
	case t == byteSizeType:
		return `a size such as "1g" or a number of bytes`
	case t == reflect.TypeFor[Duration]():
		return `a duration such as "30m"`
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	default:
		return "an integer"
	}
}

// show renders a raw value for an error message.
func show(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	default:
		return fmt.Sprint(x)
	}
}

// encode turns v into the nested-map form a TOML file would produce: tables
// as map[string]any, text-marshalable values as strings, integers as int64.
func encode(v reflect.Value) any {
	t := v.Type()
	if t.Implements(textMarshalerType) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			// Our own marshalers never fail; a future one that does should
			// be noticed rather than written as an empty string.
			panic(fmt.Sprintf("config: marshal %s: %v", t, err))
		}
		return string(b)
	}
	switch t.Kind() {
	case reflect.Struct:
		m := make(map[string]any, t.NumField())
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				m[keyName(f)] = encode(v.Field(i))
			}
		}
		return m
	case reflect.Map:
		m := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = encode(it.Value())
		}
		return m
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	default:
		return v.Int()
	}
}
