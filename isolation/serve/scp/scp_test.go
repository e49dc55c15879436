package scp

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/storage-agent/storage-agent/isolation/serve/execio"
	"github.com/storage-agent/storage-agent/isolation/sessionfs"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"golang.org/x/sys/unix"
)

// newTree opens the writable mount "m" and the read-only mount "ro" on
// temporary directories; "m" holds hello.txt.
func newTree(t *testing.T) (*sessionfs.FS, map[string]string) {
	t.Helper()
	dirs := map[string]string{"m": t.TempDir(), "ro": t.TempDir()}
	if err := os.WriteFile(filepath.Join(dirs["m"], "hello.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := sessionfs.Open([]sessionfs.Spec{{Name: "m", Dir: dirs["m"]}, {Name: "ro", Dir: dirs["ro"], ReadOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tree.Close() })
	return tree, dirs
}

// run serves the command line on tree with the peer's bytes in, as a
// worker does, and returns the exit status, what went to the peer and
// what went to stderr.
func run(t *testing.T, tree *sessionfs.FS, command, in string) (int, string, string) {
	t.Helper()
	local, remote, err := unixsock.Pair(unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	x, err := execio.New(tree, remote, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	words, err := execio.Split(command)
	if err != nil {
		t.Fatal(err)
	}
	code := make(chan int, 1)
	go func() {
		defer x.Close()
		code <- Run(x, words)
	}()
	conn, err := unixsock.Conn(local)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, in)
	_ = conn.CloseWrite()
	out, _ := io.ReadAll(conn)
	return <-code, string(out), stderr.String()
}

func TestSinkReceivesAFile(t *testing.T) {
	tree, dirs := newTree(t)
	code, out, _ := run(t, tree, "scp -t /m", "C0640 3 new.txt\nabc\x00")
	if code != 0 || out != "\x00\x00\x00" {
		t.Errorf("exit %d, sent %q; want 0 and three acks", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs["m"], "new.txt")); string(b) != "abc" {
		t.Errorf("received %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dirs["m"], ".scp-upload-*")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestSinkRefusals(t *testing.T) {
	tree, dirs := newTree(t)
	for _, tc := range []struct{ command, in, want string }{
		{"scp -t /ro", "C0644 1 x\n", "\x00\x01scp: /ro/x: Read-only folder\n"},
		{"scp -t /", "C0644 1 x\n", "\x00\x01scp: /x: No such file or directory\n"}, // "/" holds only the mounts
	} {
		code, out, _ := run(t, tree, tc.command, tc.in)
		if code != 1 || out != tc.want {
			t.Errorf("%s: exit %d, sent %q; want 1 and %q", tc.command, code, out, tc.want)
		}
	}
	if entries, _ := os.ReadDir(dirs["ro"]); len(entries) != 0 {
		t.Errorf("the read-only mount was written: %v", entries)
	}
}

func TestSourceSendsAFile(t *testing.T) {
	tree, _ := newTree(t)
	code, out, _ := run(t, tree, "scp -f /m/hello.txt", "\x00\x00\x00")
	if want := "C0644 5 hello.txt\nhello\x00"; code != 0 || out != want {
		t.Errorf("exit %d, sent %q; want 0 and %q", code, out, want)
	}
}
