package web

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// TestListingSorting checks each order against what Filebrowser 2.63's
// files.Listing.ApplySort gives for the same folder (run with its code;
// its ties between the two folders are arbitrary, ours are by name).
func TestListingSorting(t *testing.T) {
	t.Parallel()
	files := map[string]string{"m/b10.txt": "12345", "m/B2.txt": string(make([]byte, 500)), "m/a.txt": string(make([]byte, 50)),
		"m/zdir/": "", "m/Adir/": "", "m/empty": ""}
	tree, dirs := newTree(t, files)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, hour := range map[string]int{"Adir": 0, "B2.txt": 1, "a.txt": 2, "b10.txt": 3, "empty": 4, "zdir": 5} {
		tm := t0.Add(time.Duration(hour) * time.Hour)
		if err := os.Chtimes(filepath.Join(dirs["m"], name), tm, tm); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		by   string
		asc  bool
		want []string
	}{
		{"", false, []string{"Adir", "zdir", "a.txt", "B2.txt", "b10.txt", "empty"}},
		{"name", false, []string{"Adir", "zdir", "a.txt", "B2.txt", "b10.txt", "empty"}},
		{"name", true, []string{"zdir", "Adir", "empty", "b10.txt", "B2.txt", "a.txt"}},
		{"size", true, []string{"Adir", "zdir", "empty", "b10.txt", "a.txt", "B2.txt"}},
		{"size", false, []string{"B2.txt", "a.txt", "b10.txt", "empty", "Adir", "zdir"}},
		{"modified", true, []string{"Adir", "B2.txt", "a.txt", "b10.txt", "empty", "zdir"}},
		{"modified", false, []string{"zdir", "empty", "b10.txt", "a.txt", "B2.txt", "Adir"}},
	} {
		t.Run(tc.by+map[bool]string{true: "-asc", false: "-desc"}[tc.asc], func(t *testing.T) {
			rep, body := call(t, tree, webproto.WebRequest{Op: webproto.WebInfo, Path: "/m", Sort: tc.by, Asc: tc.asc}, "")
			wantStatus(t, "info /m", rep, 200)
			var l struct {
				listing
				Sorting struct {
					By  string `json:"by"`
					Asc bool   `json:"asc"`
				} `json:"sorting"`
			}
			if err := json.Unmarshal(body, &l); err != nil {
				t.Fatalf("listing %s: %v", body, err)
			}
			var names []string
			for _, it := range l.Items {
				names = append(names, it.Name)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("order %q, want %q", names, tc.want)
			}
			if by := cmp.Or(tc.by, "name"); l.Sorting.By != by || l.Sorting.Asc != tc.asc {
				t.Errorf("sorting %+v, want {%s %t}", l.Sorting, by, tc.asc)
			}
		})
	}
}

// TestNaturalCompare checks naturalCompare against the answers of
// github.com/maruel/natural v1.3.0 (Filebrowser's) for the same pairs.
func TestNaturalCompare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"file2", "file10", -1},
		{"file10", "file2", 1},
		{"a01", "a1", -1},
		{"a1", "a01", 1},
		{"a01b", "a1c", -1},
		{"a1b", "a01a", 1},
		{"x", "x1", -1},
		{"x1", "x", 1},
		{"abc", "abd", -1},
		{"1", "a", -1},
		{"a", "1", 1},
		{"007", "7", -1},
		{"", "a", -1},
		{"a2b3", "a2b10", -1},
		{"99999999999999999999999", "100000000000000000000000", -1},
		{"same", "same", 0},
	} {
		if got := naturalCompare(tc.a, tc.b); got != tc.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
