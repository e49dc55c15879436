package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/storage-agent/storage-agent/isolation/sandboxtest"
)

// uiBrowser is one headless Debian Chromium driven by chromedp, talking
// to the daemon's webfs over real HTTPS.
type uiBrowser struct {
	t   *testing.T
	ctx context.Context
	d   *daemon
}

// newUIBrowser starts Chromium for one test; it fails (never skips) when
// chromium is missing. The daemon's self-signed certificate is accepted
// by flag: TLS is still real, only the trust decision is skipped.
func newUIBrowser(t *testing.T, d *daemon) *uiBrowser {
	t.Helper()
	bin := requireTool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1200, 800),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA(); cancel() })
	b := &uiBrowser{t: t, ctx: bctx, d: d}
	b.run(chromedp.Navigate("about:blank"))
	return b
}

// run runs chromedp actions, failing the test on error.
func (b *uiBrowser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// evalJS evaluates a JS expression in the page (promises awaited).
func evalJS[T any](b *uiBrowser, expr string) T {
	b.t.Helper()
	awaited := func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, awaited))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// do evaluates a JS statement for its effect.
func (b *uiBrowser) do(expr string) {
	b.t.Helper()
	evalJS[chromedp.Void](b, expr)
}

// wait polls a JS condition until it is truthy (never a fixed sleep).
func (b *uiBrowser) wait(cond string) {
	b.t.Helper()
	b.waitFor(cond, 90*time.Second)
}

// waitFor is wait with its own time limit, for long transfers.
func (b *uiBrowser) waitFor(cond string, limit time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := chromedp.Do(b.ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
		// A navigation (reload, login) replaces the page under the poll:
		// poll the new page.
		if err != nil && (strings.Contains(err.Error(), "Cannot find context") || strings.Contains(err.Error(), "navigated or closed")) && time.Now().Before(deadline) {
			continue
		}
		if err == nil {
			return
		}
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
		b.t.Fatalf("waiting for %s: %v\npage text: %s", cond, err, state)
	}
}

// js quotes a Go string as a JS string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// openUI logs the browser in with the session's login link and waits for
// the listing of path.
func (b *uiBrowser) openUI(s sessionInfo, path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(s.Web.URL))
	b.wait(`document.querySelector('#app').dataset.ready`)
	if path != "/" {
		b.gotoPath(path)
	}
}

// gotoPath opens a folder and waits until its listing is shown.
func (b *uiBrowser) gotoPath(path string) {
	b.t.Helper()
	seq := evalJS[string](b, `document.querySelector('#app').dataset.ready || ''`)
	b.do(fmt.Sprintf(`location.hash = '#' + %s.split('/').map(encodeURIComponent).join('/')`, js(path)))
	b.wait(fmt.Sprintf(`document.querySelector('#app').dataset.path === %s && document.querySelector('#app').dataset.ready !== %s`, js(path), js(seq)))
}

// names lists the names of the rows drawn now, in order.
func (b *uiBrowser) names() []string {
	b.t.Helper()
	return evalJS[[]string](b, `[...document.querySelectorAll('.listing .cell:not([hidden])')].sort((a, b) => a.dataset.index - b.dataset.index).map(c => c.querySelector('.name').textContent)`)
}

// cell is a JS expression for the drawn row of name.
func cell(name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('.listing .cell:not([hidden])')].find(c => c.dataset.name === %s)`, js(name))
}

// writeFiles creates files (name -> content) under dir, owned by the
// session's uid.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	sandboxtest.WriteFiles(t, dir, files, 1000)
}

// cookie returns the value of the browser's cookie name for the daemon.
func (b *uiBrowser) cookie(name string) string {
	b.t.Helper()
	var val string
	b.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{b.d.webURL}})
		for _, c := range res.Cookies {
			if c.Name == name {
				val = c.Value
			}
		}
		return err
	}))
	return val
}

// acceptDialogs accepts every native dialog (such as the beforeunload
// warning while uploads run) and counts them in seen.
func (b *uiBrowser) acceptDialogs(seen *atomic.Int32) {
	b.t.Helper()
	err := chromedp.Listen(b.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			seen.Add(1)
			go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
		}
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// uiSession opens a session of user with one rw folder "data", emptied
// first (so a test also passes when run again on the same daemon, as with
// -count=2); extra goes into POST /sessions (such as a ttl).
func uiSession(t *testing.T, d *daemon, user string, extra map[string]any) (sessionInfo, *webClient, map[string]string) {
	t.Helper()
	vfid, host := d.folder(user, "data")
	entries, _ := os.ReadDir(host)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(host, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	s := d.openSession(user, []map[string]any{{"volume": "local", "vfid": vfid, "name": "data", "mode": "rw"}}, extra)
	return s, d.webLogin(t, s), map[string]string{"data": host}
}
