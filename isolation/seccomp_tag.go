//go:build seccomp

package isolation

// seccompBuilt reports whether libcontainer can load seccomp filters in
// this binary: only with cgo, libseccomp and the "seccomp" build tag,
// which `make` always sets.
const seccompBuilt = true
