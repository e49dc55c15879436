package writebehind

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestWritesLandAndOldWindowsLeaveTheCache writes a stream through File
// from several starting offsets in pieces of several sizes: the file must hold
// exactly the bytes written, and on a disk-backed file system the windows
// long behind the writer must have left the page cache.
func TestWritesLandAndOldWindowsLeaveTheCache(t *testing.T) {
	const window = 64 << 10
	cases := []struct {
		name   string
		start  int64 // bytes already in the file, as a resumed upload has
		length int64
		piece  int // size of each WriteAt
	}{
		{"from zero, aligned pieces", 0, 16 * window, 32 << 10},
		{"from zero, odd pieces", 0, 16*window + 123, 10_007},
		{"resumed mid-window", 3*window + 4096 + 17, 12 * window, 65_537},
		{"shorter than a window", 0, window / 2, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "up")
			want := make([]byte, tc.start+tc.length)
			for i := range want {
				want[i] = byte(i*7 + i>>12)
			}
			if err := os.WriteFile(path, want[:tc.start], 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			wf := NewAt(f, tc.start, window)
			n, err := io.CopyBuffer(io.NewOffsetWriter(wf, tc.start),
				io.LimitReader(bytes.NewReader(want[tc.start:]), tc.length), make([]byte, tc.piece))
			if err != nil || n != tc.length {
				t.Fatalf("copied %d of %d: %v", n, tc.length, err)
			}
			if err := wf.Sync(); err != nil {
				t.Fatal(err)
			}
			dropped := wf.nextDrop
			if err := wf.Close(); err != nil {
				t.Fatal(err)
			}
			// behindKeep windows stay cached: behindKeep-1 whole ones
			// and the one being written.
			base := tc.start - tc.start%window
			if wantDropped := base + max(0, (tc.start+tc.length-base)/window-behindKeep+1)*window; dropped != wantDropped {
				t.Errorf("dropped up to %d, want %d", dropped, wantDropped)
			}
			// Before reading the file back, which caches it again.
			checkDropped(t, path, base, dropped)
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("file differs from what was written (%d bytes, want %d)", len(got), len(want))
			}
		})
	}
}

// checkDropped asserts that no page wholly inside [from, to) of the file
// at path is in the page cache. tmpfs keeps its pages whatever is advised,
// so there it only logs.
func checkDropped(t *testing.T, path string, from, to int64) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == unix.TMPFS_MAGIC {
		t.Logf("%s is on tmpfs, where pages stay cached: residency not checked", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	if fi.Size() == 0 || to <= from {
		return
	}
	// Mapping the file does not fault pages in; mincore only reports.
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := int64(os.Getpagesize())
	vec := make([]byte, (fi.Size()+page-1)/page)
	// x/sys/unix has no wrapper for mincore.
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)),
		uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	for p := (from + page - 1) / page; (p+1)*page <= to; p++ {
		if vec[p]&1 != 0 {
			t.Fatalf("page %d (byte %d) is still cached; windows before byte %d should have been dropped", p, p*page, to)
		}
	}
}
