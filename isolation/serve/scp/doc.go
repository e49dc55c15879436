// Package scp serves the legacy scp protocol inside a worker (`scp -O`:
// the remote end runs `scp -t` to receive or `scp -f` to send), in Go and
// through the session's tree, so every name a client sends is resolved
// inside the worker. Run is called by isolation/serve's exec dispatch.
//
// It may import isolation/sessionfs, isolation/serve/execio and
// isolation/serve/writebehind; never isolation, isolation/serve, proxy,
// sftpd or webfs.
package scp
