// Package serve is what runs inside a worker on the streams the daemon
// hands it: the SFTP server (pkg/sftp over a session's tree, with the
// limits@openssh.com extension answered on the stream) and exec (legacy
// scp source and sink, `rsync --server` started inside Landlock walls,
// md5sum/sha*sum, and the reaper of everything the worker starts). The
// worker half of webfs's operations is the sub-package web.
//
// It runs inside the sandbox, so it never needs to be careful about host
// paths: every path goes through isolation/sessionfs. It may import
// isolation/sessionfs, isolation/unixsock and isolation/batchio; never
// isolation itself, proxy, sftpd or webfs.
package serve
