// Package sessionfs is the confined file tree a session sees: "/" holds
// exactly the session's mounts, every path under a mount is resolved through
// an *os.Root (so no symlink or ".." leads out of it), read-only mounts refuse
// changes, and the refusals are sentinel errors that each protocol maps to
// its own status codes.
//
// Its API has no protocol types (no sftp, scp or HTTP): the servers in
// isolation/serve adapt it. It needs no sandbox: a worker opens it on its
// bind mounts, tests on t.TempDir() trees; the storage proxy
// (proxy/storage) shares its os.Root helpers (IsEscape, CopyFile) on the
// host.
//
// It may import only the standard library and golang.org/x/sys.
package sessionfs
