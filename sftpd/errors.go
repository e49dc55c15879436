package sftpd

import "errors"

// Sentinel errors of package sftpd; callers test for them with errors.Is.
var (
	// ErrNoHostKeyDir is returned by New when Options.HostKeyDir is empty.
	ErrNoHostKeyDir = errors.New("sftpd: no host key directory")
	// ErrNoLookup is returned by New when Options.Lookup is nil.
	ErrNoLookup = errors.New("sftpd: no session lookup function")
	// ErrHostKey wraps failures to load, generate or store a host key.
	ErrHostKey = errors.New("sftpd: host key")
	// ErrListener wraps the error of a listener that stopped accepting.
	ErrListener = errors.New("sftpd: listener failed")
	// ErrAuthFailed is what a client learns about any failed login: wrong
	// token, unknown session or unauthorized key all look the same.
	ErrAuthFailed = errors.New("sftpd: authentication failed")
	// ErrTooManyConnections refuses a valid login of a session that holds
	// its maximum of connections; the client is told why in a banner.
	ErrTooManyConnections = errors.New("sftpd: session at its connection limit")
	// ErrUnknownSession is logged (never sent) when a login names no session.
	ErrUnknownSession = errors.New("sftpd: unknown session")
	// ErrExecNotSupported is the error a Session.Exec returns (wrapped, with
	// the command) to refuse a command; the client sees its text on stderr.
	ErrExecNotSupported = errors.New("command not supported")
)
