package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
)

// IsBuiltinVolume reports whether volume name is the built-in default: the
// "local" volume under var-base-path, the only one serve may create.
func (c *Config) IsBuiltinVolume(name string) bool {
	v, ok := c.Volume[name]
	return ok && name == defaultVolumeName && v.Path == defaultVolume(c.Agent.VarBasePath).Path
}

// CheckVolumes reports every configured volume whose path does not exist or
// is not a directory, one *KeyError each. Such a path is never created: an
// NFS mount that is not mounted yet would otherwise be replaced by an empty
// directory on the root disk, and users would fill it. The built-in volume
// is exempt (serve creates it). It reads the filesystem, unlike Validate.
func (c *Config) CheckVolumes() error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.Volume)) {
		if c.IsBuiltinVolume(name) {
			continue
		}
		p := c.Volume[name].Path
		if err := dirError(p, "; mount or create it first (a configured volume is never created, so an unmounted disk is not filled by mistake)"); err != nil {
			errs = append(errs, &KeyError{Key: volumeKey(name, "path"), Err: err})
		}
	}
	return errors.Join(errs...)
}

// dirError says why p is not a directory that can be used, or nil; hint
// follows "does not exist" for a missing p.
func dirError(p, hint string) error {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist%s", p, hint)
	case err != nil:
		return fmt.Errorf("%s: %w", p, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", p)
	}
	return nil
}
