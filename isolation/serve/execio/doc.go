// Package execio is the plumbing every command an exec request runs in a
// worker shares: splitting the command line as a shell would (without
// expanding anything), the command's stdin/stdout stream and framed stderr
// (IO), and coreutils-style error text.
//
// It may import isolation/sessionfs and isolation/unixsock; never
// isolation, isolation/serve or its other sub-packages.
package execio
