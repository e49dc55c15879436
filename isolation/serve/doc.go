// Package serve is what runs inside a worker on the streams the daemon
// hands it: the SFTP server (pkg/sftp over a session's tree, with the
// limits@openssh.com extension answered on the stream) and exec (the
// dispatch of a command line, `rsync --server` started inside Landlock
// walls, md5sum/sha*sum, and the reaper of everything the worker starts).
// Rooms of their own: scp (the legacy scp protocol), web (the worker half
// of webfs's operations), execio (what exec commands share) and
// writebehind (uploads that do not fill the cgroup with dirty pages).
//
// It runs inside the sandbox and sees only the session's tree: every path
// goes through isolation/sessionfs. It may import
// isolation/sessionfs, isolation/unixsock, isolation/batchio and its own
// sub-packages; never isolation itself, proxy, sftpd or webfs.
package serve
