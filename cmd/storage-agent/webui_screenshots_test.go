package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// screenshotsEnv (not STORAGE_AGENT_*: the daemon reads those as
// configuration) names the directory TestUIScreenshots writes into; `make
// screenshots` sets it to docs/screenshots. Without it the pictures go to
// a temporary directory, so `make test` takes and checks them but never
// rewrites tracked files.
const screenshotsEnv = "SCREENSHOTS_DIR"

// Budgets of the README's pictures: they are committed, so they stay small.
const (
	maxScreenshot      = 120 << 10
	maxScreenshotTotal = 400 << 10
)

// TestUIScreenshots takes the README's pictures of the UI at a modest
// 1000×650: a folder in light and dark mode, a 10,000-file folder, and
// the transfer panel with finished and paused uploads.
func TestUIScreenshots(t *testing.T) {
	out := os.Getenv(screenshotsEnv)
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	d := shared(t)
	s, _, hosts := uiSession(t, d, "alice", nil)
	root := hosts["data"]
	writeFiles(t, root, map[string]string{
		"datasets/imagenet-subset/README": "x", "notebooks/explore.ipynb": "{}", "checkpoints/epoch-10.pt": "x",
		"README.md":   "# Experiment 42\n\nTraining runs and their results.\n",
		"train.py":    strings.Repeat("import torch\n", 300),
		"config.yaml": strings.Repeat("lr: 0.001\n", 40),
	})
	results := filepath.Join(root, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 10000 {
		if err := os.WriteFile(filepath.Join(results, fmt.Sprintf("run-%05d.csv", i)), []byte(strings.Repeat("0.5,", 10+i%300)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A big checkpoint without the disk space: sparse.
	if f, err := os.Create(filepath.Join(root, "model.ckpt")); err != nil || f.Truncate(1400<<20) != nil || f.Close() != nil {
		t.Fatalf("model.ckpt: %v", err)
	}
	chownTree(t, root)

	b := newUIBrowser(t, d)
	b.run(chromedp.EmulateViewport(1000, 650))
	b.openUI(s, "/data")
	var total int
	shot := func(name string) {
		t.Helper()
		// Two animation frames: what the last change drew is painted.
		b.do(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`)
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if len(png) > maxScreenshot {
			t.Errorf("%s is %d KiB, more than %d KiB", name, len(png)>>10, maxScreenshot>>10)
		}
		total += len(png)
		if err := os.WriteFile(filepath.Join(out, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shot("light.png")
	b.run(chromedp.Click(`#btn-theme`))
	b.wait(`document.documentElement.dataset.theme === 'dark'`)
	shot("dark.png")
	b.run(chromedp.Click(`#btn-theme`))
	b.wait(`document.documentElement.dataset.theme !== 'dark'`)

	b.gotoPath("/data/results")
	shot("big-folder.png")

	b.gotoPath("/data")
	local := t.TempDir()
	_, small := randomFile(t, local, "notes.txt", 4<<10)
	_, mid := randomFile(t, local, "samples.tar", 24<<20)
	_, big := randomFile(t, local, "frames.tar", 160<<20)
	b.clickWhenRunning("frames.tar", ".up-pause", 40)
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{small, mid, big}))
	b.wait(`window.__clicked && ` + upState("frames.tar") + `.state === 'paused' && ` +
		upState("notes.txt") + `.state === 'done' && ` + upState("samples.tar") + `.state === 'done'`)
	shot("transfers.png")

	if total > maxScreenshotTotal {
		t.Errorf("the screenshots are %d KiB together, more than %d KiB", total>>10, maxScreenshotTotal>>10)
	}
	t.Logf("screenshots in %s: %d KiB together", out, total>>10)
}
