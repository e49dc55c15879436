package web

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

func TestTusStripes(t *testing.T) {
	tree, dirs := newTree(t, nil)
	up := filepath.Join(dirs["m"], uploadsDir)
	for _, bad := range []struct {
		length  int64
		stripes int
	}{{5, 4}, {100, webproto.MaxStripes + 1}, {0, 2}} {
		rep, _ := call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/bad.bin", Length: bad.length, Stripes: bad.stripes}, "")
		wantStatus(t, "create with impossible stripes", rep, 400)
	}
	if left, _ := filepath.Glob(filepath.Join(up, "t-*")); len(left) != 0 {
		t.Errorf("refused creations left %q", left)
	}

	// 10 bytes in 3 stripes: [0,4) [4,8) [8,10).
	rep, _ := call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/s.bin", Length: 10, Stripes: 3}, "")
	wantStatus(t, "create", rep, 201)
	head := func(wantOff int64, wantStripes ...int64) {
		t.Helper()
		rep, _ := call(t, tree, webproto.WebRequest{Op: webproto.WebTusHead, Path: "/m/s.bin"}, "")
		if rep.Status != 200 || rep.Offset != wantOff || rep.Length != 10 || !slices.Equal(rep.Stripes, wantStripes) {
			t.Errorf("head: %+v, want offset %d stripes %v", rep, wantOff, wantStripes)
		}
	}
	patch := func(at int64, body string, want int) webproto.WebReply {
		t.Helper()
		rep, _ := call(t, tree, webproto.WebRequest{Op: webproto.WebTusPatch, Path: "/m/s.bin", Offset: at}, body)
		wantStatus(t, fmt.Sprintf("patch of %q at %d", body, at), rep, want)
		return rep
	}
	head(0, 0, 4, 8)
	if rep := patch(4, "ef", 200); rep.Offset != 6 {
		t.Errorf("stripe 1 reached %d, want 6", rep.Offset)
	}
	head(0, 0, 6, 8)
	if rep := patch(5, "x", 409); rep.Offset != 6 {
		t.Errorf("409 names offset %d, want its stripe's 6", rep.Offset)
	}
	patch(8, "ijX", 413)   // past its stripe (and the upload)
	patch(0, "abcdE", 413) // past its stripe, into the next
	head(0, 0, 6, 8)
	patch(0, "abcd", 200)
	head(6, 4, 6, 8)
	patch(10, "k", 409)

	// A second PATCH of a stripe while one runs is refused.
	sf, err := os.OpenFile(filepath.Join(up, tusKey("s.bin")+".stripes"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := stripeLock(sf, 1, false); err != nil {
		t.Fatal(err)
	}
	patch(6, "gh", 409)
	sf.Close()
	patch(6, "gh", 200)
	if _, err := os.Stat(filepath.Join(dirs["m"], "s.bin")); !os.IsNotExist(err) {
		t.Errorf("an incomplete striped upload is visible: %v", err)
	}
	patch(8, "ij", 200)
	if got := readHost(t, filepath.Join(dirs["m"], "s.bin")); got != "abcdefghij" {
		t.Errorf("completed striped upload holds %q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(up, "t-*")); len(left) != 0 {
		t.Errorf("staged files left after completion: %q", left)
	}

	// Every stripe ends at once: the file is placed once, whole, and
	// every PATCH hears success.
	const n = 8
	body := "0123456789abcdefghijklmnopqrstuv" // 32 bytes, 4 a stripe
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/race.bin", Length: int64(len(body)), Stripes: n}, "")
	wantStatus(t, "create race", rep, 201)
	var wg sync.WaitGroup
	reps := make([]webproto.WebReply, n)
	for k := range n {
		wg.Go(func() {
			reps[k], _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusPatch, Path: "/m/race.bin", Offset: int64(4 * k)}, body[4*k:4*k+4])
		})
	}
	wg.Wait()
	for k, r := range reps {
		wantStatus(t, fmt.Sprintf("racing stripe %d", k), r, 200)
	}
	if got := readHost(t, filepath.Join(dirs["m"], "race.bin")); got != body {
		t.Errorf("raced upload holds %q", got)
	}
	if left, _ := filepath.Glob(filepath.Join(up, "t-*")); len(left) != 0 {
		t.Errorf("staged files left after the race: %q", left)
	}

	// Delete drops a striped upload's files, and the sweep knows them.
	call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/gone.bin", Length: 8, Stripes: 2}, "")
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusDelete, Path: "/m/gone.bin"}, "")
	wantStatus(t, "delete", rep, 204)
	if left, _ := filepath.Glob(filepath.Join(up, "t-*")); len(left) != 0 {
		t.Errorf("staged files left after delete: %q", left)
	}
	// State damaged through another protocol (the upload area is in the
	// user's folder) is not trusted: no huge allocation, no crash.
	call(t, tree, webproto.WebRequest{Op: webproto.WebTusCreate, Path: "/m/evil.bin", Length: 8, Stripes: 2}, "")
	meta := filepath.Join(up, tusKey("evil.bin")+".json")
	if err := os.WriteFile(meta, []byte(`{"path":"evil.bin","length":8,"stripes":1000000000000}`), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, _ = call(t, tree, webproto.WebRequest{Op: webproto.WebTusPatch, Path: "/m/evil.bin", Offset: 0}, "x")
	wantStatus(t, "patch with damaged state", rep, 404)
	if got := uploadKey("t-abc.stripes"); got != "t-abc" {
		t.Errorf("uploadKey: %q", got)
	}
}
