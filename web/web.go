// Package web holds the browser UI that webfs serves, embedded into the
// binary so nothing needs installing beside it: plain ES modules and one
// stylesheet, no build step, nothing loaded from another origin.
package web

import (
	"embed"
	"io/fs"
)

//go:embed index.html css js icons
var files embed.FS

// FS returns the UI's files; "index.html" is the entry page, the rest is
// served under /ui/.
func FS() fs.FS { return files }
