// Package web is the worker half of every webfs operation: info, listing,
// raw reads (spliced into a pipe), writes, mkdir, delete, copy and move,
// tus uploads staged under each mount's .webfs-uploads, archives, the
// recursive walk and search. Serve answers one webproto.WebRequest on one
// stream; errors become HTTP statuses here (status.go).
//
// It runs inside the worker on a sessionfs tree, and works the same on any
// sessionfs tree (its tests use temporary directories). It may import
// isolation/sessionfs, isolation/webproto and isolation/unixsock; never
// isolation itself, proxy, sftpd or webfs.
package web
