package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBodyBytes caps request bodies: the largest legitimate one (32 mounts,
// 64 keys) is a few tens of KiB.
const maxBodyBytes = 1 << 20

// decodeStrict reads exactly one JSON value into v from r's body: unknown
// fields, trailing data, an empty body and bodies over maxBodyBytes are
// all refused, each with an error naming what was wrong.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// Anything but whitespace after the value is an error, not ignored.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			if de := decodeError(err); errors.Is(de, ErrBodyTooLarge) {
				return de
			}
		}
		return invalid("request body", "trailing data after the JSON value")
	}
	return nil
}

// decodeError turns encoding/json's errors into field errors.
func decodeError(err error) error {
	var (
		maxErr   *http.MaxBytesError
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		sizeErr  *sizeError
		fieldErr *fieldError
	)
	switch {
	case errors.As(err, &maxErr):
		return fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, maxErr.Limit)
	case errors.Is(err, io.EOF):
		return invalid("request body", "empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("request body", "truncated JSON")
	case errors.As(err, &syntax):
		return invalid("request body", "invalid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return invalid("request body", "want a JSON object, got JSON %s", typeErr.Value)
		}
		return invalid(typeErr.Field, "want %s, got JSON %s", typeErr.Type, typeErr.Value)
	case errors.As(err, &sizeErr):
		// Size only appears as resources.memory.
		return invalid("resources.memory", "%v", sizeErr)
	case errors.As(err, &fieldErr):
		return err
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalid(strings.Trim(name, `"`), "unknown field")
	}
	return invalid("request body", "%v", err)
}
