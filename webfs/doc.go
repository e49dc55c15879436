// Package webfs serves the Filebrowser-compatible HTTPS file API of
// direct-access sessions (see FILEBROWSER_API.md) and the embedded web UI.
// Every file operation runs inside the session's sandboxed worker
// (webproto.WebRequest); webfs never resolves a user path on the host.
// Sessions are reached through the small Session interface declared here,
// which the proxy's sessions satisfy.
package webfs
