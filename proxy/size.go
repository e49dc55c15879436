package proxy

import (
	"strconv"

	"github.com/storage-agent/storage-agent/config"
)

// Size is a byte count in JSON: a number of bytes or a string with a
// binary suffix ("1g", "512m"), read by config.ByteSize so the API and
// storage-agent.toml agree on what "1g" means.
type Size int64

// sizeError reports a JSON value that is not a size. It is its own type so
// the request decoder can name the field that held it.
type sizeError struct{ err error }

func (e *sizeError) Error() string { return e.err.Error() }
func (e *sizeError) Unwrap() error { return ErrInvalidParams }

// UnmarshalJSON accepts a whole number of bytes or a size string.
func (s *Size) UnmarshalJSON(b []byte) error {
	var bs config.ByteSize
	if err := bs.UnmarshalJSON(b); err != nil {
		return &sizeError{err: err}
	}
	*s = Size(bs)
	return nil
}

// MarshalJSON writes the size as a plain number of bytes, which every
// reader of the API understands.
func (s Size) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(s), 10), nil
}
