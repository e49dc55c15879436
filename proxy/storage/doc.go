// Package storage is the vfs volume of Backend.AI's storage proxy: the
// vfolder layout (<volume>/<qsid hex>/<aa>/<bb>/<rest>), quota scopes, and
// every file operation the manager and the client API ask for.
//
// Every path that comes from a caller (relpath, dst_dir, archive files) is
// resolved through an *os.Root opened on the vfolder, never joined to a
// host path: ".." and symlinks planted in a folder cannot lead out of it.
// Only names this package builds itself from parsed uuids are joined.
//
// The os.Root helpers it shares with the sessions' file tree (recognising
// an escape refusal, copying a file between roots) come from
// isolation/sessionfs.
package storage
