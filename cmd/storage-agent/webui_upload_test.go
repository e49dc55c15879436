package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// upState is the state of the transfer row of name.
func upState(name string) string {
	return fmt.Sprintf(`([...document.querySelectorAll('.up-row:not([hidden])')].find(r => r.dataset.name === %s) || {dataset: {}}).dataset`, js(name))
}

// randomFile writes size random bytes to dir/name; it returns them and
// the file's path.
func randomFile(t *testing.T, dir, name string, size int) ([]byte, string) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b, p
}

// hostFileIs fails unless the host file holds want.
func hostFileIs(t *testing.T, p string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, want %d: %v", p, len(got), len(want), err)
	}
}

// TestUIUpload: files through the picker with per-file rows; a name
// collision asks; pause and resume go on from the server's offset, and so
// does an upload cut by a page reload.
func TestUIUpload(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-up", nil)
	root := hosts["data"]
	local := t.TempDir()
	small := map[string][]byte{"a.txt": []byte("alpha"), "b #?.txt": []byte("beta")}
	for n, c := range small {
		os.WriteFile(filepath.Join(local, n), c, 0o644)
	}
	big, bigPath := randomFile(t, local, "big.bin", 192<<20)

	b := newUIBrowser(t, d)
	b.openUI(s, "/data")
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{filepath.Join(local, "a.txt"), filepath.Join(local, "b #?.txt")}))
	b.wait(upState("a.txt") + `.state === 'done' && ` + upState("b #?.txt") + `.state === 'done'`)
	for n, c := range small {
		hostFileIs(t, filepath.Join(root, n), c)
	}
	b.wait(cell("b #?.txt") + ` !== undefined`)

	// The same name again: keep both.
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{filepath.Join(local, "a.txt")}))
	b.wait(`document.querySelector('dialog.dlg[open] [data-value=keepboth]') !== null`)
	b.do(`document.querySelector('dialog.dlg[open] [data-value=keepboth]').click()`)
	b.wait(upState("a (1).txt") + `.state === 'done'`)
	hostFileIs(t, filepath.Join(root, "a (1).txt"), small["a.txt"])

	// Pause as soon as bytes flow, then resume: it goes on from the
	// server's offset, and the file arrives whole.
	b.do(`window.__paused = false; const iv = setInterval(() => {
		const r = [...document.querySelectorAll('.up-row')].find(r => r.dataset.name === 'big.bin');
		if (r && r.dataset.state === 'running' && r.querySelector('progress').value >= 5) { r.querySelector('.up-pause').click(); window.__paused = true; clearInterval(iv); }
	}, 5)`)
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{bigPath}))
	b.wait(`window.__paused && ` + upState("big.bin") + `.state === 'paused'`)
	if _, err := os.Stat(filepath.Join(root, "big.bin")); !os.IsNotExist(err) {
		t.Fatalf("a paused upload is visible under its final name: %v", err)
	}
	// A big file goes up in stripes side by side (tus.js stripesFor).
	if st, _ := filepath.Glob(filepath.Join(root, ".webfs-uploads", "t-*.stripes")); len(st) != 1 {
		t.Fatalf("the paused 192 MiB upload is not striped: %q", st)
	}
	b.do(`[...document.querySelectorAll('.up-row')].find(r => r.dataset.name === 'big.bin').querySelector('.up-resume').click()`)
	b.wait(upState("big.bin") + `.state === 'done'`)
	if from := evalJS[string](b, upState("big.bin")+`.resumedFrom`); from == "0" || from == "-1" {
		t.Fatalf("resume started at %s, not at the server's offset", from)
	}
	hostFileIs(t, filepath.Join(root, "big.bin"), big)

	// A reload cuts an upload (after the beforeunload warning); adding
	// the same file again resumes it.
	var warned atomic.Int32
	b.acceptDialogs(&warned)
	b.do(`const iv2 = setInterval(() => {
		const r = [...document.querySelectorAll('.up-row')].find(r => r.dataset.name === 'big.bin' && r.dataset.state === 'running');
		if (r && r.querySelector('progress').value >= 20) { clearInterval(iv2); location.reload(); }
	}, 5)`)
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{bigPath}))
	b.wait(`document.querySelector('dialog.dlg[open] [data-value=overwrite]') !== null`)
	b.do(`document.querySelector('dialog.dlg[open] [data-value=overwrite]').click()`)
	b.wait(`document.querySelector('#app').dataset.ready && !document.querySelector('.up-row:not([hidden])') && document.querySelector('.up-note') && !document.querySelector('.up-note').hidden`)
	if note := evalJS[string](b, `document.querySelector('.up-note').textContent`); !bytes.Contains([]byte(note), []byte("/data/big.bin")) {
		t.Fatalf("no note of the unfinished upload: %q", note)
	}
	if warned.Load() == 0 {
		t.Fatal("no beforeunload warning while an upload ran")
	}
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{bigPath}))
	b.wait(upState("big.bin") + `.state === 'done'`)
	if from := evalJS[string](b, upState("big.bin")+`.resumedFrom`); from == "0" || from == "-1" {
		t.Fatalf("after reload the upload restarted at %s", from)
	}
	hostFileIs(t, filepath.Join(root, "big.bin"), big)
}

// clickWhenRunning clicks a transfer row's button once its upload of name
// has passed pct percent (checked in the page every 5 ms).
func (b *uiBrowser) clickWhenRunning(name, button string, pct int) {
	b.t.Helper()
	b.do(fmt.Sprintf(`window.__clicked = false; const iv = setInterval(() => {
		const r = [...document.querySelectorAll('.up-row')].find(r => r.dataset.name === %s && r.dataset.state === 'running');
		if (r && r.querySelector('progress').value >= %d) { r.querySelector(%s).click(); window.__clicked = true; clearInterval(iv); }
	}, 5)`, js(name), pct, js(button)))
}

// TestUIUploadCancelAndSessionEnd: cancel drops the partial upload on the
// server, retry sends it again whole; a session closed mid-upload ends in
// a readable message and no file under the final name.
func TestUIUploadCancelAndSessionEnd(t *testing.T) {
	d := shared(t)
	s, w, hosts := uiSession(t, d, "ui-cancel", nil)
	root := hosts["data"]
	big, bigPath := randomFile(t, t.TempDir(), "c.bin", 128<<20)
	b := newUIBrowser(t, d)
	b.openUI(s, "/data")

	b.clickWhenRunning("c.bin", ".up-cancel", 5)
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{bigPath}))
	b.wait(`window.__clicked && ` + upState("c.bin") + `.state === 'canceled'`)
	waitFor(t, func() bool { code, _ := w.req("HEAD", "/api/tus/data/c.bin", nil, nil); return code == 404 }, "the canceled upload is still on the server")
	if _, err := os.Stat(filepath.Join(root, "c.bin")); !os.IsNotExist(err) {
		t.Fatalf("canceled upload left a file: %v", err)
	}
	b.do(`[...document.querySelectorAll('.up-row')].find(r => r.dataset.name === 'c.bin').querySelector('.up-retry').click()`)
	b.wait(upState("c.bin") + `.state === 'done'`)
	hostFileIs(t, filepath.Join(root, "c.bin"), big)

	// The session closes while a file is going up.
	b.do(`window.__clicked = false; const iv3 = setInterval(() => {
		const r = [...document.querySelectorAll('.up-row')].find(r => r.dataset.name === 'c (1).bin' && r.dataset.state === 'running');
		if (r && r.querySelector('progress').value >= 5) { window.__clicked = true; clearInterval(iv3); }
	}, 5)`)
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{bigPath}))
	b.wait(`document.querySelector('dialog.dlg[open] [data-value=keepboth]') !== null`)
	b.do(`document.querySelector('dialog.dlg[open] [data-value=keepboth]').click()`)
	b.wait(`window.__clicked`)
	if code, _, _ := d.api("DELETE", "/sessions/"+s.ID, nil, nil); code != 204 {
		t.Fatalf("close: %d", code)
	}
	b.wait(`document.querySelector('form.login') && document.querySelector('.login-msg').textContent.includes('Log in again')`)
	if _, err := os.Stat(filepath.Join(root, "c (1).bin")); !os.IsNotExist(err) {
		t.Fatalf("an interrupted upload is visible under its final name: %v", err)
	}
}

// setOffline cuts (or restores) the browser's network, as a dropped
// connection does: requests in flight fail.
func (b *uiBrowser) setOffline(off bool) {
	b.t.Helper()
	b.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
		})
		return err
	}))
}

// TestUIUploadConnectionCut: the network drops mid-upload; when it comes
// back the upload goes on from the server's offset, not from zero.
func TestUIUploadConnectionCut(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-cut", nil)
	big, bigPath := randomFile(t, t.TempDir(), "cut.bin", 160<<20)
	b := newUIBrowser(t, d)
	b.openUI(s, "/data")
	b.do(`window.__clicked = false; const iv = setInterval(() => {
		const r = [...document.querySelectorAll('.up-row')].find(r => r.dataset.name === 'cut.bin' && r.dataset.state === 'running');
		if (r && r.querySelector('progress').value >= 15) { window.__clicked = true; clearInterval(iv); }
	}, 5)`)
	b.run(chromedp.SetUploadFiles(`#upload-files`, []string{bigPath}))
	b.wait(`window.__clicked`)
	b.setOffline(true)
	b.wait(`[...document.querySelectorAll('.up-row')].some(r => r.dataset.name === 'cut.bin' && r.querySelector('.up-info').textContent.includes('connection failed'))`)
	b.setOffline(false)
	b.wait(upState("cut.bin") + `.state === 'done'`)
	if from := evalJS[string](b, upState("cut.bin")+`.retryFrom`); from == "-1" || from == "0" {
		t.Fatalf("after the cut the upload went on from %s", from)
	}
	hostFileIs(t, filepath.Join(hosts["data"], "cut.bin"), big)
}
