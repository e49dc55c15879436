// Package web holds the browser UI that webfs serves, embedded into the
// binary so nothing needs installing beside it. For now it is a single
// placeholder page stating that the API is live.
package web

import (
	"embed"
	"io/fs"
)

//go:embed index.html
var files embed.FS

// FS returns the UI's files; "index.html" is the entry page.
func FS() fs.FS { return files }
