// Package sandboxtest gives test binaries hostile programs to run inside a
// real worker's sandbox: a memory hog, a fork bomb, a kernel prober. Only tests import it,
// so the daemon binary carries none of them.
//
// It may import only the standard library and golang.org/x/sys.
package sandboxtest
