package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// hostileNames are file names that must show and work as their literal
// text: markup, URL specials, quotes, bidi controls, a newline.
var hostileNames = []string{
	`<img src=x onerror=alert(1)>.txt`, `a#b.txt`, `100%.txt`, `a+b c.txt`, `what?.txt`,
	`"quoted'.txt`, "\u202Egnp.exe", "new\nline.txt", `%2e%2e.txt`, ` lead.txt`, `<svg onload=alert(1)>`,
}

// key sends real key events to the listing.
func (b *uiBrowser) key(keys string, mods ...chromedp.Modifier) {
	b.t.Helper()
	b.do(`document.querySelector('.listing').focus()`)
	b.run(chromedp.KeyEvent(keys, chromedp.KeyModifiers(mods...)))
}

// selected lists the selected names drawn now.
func (b *uiBrowser) selected() []string {
	b.t.Helper()
	return evalJS[[]string](b, `[...document.querySelectorAll('.listing .cell[aria-selected=true]:not([hidden])')].map(c => c.dataset.name).sort()`)
}

// answerDialog types value (if not nil) into the open dialog and presses
// its first button.
func (b *uiBrowser) answerDialog(value *string) {
	b.t.Helper()
	b.wait(`document.querySelector('dialog.dlg[open]') !== null`)
	if value != nil {
		b.do(fmt.Sprintf(`document.querySelector('dialog.dlg[open] input').value = %s`, js(*value)))
	}
	b.do(`document.querySelector('dialog.dlg[open] .dlg-buttons button').click()`)
}

func TestUIListing(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-list", nil)
	root := hosts["data"]
	files := map[string]string{"sort/file2": "2", "sort/file10": "10", "sort/file1": "1", "sort/zeta/x": "x"}
	for _, n := range hostileNames {
		files["hostile/"+n] = "content of " + n
	}
	writeFiles(t, root, files)
	b := newUIBrowser(t, d)
	b.openUI(s, "/data/sort")

	// Natural order, folders first; the header flips the order.
	if got := b.names(); !slices.Equal(got, []string{"zeta", "file1", "file2", "file10"}) {
		t.Fatalf("sorted %q", got)
	}
	b.run(chromedp.Click(`#sort-name`))
	b.wait(`document.querySelector('.listing .cell:not([hidden]) .name').textContent === 'zeta' && document.querySelector('#sort-name').textContent.includes('▼')`)
	if got := b.names(); !slices.Equal(got, []string{"zeta", "file10", "file2", "file1"}) {
		t.Fatalf("sorted desc %q", got)
	}
	b.run(chromedp.Click(`#sort-name`))
	// The filter narrows at once.
	b.run(chromedp.SendKeys(`.filter`, "1"))
	b.wait(`document.querySelectorAll('.listing .cell:not([hidden])').length === 2`)
	if got := b.names(); !slices.Equal(got, []string{"file1", "file10"}) {
		t.Fatalf("filtered %q", got)
	}
	b.do(`document.querySelector('.filter').value = ''; document.querySelector('.filter').dispatchEvent(new Event('input'))`)

	// Keyboard: End, Home, Shift+Down, Ctrl+A, Space, type-ahead, F2.
	b.key(kb.End)
	b.wait(`document.querySelector('.cell.cursor').dataset.name === 'file10'`)
	b.key(kb.Home)
	b.key(kb.ArrowDown)
	b.key(kb.ArrowDown, chromedp.ModifierShift)
	if got := b.selected(); !slices.Equal(got, []string{"file1", "file2"}) {
		t.Fatalf("shift select %q", got)
	}
	b.key("a", chromedp.ModifierCtrl)
	if got := b.selected(); len(got) != 4 {
		t.Fatalf("ctrl+a %q", got)
	}
	b.key(kb.Escape)
	b.key(kb.Home)
	b.key("file1")
	b.wait(`document.querySelector('.cell.cursor').dataset.name === 'file1'`)
	b.key(" ")
	if got := b.selected(); !slices.Equal(got, []string{"file1"}) {
		t.Fatalf("space %q", got)
	}
	// Ctrl-click adds, Shift-click extends.
	b.do(cell("file10") + `.dispatchEvent(new MouseEvent('click', {bubbles: true, ctrlKey: true}))`)
	if got := b.selected(); !slices.Equal(got, []string{"file1", "file10"}) {
		t.Fatalf("ctrl-click %q", got)
	}
	// F2 renames the cursor's file.
	b.key(kb.F2)
	name := "file1 renamed"
	b.answerDialog(&name)
	b.wait(cell("file1 renamed") + ` !== undefined`)
	if _, err := os.Stat(filepath.Join(root, "sort", "file1 renamed")); err != nil {
		t.Fatal(err)
	}
	// New folder from the toolbar; Enter opens it, Backspace goes up.
	b.run(chromedp.Click(`#btn-newfolder`))
	dir := "new#dir %2e"
	b.answerDialog(&dir)
	b.wait(cell(dir) + ` !== undefined`)
	if st, err := os.Stat(filepath.Join(root, "sort", dir)); err != nil || !st.IsDir() {
		t.Fatalf("new folder: %v", err)
	}
	b.do(cell(dir) + `.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))`)
	b.wait(fmt.Sprintf(`document.querySelector('#app').dataset.path === %s`, js("/data/sort/"+dir)))
	b.key(kb.Backspace)
	b.wait(`document.querySelector('#app').dataset.path === '/data/sort'`)
	b.wait(cell("file2") + ` !== undefined`)

	// Delete key with confirmation.
	b.do(cell("file2") + `.click()`)
	b.key(kb.Delete)
	b.answerDialog(nil)
	b.wait(cell("file2") + ` === undefined`)
	if _, err := os.Stat(filepath.Join(root, "sort", "file2")); !os.IsNotExist(err) {
		t.Fatalf("file2 still there: %v", err)
	}

	// Context menu: copy a file into a folder by path.
	b.do(cell("file10") + `.dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, clientX: 50, clientY: 200}))`)
	b.wait(`document.querySelector('.menu [data-action=copy]') !== null`)
	b.do(`document.querySelector('.menu [data-action=copy]').click()`)
	dest := "/data/sort/zeta"
	b.answerDialog(&dest)
	waitFile(t, filepath.Join(root, "sort", "zeta", "file10"))

	// Hostile names show literally, run nothing, and download as themselves.
	b.do(`window.__pwned = false; window.alert = () => { window.__pwned = true }`)
	b.gotoPath("/data/hostile")
	got := evalJS[[]string](b, `[...document.querySelectorAll('.listing .cell:not([hidden]) .name')].map(n => n.textContent).sort()`)
	want := slices.Clone(hostileNames)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("hostile names shown as\n%q\nwant\n%q", got, want)
	}
	if n := evalJS[int](b, `document.querySelectorAll('.listing img:not(.thumb), .listing svg').length`); n != 0 || evalJS[bool](b, `window.__pwned`) {
		t.Fatalf("markup from a name became elements (%d) or ran", n)
	}
	for _, n := range hostileNames {
		body := evalJS[string](b, fmt.Sprintf(`import('/ui/js/api.js').then(m => fetch(m.rawURL(%s)).then(r => r.text()))`, js("/data/hostile/"+n)))
		if body != "content of "+n {
			t.Errorf("download of %q: %q", n, body)
		}
	}
	// Rename a hostile name through the UI, to another hostile name.
	b.do(cell(hostileNames[0]) + `.click()`)
	b.key(kb.F2)
	to := `<b>bold<\b> & "q" #1?.txt`
	b.answerDialog(&to)
	waitFile(t, filepath.Join(root, "hostile", to))
	b.wait(cell(to) + ` !== undefined`)
}

// TestUIBigFolder: 100,001 entries show their first rows at once, with a
// bounded number of DOM nodes, and End reaches the last one.
func TestUIBigFolder(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-big", nil)
	big := filepath.Join(hosts["data"], "big")
	if err := os.MkdirAll(big, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 100001 {
		f, err := os.Create(filepath.Join(big, fmt.Sprintf("f%06d", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	chownTree(t, hosts["data"])
	b := newUIBrowser(t, d)
	b.openUI(s, "/data")
	start := time.Now()
	b.gotoPath("/data/big")
	t.Logf("100,001 entries: listed and drawn in %s", time.Since(start))
	if got := b.names(); len(got) == 0 || got[0] != "f000000" {
		t.Fatalf("first rows %q", got[:min(3, len(got))])
	}
	nodes := evalJS[int](b, `document.getElementsByTagName('*').length`)
	if nodes > 2000 {
		t.Fatalf("%d DOM nodes for 100,001 entries", nodes)
	}
	t.Logf("DOM nodes: %d", nodes)
	if got := evalJS[string](b, `document.querySelector('.count').textContent`); !strings.Contains(got, "100001") {
		t.Fatalf("count %q", got)
	}
	b.key(kb.End)
	b.wait(`document.querySelector('.cell.cursor') && document.querySelector('.cell.cursor').dataset.name === 'f100000'`)
}

// waitFile waits until a file exists on the host (operations finish
// asynchronously in the page).
func waitFile(t *testing.T, p string) {
	t.Helper()
	waitFor(t, func() bool { _, err := os.Lstat(p); return err == nil }, p+" never appeared")
}

// waitFor polls a host-side condition for up to 30 s.
func waitFor(t *testing.T, cond func() bool, failure string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(failure)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUIClipboardAndTouch: Ctrl+C / Ctrl+X / Ctrl+V copy and move, the
// keyboard opens the context menu, pasted files upload, and a long press
// on a touch screen selects.
func TestUIClipboardAndTouch(t *testing.T) {
	d := shared(t)
	s, _, hosts := uiSession(t, d, "ui-clip", nil)
	root := hosts["data"]
	writeFiles(t, root, map[string]string{"src/one.txt": "1", "src/two.txt": "2", "dst/.keep": ""})
	b := newUIBrowser(t, d)
	b.openUI(s, "/data/src")

	b.do(cell("one.txt") + `.click()`)
	b.key("c", chromedp.ModifierCtrl)
	b.gotoPath("/data/dst")
	b.key("v", chromedp.ModifierCtrl)
	b.wait(cell("one.txt") + ` !== undefined`)
	b.gotoPath("/data/src")
	b.do(cell("two.txt") + `.click()`)
	b.key("x", chromedp.ModifierCtrl)
	b.gotoPath("/data/dst")
	b.key("v", chromedp.ModifierCtrl)
	b.wait(cell("two.txt") + ` !== undefined`)
	hostFileIs(t, filepath.Join(root, "dst", "one.txt"), []byte("1"))
	hostFileIs(t, filepath.Join(root, "src", "one.txt"), []byte("1"))
	hostFileIs(t, filepath.Join(root, "dst", "two.txt"), []byte("2"))
	if _, err := os.Stat(filepath.Join(root, "src", "two.txt")); !os.IsNotExist(err) {
		t.Fatalf("cut file still in src: %v", err)
	}

	// Shift+F10 opens the menu for the cursor's entry; Escape closes it.
	b.do(cell("one.txt") + `.click()`)
	b.key(kb.F10, chromedp.ModifierShift)
	b.wait(`document.activeElement && document.activeElement.closest('.menu') !== null`)
	b.run(chromedp.KeyEvent(kb.Escape))
	b.wait(`document.querySelector('.menu') === null`)

	// Pasting files from the clipboard uploads them here.
	b.do(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(['pasted <b>'], 'pasted #1.txt'));
		document.querySelector('#app').dispatchEvent(new ClipboardEvent('paste', {bubbles: true, clipboardData: dt}));
	})()`)
	b.wait(upState("pasted #1.txt") + `.state === 'done'`)
	hostFileIs(t, filepath.Join(root, "dst", "pasted #1.txt"), []byte("pasted <b>"))

	// A long press on touch toggles the selection, without a click.
	b.do(`(() => {
		const c = ` + cell("two.txt") + `;
		c.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, pointerType: 'touch'}));
	})()`)
	b.wait(cell("two.txt") + `.getAttribute('aria-selected') === 'true'`)
	b.do(cell("two.txt") + `.dispatchEvent(new PointerEvent('pointerup', {bubbles: true, pointerType: 'touch'}))`)
	// While selecting, a tap adds; with nothing selected, a tap opens.
	tap := func(name string) {
		b.do(`(() => { const c = ` + cell(name) + `;
			c.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, pointerType: 'touch'}));
			c.dispatchEvent(new PointerEvent('pointerup', {bubbles: true, pointerType: 'touch'}));
			c.click(); })()`)
	}
	tap("one.txt")
	if got := b.selected(); !slices.Equal(got, []string{"one.txt", "two.txt"}) {
		t.Fatalf("tap while selecting: %q", got)
	}
	b.key(kb.Escape)
	tap("one.txt")
	b.wait(`document.querySelector('dialog.dlg[open] textarea.editor') !== null`)
}
