package config

import (
	"errors"
	"fmt"
)

// Sentinel errors, for callers that want to tell problems apart with
// errors.Is rather than by message.
var (
	// ErrUnknownKey marks a key that no Config field corresponds to.
	ErrUnknownKey = errors.New("unknown key")
	// ErrInvalid marks a key whose value cannot be decoded or fails Validate.
	ErrInvalid = errors.New("invalid value")
)

// KeyError is a problem with one configuration key. Load and Validate return
// one KeyError per problem, joined with errors.Join.
type KeyError struct {
	// Key is the full dotted key, e.g. "session.max-sessions".
	Key string
	// Source says where the value came from ("file PATH", "env NAME",
	// "override"); it is empty for problems found by Validate, which sees
	// only the merged result.
	Source string
	// Err is ErrUnknownKey or the reason the value is wrong.
	Err error
}

// Error renders `config: unknown key "k"` or `config: k: reason`, followed by
// the source in parentheses when known.
func (e *KeyError) Error() string {
	var msg string
	if errors.Is(e.Err, ErrUnknownKey) {
		msg = fmt.Sprintf("config: unknown key %q", e.Key)
	} else {
		msg = fmt.Sprintf("config: %s: %v", e.Key, e.Err)
	}
	if e.Source != "" {
		msg += " (" + e.Source + ")"
	}
	return msg
}

// Unwrap returns the reason, so errors.Is(err, ErrUnknownKey) works.
func (e *KeyError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid and this is a bad value rather
// than an unknown key; the reasons themselves stay free-form text.
func (e *KeyError) Is(target error) bool {
	return target == ErrInvalid && !errors.Is(e.Err, ErrUnknownKey)
}
