package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// frontendIndexes are where a built Filebrowser frontend keeps the
// index.html template webfs renders (webfs looks in the same places):
// Filebrowser's Vite build writes public/index.html into its dist.
var frontendIndexes = []string{"public/index.html", "index.html"}

// CheckFrontend reports a webfs.filebrowser-frontend that is not a
// directory holding Filebrowser's index.html, as a *KeyError, so that
// serve refuses to start rather than serve a broken page. Empty (our own
// UI) is fine. It reads the filesystem, unlike Validate.
func (c *Config) CheckFrontend() error {
	dir := c.WebFS.FilebrowserFrontend
	if dir == "" {
		return nil
	}
	err := dirError(dir, "")
	if err == nil {
		err = fmt.Errorf("%s holds no public/index.html or index.html: not Filebrowser's built frontend (its dist)", dir)
		for _, p := range frontendIndexes {
			if fi, e := os.Stat(filepath.Join(dir, p)); e == nil && fi.Mode().IsRegular() {
				err = nil
				break
			}
		}
	}
	if err != nil {
		return &KeyError{Key: "webfs.filebrowser-frontend", Err: err}
	}
	return nil
}
