// Package unixsock holds the Unix-socket plumbing both sides of a worker use:
// the daemon makes stream socket pairs and hands one end to the worker; the
// worker turns each received end back into a connection.
//
// It may import only the standard library and golang.org/x/sys.
package unixsock
