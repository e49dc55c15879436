package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// uiChunk is the browser UI's tus chunk (CHUNK in web/js/tus.js): curl
// sends the same requests, so the ratio measures the browser, not the
// chunking.
const uiChunk = 16 << 20

// benchWebUI measures the browser UI (issue 11) in headless Chromium
// against the real daemon: a big upload through the page against curl's
// tus upload of the same file, and how soon a 100,000-entry folder shows
// its first rows, with the page's DOM node count.
func benchWebUI(ctx context.Context, e *env, r *report) error {
	b, err := e.openUIBrowser(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	if err := benchUIUpload(ctx, e, b, r); err != nil {
		return err
	}
	return benchUIBigFolder(e, b, r)
}

// uiBrowser is one headless Debian Chromium, logged in to the UI by a
// session's login link. The UI tests (cmd/storage-agent/webui_helpers_test.go)
// drive the page the same way; this is a small copy of what the bench
// needs rather than a shared exported package for two callers.
type uiBrowser struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// openUIBrowser starts Chromium, opens a session on the benchmark folder
// and follows its login link into the UI. The daemon's self-signed
// certificate is accepted by flag: TLS is still real, only the trust
// decision is skipped.
func (e *env) openUIBrowser(ctx context.Context) (*uiBrowser, error) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		return nil, fmt.Errorf("chromium (make bench installs it): %w", err)
	}
	profile, err := os.MkdirTemp(e.dir, "chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(profile),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1200, 800),
	)
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	b := &uiBrowser{ctx: bctx, cancel: func() { cancelB(); cancelA() }}
	url, err := e.webLoginURL("bench-ui")
	if err == nil {
		err = chromedp.Do(bctx, chromedp.Navigate(url))
	}
	if err == nil {
		err = b.wait(`document.querySelector('#app') && document.querySelector('#app').dataset.ready`, time.Minute)
	}
	if err != nil {
		b.close()
		return nil, fmt.Errorf("UI login: %w", err)
	}
	return b, nil
}

// webLoginURL opens a session of user on the benchmark folder and
// returns its single-use web login link.
func (e *env) webLoginURL(user string) (string, error) {
	vfid := "user:" + uuidOf("user:bench") + "/" + uuidOf("bench/data")
	code, body, err := e.api("POST", "/sessions", map[string]any{"user": user,
		"mounts": []map[string]any{{"volume": "local", "vfid": vfid, "name": "data"}}})
	if err != nil || code != 201 {
		return "", fmt.Errorf("open session: %d %s %w", code, body, err)
	}
	var s struct {
		Web struct {
			URL string `json:"url"`
		} `json:"web"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return "", fmt.Errorf("session answer: %w", err)
	}
	return s.Web.URL, nil
}

func (b *uiBrowser) close() { b.cancel() }

// uiEval evaluates a JS expression in the page, awaiting a promise.
func uiEval[T any](b *uiBrowser, expr string) (T, error) {
	awaited := func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, awaited))
	if err != nil {
		return v, fmt.Errorf("evaluate %.80s: %w", expr, err)
	}
	return v, nil
}

// wait polls a JS condition in the page until it is truthy.
func (b *uiBrowser) wait(cond string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := chromedp.Do(b.ctx, chromedp.Poll[chromedp.Void](cond,
			chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(20*time.Millisecond)))
		// The login link redirects: a poll may start on the page being
		// replaced; poll the new one.
		if err != nil && time.Now().Before(deadline) &&
			(strings.Contains(err.Error(), "Cannot find context") || strings.Contains(err.Error(), "navigated or closed")) {
			continue
		}
		if err != nil {
			text, _ := uiEval[string](b, `document.body ? document.body.innerText.slice(0, 500) : ''`)
			return fmt.Errorf("waiting for %s: %w (page: %q)", cond, err, text)
		}
		return nil
	}
}

// open shows a folder in the UI and waits until its listing is drawn,
// listed afresh even when it is the folder shown.
func (b *uiBrowser) open(path string) error {
	now, err := uiEval[[]string](b, `[document.querySelector('#app').dataset.path || '', document.querySelector('#app').dataset.ready || '']`)
	if err != nil {
		return err
	}
	if now[0] == path { // the same hash would not load it again: go elsewhere first
		other := "/"
		if path == "/" {
			other = "/data"
		}
		if err := b.open(other); err != nil {
			return err
		}
		return b.open(path)
	}
	seq := now[1]
	p, s := jsString(path), jsString(seq)
	if _, err := uiEval[bool](b, `location.hash = '#' + `+p+`.split('/').map(encodeURIComponent).join('/'), true`); err != nil {
		return err
	}
	return b.wait(`document.querySelector('#app').dataset.path === `+p+` && document.querySelector('#app').dataset.ready !== `+s, time.Minute)
}

// jsString quotes s as a JS string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// benchUIUpload alternates the big file's upload through the UI's file
// picker with curl's tus upload of it (the same 16 MiB PATCHes), both
// into the daemon, and reports both speeds and the daemon's CPU for each.
func benchUIUpload(ctx context.Context, e *env, b *uiBrowser, r *report) error {
	w, err := e.webLogin()
	if err != nil {
		return err
	}
	if err := b.open("/data"); err != nil {
		return err
	}
	src := filepath.Join(e.dir, "ui-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(src)
	var ui, cu []sample
	for i := 0; i < e.o.rounds; i++ {
		// A new name each round: the page's transfer panel keeps the
		// finished rows of earlier rounds, and no upload may collide.
		name := fmt.Sprintf("ui-%d.bin", i+1)
		local := filepath.Join(src, name)
		if err := os.Link(e.bigFile, local); err != nil {
			return fmt.Errorf("source of the UI upload: %w", err)
		}
		for j := range 2 {
			e.settle()
			label, s, err := "curl", sample{}, error(nil)
			if (i+j)%2 == 0 {
				label = "UI"
				before := chromiumCPU()
				s, err = e.cpu.measure(sideOurs, func() (time.Duration, error) { return b.upload(local, name) })
				s.client = chromiumCPU() - before // the browser is not a waited-for child
				os.Remove(filepath.Join(e.agentDir, name))
				ui = append(ui, s)
			} else {
				s, err = e.cpu.measure(sideOurs, func() (time.Duration, error) {
					return curlTus(ctx, w, e.bigFile, "/data/curl.bin", uiChunk)
				})
				os.Remove(filepath.Join(e.agentDir, "curl.bin"))
				cu = append(cu, s)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "  round %d %-5s %s (server CPU %s)\n", i+1, label, s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond))
		}
	}
	r.compare("UI upload 1 GiB vs curl tus", "UI", "curl", e.o.bigSize, ui, cu, 0.7, false)
	return nil
}

// upload sends local through the page's file picker into the folder shown
// and times it until its transfer row says done (polled every 20 ms).
func (b *uiBrowser) upload(local, name string) (time.Duration, error) {
	row := `([...document.querySelectorAll('.up-row:not([hidden])')].find(r => r.dataset.name === ` + jsString(name) + `) || {dataset: {}}).dataset.state`
	start := time.Now()
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(`#upload-files`, []string{local})); err != nil {
		return 0, fmt.Errorf("UI upload of %s: %w", name, err)
	}
	if err := b.wait(`['done', 'failed', 'canceled', 'skipped'].includes(`+row+`)`, 30*time.Minute); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if state, err := uiEval[string](b, row); err != nil || state != "done" {
		return 0, fmt.Errorf("UI upload of %s ended %q: %w", name, state, err)
	}
	return d, nil
}

// curlTus uploads src to dst by tus with one curl per request: a POST,
// then a PATCH per chunk read from src (Content-Length set, so curl
// streams without chunked encoding; no Expect, as browsers send none).
func curlTus(ctx context.Context, w *webBench, src, dst string, chunk int64) (time.Duration, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	url := w.base + "/api/tus" + dst
	curl := func(body io.Reader, extra ...string) (string, error) {
		args := append([]string{"-sS", "--http1.1", "--cacert", w.ca, "-o", "/dev/null", "-w", "%{http_code}",
			"-H", "X-Auth: " + w.token, "-H", "Tus-Resumable: 1.0.0", "-H", "Expect:"}, extra...)
		cmd := exec.CommandContext(ctx, "curl", args...)
		cmd.Stdin = body
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("curl %s: %w", strings.Join(args, " "), err)
		}
		return string(out), nil
	}
	start := time.Now()
	code, err := curl(nil, "-H", "Upload-Length: "+strconv.FormatInt(fi.Size(), 10), "-X", "POST", url+"?override=true")
	if err != nil || code != "201" {
		return 0, fmt.Errorf("curl tus POST: %s %w", code, err)
	}
	for off := int64(0); off < fi.Size(); off += chunk {
		n := min(chunk, fi.Size()-off)
		code, err := curl(io.NewSectionReader(f, off, n), "-H", "Content-Type: application/offset+octet-stream",
			"-H", "Upload-Offset: "+strconv.FormatInt(off, 10), "-H", "Content-Length: "+strconv.FormatInt(n, 10),
			"-H", "Transfer-Encoding:", "-X", "PATCH", "-T", "-", url)
		if err != nil || code != "204" {
			return 0, fmt.Errorf("curl tus PATCH at %d: %s %w", off, code, err)
		}
	}
	return time.Since(start), nil
}

// benchUIBigFolder opens the 100,000-file folder in the UI, rounds times,
// and measures in the page how long after the listing's last byte arrived
// (its resource timing) the first rows were in the DOM at an animation
// frame, and the page's DOM node count then.
func benchUIBigFolder(e *env, b *uiBrowser, r *report) error {
	if _, err := makeMany(e); err != nil {
		return err
	}
	const path = "/data/many"
	var after, listing []time.Duration
	nodes := 0
	for i := 0; i < e.o.rounds; i++ {
		if err := b.open("/data"); err != nil {
			return err
		}
		if _, err := uiEval[bool](b, `performance.clearResourceTimings(); window.__rows = 0; window.__asked = performance.now();
			(function tick() {
				if (document.querySelector('#app').dataset.path === `+jsString(path)+` && document.querySelector('.listing .cell:not([hidden])')) {
					window.__rows = performance.now(); window.__nodes = document.getElementsByTagName('*').length; return;
				}
				requestAnimationFrame(tick);
			})();
			location.hash = '#`+path+`'; true`); err != nil {
			return err
		}
		if err := b.wait(`window.__rows > 0`, 2*time.Minute); err != nil {
			return err
		}
		got, err := uiEval[[]float64](b, `(() => {
			const l = performance.getEntriesByType('resource').find(x => new URL(x.name).pathname === '/api/resources`+path+`/');
			return l ? [l.responseEnd, window.__rows, window.__asked, window.__nodes] : [];
		})()`)
		if err != nil {
			return err
		}
		if len(got) != 4 {
			return fmt.Errorf("no resource timing of the listing of %s", path)
		}
		ms := func(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }
		after = append(after, ms(got[1]-got[0]))
		listing = append(listing, ms(got[0]-got[2]))
		nodes = max(nodes, int(got[3]))
		fmt.Fprintf(os.Stderr, "  round %d listing arrived after %s, first rows %s later, %d DOM nodes\n",
			i+1, listing[i].Round(time.Millisecond), after[i].Round(time.Millisecond), int(got[3]))
	}
	ma := median(after)
	r.line(fmt.Sprintf("%-34s first rows %s after the listing arrived (target <= 1s; listing %s)   DOM nodes %d (target <= 2000)",
		"UI 100,000-entry folder", ma.Round(time.Millisecond), median(listing).Round(time.Millisecond), nodes),
		ma <= time.Second && nodes <= 2000)
	return nil
}

// chromiumCPU is the user+system time so far of the running processes of
// Debian's chromium (browser, renderers, network service, GPU).
func chromiumCPU() time.Duration {
	ents, _ := os.ReadDir("/proc")
	var ticks int64
	for _, ent := range ents {
		if exe, err := os.Readlink("/proc/" + ent.Name() + "/exe"); err != nil || !strings.Contains(exe, "chromium") {
			continue
		}
		b, err := os.ReadFile("/proc/" + ent.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the parenthesised name: state is the 3rd field,
		// utime and stime the 14th and 15th.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + st
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}
