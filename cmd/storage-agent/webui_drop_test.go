package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// dropDirs x dropFiles files are dropped: 10,000, 1,000 per folder.
var dropDirs, dropFiles = 10, 1000

// dropPaths drags host paths (files or folders) from the OS onto the page
// at x, y, as a user's drop from a file manager arrives.
func (b *uiBrowser) dropPaths(x, y float64, paths []string) {
	b.t.Helper()
	data := &input.DragData{Items: []*input.DragDataItem{}, Files: paths, DragOperationsMask: 1}
	b.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
			if _, err := cdp.Call(ctx, tg, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: x, Y: y, Data: data}); err != nil {
				return fmt.Errorf("%s: %w", typ, err)
			}
		}
		return nil
	}))
}

// TestUIFolderDrop drops a folder of 10,000 files (1,000 per subfolder,
// so the scanner must call readEntries past Chromium's 100 per call):
// uploads start before the scan ends, the page stays responsive, and
// every file arrives.
func TestUIFolderDrop(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-drop", nil)
	src := filepath.Join(t.TempDir(), "tree")
	for i := range dropDirs {
		sub := filepath.Join(src, fmt.Sprintf("sub%d", i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for j := range dropFiles {
			os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d.txt", j)), []byte(fmt.Sprintf("%d/%d", i, j)), 0o644)
		}
	}
	os.MkdirAll(filepath.Join(src, "empty"), 0o755)
	b := newUIBrowser(t, d)
	b.openUI(s, "/data")
	start := time.Now()
	b.dropPaths(300, 400, []string{src})
	b.wait(`[...document.querySelectorAll('.up-row')].some(r => r.dataset.state === 'done')`)
	t.Logf("first file done %s after the drop", time.Since(start))
	// Responsive while it runs: the page answers and draws few rows.
	if n := evalJS[int](b, `document.querySelectorAll('.up-row').length`); n > 100 {
		t.Fatalf("%d transfer rows in the DOM", n)
	}
	total := dropDirs * dropFiles
	// Thousands of requests on a shared 2-core machine: a generous limit.
	b.waitFor(fmt.Sprintf(`document.querySelector('#up-summary').textContent.startsWith('%d of %d')`, total, total), 4*time.Minute)
	t.Logf("%d files uploaded in %s", total, time.Since(start))
	if evalJS[string](b, `document.querySelector('#transfers').dataset.doneWhileScanning || ''`) != "1" {
		t.Fatal("no file finished before the drop was fully read: the scan held uploads back")
	}
	for _, p := range []string{"tree/sub0/f0000.txt", fmt.Sprintf("tree/sub%d/f%04d.txt", dropDirs-1, dropFiles-1)} {
		var i, j int
		fmt.Sscanf(p, "tree/sub%d/f%d.txt", &i, &j)
		hostFileIs(t, filepath.Join(hosts["data"], p), []byte(fmt.Sprintf("%d/%d", i, j)))
	}
	if st, err := os.Stat(filepath.Join(hosts["data"], "tree", "empty")); err != nil || !st.IsDir() {
		t.Fatalf("empty dropped folder not made: %v", err)
	}
	n := 0
	filepath.Walk(filepath.Join(hosts["data"], "tree"), func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			n++
		}
		return nil
	})
	if n != total {
		t.Fatalf("%d files arrived", n)
	}
}
