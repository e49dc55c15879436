package isolation

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
)

func TestWorkerServesOnlyItsMounts(t *testing.T) {
	m := newTestManager(t)
	vol := newVolumeDir(t, map[string]string{"hello.txt": "hi there"})
	start := time.Now()
	w, err := m.Start(context.Background(), testSpec("w1", Mount{Name: "data", HostPath: vol}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worker ready in %s", time.Since(start))
	defer w.Stop()
	c := sftpClient(t, w)
	ents, err := c.ReadDir("/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "data" {
		t.Fatalf("ls / = %v, want [data]", names)
	}
	f, err := c.Open("/data/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	if string(b) != "hi there" {
		t.Fatalf("read %q", b)
	}
}

// The worker sends what SFTP reads with sendfile (serve/sftpsend.go); a
// read must still return exactly the file's bytes at the time of the read,
// through read-only and read-write handles, as files grow and shrink.
func TestWorkerSFTPReadsAreTheFilesBytes(t *testing.T) {
	m := newTestManager(t)
	vol := newVolumeDir(t, nil)
	w, err := m.Start(context.Background(), testSpec("w-reads", Mount{Name: "data", HostPath: vol}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	c := sftpClient(t, w)

	// A 20 MiB file, read by the client's concurrent requests.
	big := make([]byte, 20<<20)
	rand.NewChaCha8([32]byte{1}).Read(big)
	sandboxtest.WriteFiles(t, vol, map[string]string{"big.bin": string(big)}, testUID)
	f, err := c.Open("/data/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := f.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !bytes.Equal(got.Bytes(), big) {
		t.Fatal("concurrent reads returned other bytes")
	}

	// A read-write handle reads back what it wrote.
	rw, err := c.OpenFile("/data/rw.bin", os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if _, err := rw.Write(big[:1<<20]); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 100_000)
	if n, err := rw.ReadAt(back, 12345); n != len(back) || err != nil || !bytes.Equal(back, big[12345:12345+len(back)]) {
		t.Fatalf("read back %d, %v", n, err)
	}

	// A file that grows and shrinks between reads of one handle.
	host := filepath.Join(vol, "moving.txt")
	if err := os.WriteFile(host, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	mv, err := c.Open("/data/moving.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer mv.Close()
	buf := make([]byte, 64)
	for _, step := range []struct {
		write string // the file's new content, written on the host
		off   int64
		want  string
	}{
		{"", 0, "first"},
		{"first and more", 6, "and more"},
		{"fir", 0, "fir"},
		{"", 3, ""},
	} {
		if step.write != "" {
			if err := os.WriteFile(host, []byte(step.write), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		n, err := mv.ReadAt(buf, step.off)
		if string(buf[:n]) != step.want || (err != nil && err != io.EOF) {
			t.Fatalf("read at %d after %q: %q, %v; want %q", step.off, step.write, buf[:n], err, step.want)
		}
	}
}
