// Package sftpd is storage-agent's SSH server: the front door for sftp, scp and
// rsync clients of direct-access sessions.
//
// It owns the parts of SSH that belong to the daemon — host keys, algorithm
// choice, authentication, connection lifetime — and nothing of the file
// system. The SSH username is a session id; a client proves it may use that
// session with the session token (password or keyboard-interactive) or with
// one of the session's public keys. Every accepted "session" channel is then
// relayed to the session's sandboxed worker: the "sftp" subsystem as a byte
// stream from [Session.OpenSFTP], exec requests (scp, rsync) through
// [Session.Exec]. Shells, ptys, environment variables and every kind of
// forwarding are refused, so a login can reach nothing but its own worker.
//
// sftpd never imports the session registry; it finds sessions through the
// small [Session] interface and the [Options.Lookup] function, which the
// proxy package satisfies.
//
// A Server keeps all of its state in itself (no package globals), so tests
// and reloads may run several side by side.
package sftpd
