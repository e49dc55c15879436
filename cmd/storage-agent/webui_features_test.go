package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// pngOf is a small real PNG.
func pngOf(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(3, 3, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wavOf is a mono 8 kHz, 8-bit WAV of secs seconds of a square wave.
func wavOf(secs int) []byte {
	const rate = 8000
	n := rate * secs
	var b bytes.Buffer
	le := func(v uint32, size int) {
		for i := range size {
			b.WriteByte(byte(v >> (8 * i)))
		}
	}
	b.WriteString("RIFF")
	le(uint32(36+n), 4)
	b.WriteString("WAVEfmt ")
	le(16, 4)
	le(1, 2) // PCM
	le(1, 2) // mono
	le(rate, 4)
	le(rate, 4) // bytes per second
	le(1, 2)    // block align
	le(8, 2)    // bits per sample
	b.WriteString("data")
	le(uint32(n), 4)
	for i := range n {
		b.WriteByte(byte(128 + 60*((i/20)%2*2-1)))
	}
	return b.Bytes()
}

// openEntry double-clicks the row of name.
func (b *uiBrowser) openEntry(name string) {
	b.t.Helper()
	b.wait(cell(name) + ` !== undefined`)
	b.do(cell(name) + `.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))`)
}

// closeDialogs presses the last button (Close/Cancel) of the open dialog.
func (b *uiBrowser) closeDialog() {
	b.t.Helper()
	b.do(`[...document.querySelectorAll('dialog.dlg[open] .dlg-buttons button')].pop().click()`)
	b.wait(`document.querySelector('dialog.dlg[open]') === null`)
}

// TestUIEditorAndPreviews: the editor saves with Ctrl+S, guards unsaved
// changes and refuses files too big to load whole; images, audio and
// Markdown preview, the Markdown sanitized; info computes a checksum.
func TestUIEditorAndPreviews(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-edit", nil)
	root := hosts["data"]
	big := strings.Repeat("0123456789abcde\n", 200000) // 3.2 MB of text
	writeFiles(t, root, map[string]string{
		"notes.txt": "first line\n",
		"big.txt":   big,
		"read.md":   "# Title <img src=x onerror=alert(1)>\n\n- **bold** item\n\n<script>window.__pwned = true</script>\n",
		"pic.png":   string(pngOf(t)),
		"song.mp3":  "ID3 not really audio",
		"tone.wav":  string(wavOf(2)),
	})
	b := newUIBrowser(t, d)
	b.openUI(s, "/data")
	b.do(`window.__pwned = false; window.alert = () => { window.__pwned = true }`)

	// Edit and save with Ctrl+S.
	b.openEntry("notes.txt")
	b.wait(`document.querySelector('dialog.dlg[open] textarea.editor') !== null`)
	if got := evalJS[string](b, `document.querySelector('textarea.editor').value`); got != "first line\n" {
		t.Fatalf("editor loaded %q", got)
	}
	b.do(`const a = document.querySelector('textarea.editor'); a.focus(); a.value += 'second <line> #2\n'`)
	b.run(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	waitContent(t, filepath.Join(root, "notes.txt"), "first line\nsecond <line> #2\n")
	// Unsaved changes: Close asks first; Cancel keeps the editor open.
	b.do(`document.querySelector('textarea.editor').value += 'unsaved'`)
	asked := `document.querySelector('dialog.dlg[open]') && document.querySelector('dialog.dlg[open]').textContent.includes('unsaved changes')`
	b.dialogButton(1)
	b.wait(asked)
	b.dialogButton(1) // Cancel: back to the editor, text kept
	b.wait(`document.querySelector('dialog.dlg[open] textarea.editor') && document.querySelector('textarea.editor').value.endsWith('unsaved')`)
	b.dialogButton(1)
	b.wait(asked)
	b.dialogButton(0) // OK: discard
	b.wait(`document.querySelector('dialog.dlg[open]') === null`)
	waitContent(t, filepath.Join(root, "notes.txt"), "first line\nsecond <line> #2\n")

	// Too big to load whole: no editor, a message, the file untouched.
	b.openEntry("big.txt")
	b.wait(`[...document.querySelectorAll('.toast.error')].some(e => e.textContent.includes('too large'))`)
	if evalJS[bool](b, `document.querySelector('dialog.dlg[open]') !== null`) {
		t.Fatal("the editor opened a file it cannot load whole")
	}

	// Image preview loads; audio gets its Range-capable raw URL.
	b.openEntry("pic.png")
	b.wait(`document.querySelector('dialog.dlg[open] img.preview-img') && document.querySelector('dialog.dlg[open] img.preview-img').complete && document.querySelector('dialog.dlg[open] img.preview-img').naturalWidth === 16`)
	b.closeDialog()
	b.openEntry("song.mp3")
	b.wait(`document.querySelector('dialog.dlg[open] audio') !== null`)
	if src := evalJS[string](b, `document.querySelector('dialog.dlg[open] audio').getAttribute('src')`); src != "/api/raw/data/song.mp3?inline=true" {
		t.Fatalf("audio src %q", src)
	}
	b.closeDialog()
	// A real (WAV) sound: the browser's player loads it from the raw URL.
	b.openEntry("tone.wav")
	b.wait(`document.querySelector('dialog.dlg[open] audio') && document.querySelector('dialog.dlg[open] audio').duration > 1.9`)
	b.closeDialog()

	// Markdown: rendered, nothing in it runs or becomes an element.
	b.openEntry("read.md")
	b.wait(`document.querySelector('dialog.dlg[open] .md h1') !== null`)
	if got := evalJS[string](b, `document.querySelector('.md h1').textContent`); got != "Title <img src=x onerror=alert(1)>" {
		t.Fatalf("markdown title %q", got)
	}
	if evalJS[int](b, `document.querySelectorAll('.md img, .md script').length`) != 0 || evalJS[bool](b, `window.__pwned`) {
		t.Fatal("markdown content became markup or ran")
	}
	b.closeDialog()

	// Grid view: image thumbnails come from the server's preview.
	b.run(chromedp.Click(`#btn-view`))
	b.wait(`document.querySelector('.listing.grid') !== null`)
	b.wait(cell("pic.png") + `.querySelector('img.thumb').complete && ` + cell("pic.png") + `.querySelector('img.thumb').naturalWidth === 16`)
	if src := evalJS[string](b, cell("pic.png")+`.querySelector('img.thumb').getAttribute('src')`); src != "/api/preview/thumb/data/pic.png" {
		t.Fatalf("thumbnail src %q", src)
	}
	b.run(chromedp.Click(`#btn-view`))
	b.wait(`document.querySelector('.listing.grid') === null`)

	// Info with a SHA-256 the server computes.
	b.do(cell("pic.png") + `.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, clientX: 40, clientY: 200}))`)
	b.do(`document.querySelector('.menu [data-action=info]').click()`)
	b.do(`document.querySelector('#info-compute').click()`)
	sum := sha256.Sum256(pngOf(t))
	b.wait(fmt.Sprintf(`document.querySelector('#info-sum').textContent.includes(%s)`, js(hex.EncodeToString(sum[:]))))
	b.closeDialog()
}

// dialogButton clicks button i of the open dialog.
func (b *uiBrowser) dialogButton(i int) {
	b.t.Helper()
	b.do(fmt.Sprintf(`[...document.querySelectorAll('dialog.dlg[open]')].pop().querySelectorAll('.dlg-buttons button')[%d].click()`, i))
}

// waitContent waits until a host file holds want.
func waitContent(t *testing.T, p, want string) {
	t.Helper()
	waitFor(t, func() bool { b, _ := os.ReadFile(p); return string(b) == want }, p+" never held the expected content")
}

// TestUIPeople: dark mode, Korean, 360 px, the expiry warning, search
// with cancel, archive download, drag to move, keyboard help.
func TestUIPeople(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-people", map[string]any{"ttl": "5m"})
	root := hosts["data"]
	files := map[string]string{"dest/keep": "k", "move me.txt": "m"}
	for i := range 30 {
		files[fmt.Sprintf("deep/a%d/needle-%d.txt", i%3, i)] = "n"
	}
	writeFiles(t, root, files)
	b := newUIBrowser(t, d)
	b.openUI(s, "/data")

	// The session ends in 5 minutes: a warning says so.
	b.wait(`!document.querySelector('.banner').hidden && document.querySelector('.banner').textContent.includes('5 min')`)

	// The disk's use shows as a bar; uploads at once can be set.
	b.wait(`!document.querySelector('.usage-bar').hidden && document.querySelector('.usage-bar').value > 0`)

	// Dark mode toggle.
	light := evalJS[string](b, `getComputedStyle(document.body).backgroundColor`)
	b.run(chromedp.Click(`#btn-theme`))
	b.wait(`document.documentElement.dataset.theme === 'dark'`)
	if dark := evalJS[string](b, `getComputedStyle(document.body).backgroundColor`); dark == light {
		t.Fatalf("dark mode did not change the background (%s)", dark)
	}
	// Korean, and back.
	b.run(chromedp.Click(`#btn-lang`))
	b.wait(`document.querySelector('#btn-logout').getAttribute('aria-label') === '로그아웃' && document.documentElement.lang === 'ko'`)
	b.run(chromedp.Click(`#btn-lang`))
	b.wait(`document.querySelector('#btn-logout').getAttribute('aria-label') === 'Log out'`)

	// Keyboard help.
	b.key("?")
	b.wait(`document.querySelector('dialog.dlg[open]') && document.querySelector('dialog.dlg[open]').textContent.includes('F2')`)
	b.closeDialog()

	// Drag "move me.txt" onto the folder "dest" moves it.
	b.wait(cell("dest") + ` !== undefined`)
	b.do(`(() => {
		const dt = new DataTransfer();
		` + cell("move me.txt") + `.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
		` + cell("dest") + `.dispatchEvent(new DragEvent('drop', {bubbles: true, dataTransfer: dt}));
	})()`)
	waitFile(t, filepath.Join(root, "dest", "move me.txt"))
	b.wait(cell("move me.txt") + ` === undefined`)

	// A selection downloads as one streamed archive.
	b.do(cell("dest") + `.click()`)
	b.do(cell("deep") + `.dispatchEvent(new MouseEvent('click', {bubbles: true, ctrlKey: true}))`)
	got := evalJS[[]string](b, `import('/ui/js/api.js').then(m => fetch(m.archiveURL('/data', ['dest', 'deep'], 'zip'))).then(async r => [String(r.status), r.headers.get('Content-Type'), String.fromCharCode(...new Uint8Array(await r.arrayBuffer()).slice(0, 2))])`)
	if strings.Join(got, " ") != "200 application/zip PK" {
		t.Fatalf("archive: %q", got)
	}

	// The context menu's tar.gz: the browser is sent to the streamed archive.
	b.do(`window.__dl = []; window.__click = HTMLAnchorElement.prototype.click;
		HTMLAnchorElement.prototype.click = function () { window.__dl.push(this.getAttribute('href')) }`)
	b.do(cell("deep") + `.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, clientX: 40, clientY: 200}))`)
	b.do(`document.querySelector('.menu [data-action=targz]').click(); HTMLAnchorElement.prototype.click = window.__click`)
	got = evalJS[[]string](b, `fetch(window.__dl[0]).then(async r => [window.__dl[0], String(r.status), Array.from(new Uint8Array(await r.arrayBuffer()).slice(0, 2)).join(',')])`)
	if strings.Join(got, " ") != "/api/raw/data/?algo=targz&files=deep%2Cdest 200 31,139" {
		t.Fatalf("tar.gz download: %q", got)
	}

	// Search streams results and can be stopped.
	b.run(chromedp.Click(`#btn-search`))
	b.wait(`document.querySelector('#search-q') !== null`)
	b.run(chromedp.SendKeys(`#search-q`, "needle"+kb.Enter))
	b.wait(`document.querySelector('#search-state').textContent.includes('30')`)
	if n := evalJS[int](b, `document.querySelectorAll('#search-results li').length`); n != 30 {
		t.Fatalf("%d search results", n)
	}
	b.do(`document.querySelector('#search-stop').click()`)
	b.do(`document.querySelector('#search-results a').click()`)
	b.wait(`document.querySelector('#app').dataset.path.startsWith('/data/deep/a')`)

	// Nothing the page loaded came from another origin.
	if other := evalJS[[]string](b, `performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith(location.origin))`); len(other) > 0 {
		t.Fatalf("requests to other origins: %q", other)
	}

	// 360 px wide: nothing sticks out sideways; the main buttons show.
	b.run(chromedp.EmulateViewport(360, 740))
	b.wait(`document.documentElement.clientWidth === 360`)
	if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 360 {
		t.Fatalf("page is %d px wide at 360", w)
	}
	for _, id := range []string{"#btn-upload", "#btn-newfolder", "#btn-logout"} {
		if !evalJS[bool](b, fmt.Sprintf(`(() => { const r = document.querySelector(%s).getBoundingClientRect(); return r.width > 0 && r.right <= 360 })()`, js(id))) {
			t.Fatalf("%s not usable at 360 px", id)
		}
	}
}
