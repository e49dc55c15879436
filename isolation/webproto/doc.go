// Package webproto is the wire contract between webfs (in the daemon) and
// the worker half of each web operation (isolation/serve/web): the
// operations, the request and the reply line. Both sides import it; it
// knows nothing of either.
//
// It may import only the standard library.
package webproto
