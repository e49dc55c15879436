// Package isolation is the daemon's side of the sandbox: it runs each
// session's file access in its own worker process, a libcontainer container
// whose root holds only the session's mounts, with cgroup limits, seccomp,
// Landlock, no capabilities and an unprivileged uid. It starts, stops and
// recovers workers (Manager, Worker, Spec), builds their libcontainer
// config, and speaks the control protocol that hands a worker one stream per
// SFTP, exec or web request. RunChildRole is the worker's entry point; what
// the worker serves on those streams lives in isolation/serve. The daemon
// never resolves a user path on the host.
//
// It knows that a worker serves streams, not how. It may import
// isolation/serve (and serve/web) to start the worker's servers,
// isolation/sessionfs to open the worker's tree, isolation/webproto and
// isolation/unixsock; never proxy, sftpd or webfs (see arrows_test.go).
package isolation
