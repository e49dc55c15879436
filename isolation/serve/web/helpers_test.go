package web

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"github.com/storage-agent/storage-agent/isolation/webproto"
	"golang.org/x/sys/unix"
)

// newTree opens a tree with the writable mounts "m" and "n" and the
// read-only mount "ro" on temporary directories, each filled from files
// (path -> content; a path ending in "/" is a directory). It returns the
// tree and the host directories by mount name.
func newTree(t *testing.T, files map[string]string) (*sessionfs.FS, map[string]string) {
	t.Helper()
	base := t.TempDir()
	dirs := map[string]string{}
	var specs []sessionfs.Spec
	for _, n := range []string{"m", "n", "ro"} {
		dirs[n] = filepath.Join(base, n)
		if err := os.Mkdir(dirs[n], 0o755); err != nil {
			t.Fatal(err)
		}
		specs = append(specs, sessionfs.Spec{Name: n, Dir: dirs[n], ReadOnly: n == "ro"})
	}
	for p, content := range files {
		host := filepath.Join(base, p)
		if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(host, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(host, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := sessionfs.Open(specs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tree.Close() })
	return tree, dirs
}

// call runs one web operation on tree the way a worker serves it: over a
// stream socket pair (and a data pipe for raw reads), body sent first. It
// returns the reply line and the payload.
func call(t *testing.T, tree *sessionfs.FS, req webproto.WebRequest, body string) (webproto.WebReply, []byte) {
	t.Helper()
	cmd, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	local, remote, err := unixsock.Pair(unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	var pipeR *os.File
	extra := []*os.File{}
	if req.Op == webproto.WebRead {
		var pipeW *os.File
		if pipeR, pipeW, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		defer pipeR.Close()
		extra = append(extra, pipeW) // Serve closes it
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Serve(tree, string(cmd), remote, extra...)
	}()
	conn, err := unixsock.Conn(local)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A write error means the worker answered early (an error, or a refused
	// tus chunk): its reply is still readable, as in Worker.Web.
	_, _ = io.WriteString(conn, body)
	_ = conn.CloseWrite()
	br := bufio.NewReader(conn)
	line, err := br.ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s %s: no reply line: %v", req.Op, req.Path, err)
	}
	var rep webproto.WebReply
	if err := json.Unmarshal(line, &rep); err != nil {
		t.Fatalf("%s %s: reply %q: %v", req.Op, req.Path, line, err)
	}
	// The payload ends at EOF, or cut short (the worker closed with a body
	// it did not read): the tests judge what arrived.
	var payload []byte
	if pipeR != nil {
		payload, _ = io.ReadAll(pipeR)
	} else {
		payload, _ = io.ReadAll(br)
	}
	<-done
	return rep, payload
}

// wantStatus fails the test unless rep has status want.
func wantStatus(t *testing.T, what string, rep webproto.WebReply, want int) {
	t.Helper()
	if rep.Status != want {
		t.Errorf("%s: status %d (%s), want %d", what, rep.Status, rep.Error, want)
	}
}

// readHost returns a host file's content, or "<missing>".
func readHost(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<missing>"
	}
	return string(b)
}
