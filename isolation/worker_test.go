package isolation

import (
	"context"
	"io"
	"testing"
	"time"
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
