//go:build !seccomp

package isolation

// seccompBuilt is false in a binary built without the "seccomp" tag: such
// a binary cannot filter its workers' syscalls and refuses to start them.
const seccompBuilt = false
