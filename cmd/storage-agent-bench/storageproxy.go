package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// benchStorageProxy measures the Backend.AI storage-proxy routes (issue
// 13): the client API's download against nginx (TLS and plain HTTP), its tus
// upload against sftp put, a 10,000-file clone against cp -a, and the
// listing and usage of a 100,000-file folder against ls -l and du + find.
func benchStorageProxy(ctx context.Context, e *env, r *report) error {
	if err := placeBig(e); err != nil {
		return err
	}
	ca, hc, err := e.agentHTTPClient()
	if err != nil {
		return err
	}
	vfid := "user:" + uuidOf("user:bench") + "/" + uuidOf("bench/data")
	for _, step := range []func() error{
		func() error { return benchProxyDownload(ctx, e, ca, vfid, r) },
		func() error {
			return tusAgainstSFTPPut(ctx, e, r, "client API tus 1 GiB vs sftp", "proxy-tus.bin",
				func() error { return proxyTusUpload(e, hc, vfid, "proxy-tus.bin") })
		},
		func() error { return benchClone(ctx, e, r) },
		func() error { return benchProxyListing(ctx, e, vfid, r) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// managerJSON calls the manager API and decodes its 2xx answer into out.
func (e *env) managerJSON(method, path string, body, out any) error {
	code, b, err := e.api(method, path, body)
	if err != nil {
		return err
	}
	if code/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, code, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// benchProxyDownload downloads the big file from the client API against
// nginx: over TLS from this daemon, and over plain HTTP (sendfile on both
// sides) from a second daemon serving the same volume with ssl-enabled =
// false.
func benchProxyDownload(ctx context.Context, e *env, ca, vfid string, r *report) error {
	if err := proxyDownloadRounds(ctx, e, ca, vfid, r); err != nil {
		return err
	}
	plainVar := filepath.Join(e.dir, "agent-plain")
	cmd, banner, err := e.launchAgent(ctx, plainVar, "agent-plain.log", "--agent.id", "storage-agent-plain",
		"--api.client.ssl-enabled", "false", "--volume.local.path", filepath.Join(e.agentVar, "volumes", "local"))
	if err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	plain := *e
	plain.mgrURL, plain.clientURL = banner["manager-api"], banner["client-api"]
	if plain.secret, err = readSecret(plainVar); err != nil {
		return err
	}
	return proxyDownloadRounds(ctx, &plain, "", vfid, r)
}

// proxyDownloadRounds alternates curl downloads of the big file from e's
// client API and from nginx on the same scheme (TLS when ca is set).
func proxyDownloadRounds(ctx context.Context, e *env, ca, vfid string, r *report) error {
	var tok struct{ Token string }
	if err := e.managerJSON("POST", "/folder/file/download", map[string]any{"volume": "local", "vfid": vfid,
		"relpath": "big.bin", "archive": false, "unmanaged_path": nil}, &tok); err != nil {
		return err
	}
	ngx, nginxURL, err := e.startNginx(ctx, ca != "")
	if err != nil {
		return err
	}
	defer stopNginx(ngx)
	var ours, ref []sample
	for i := 0; i < e.o.rounds; i++ {
		for j := range 2 {
			e.settle()
			side, u, list := sideOurs, e.clientURL+"/download?token="+url.QueryEscape(tok.Token), &ours
			if (i+j)%2 == 1 {
				side, u, list = sideRef, nginxURL+"/big.bin", &ref
			}
			s, err := e.cpu.measure(side, func() (time.Duration, error) { return curlGet(ctx, ca, u) })
			if err != nil {
				return err
			}
			*list = append(*list, s)
		}
		fmt.Fprintf(os.Stderr, "  round %d client API %s, nginx %s\n", i+1, ours[i].wall.Round(time.Millisecond), ref[i].wall.Round(time.Millisecond))
	}
	if ca != "" {
		r.throughput("client API TLS download vs nginx", e.o.bigSize, ours, ref, 0.9)
	} else {
		r.throughput("client API HTTP download vs nginx", e.o.bigSize, ours, ref, 1.0)
	}
	return nil
}

// proxyTusUpload uploads the big file as aiotusclient does: a token from
// the manager API, then PATCHes of 10 MiB.
func proxyTusUpload(e *env, hc *http.Client, vfid, name string) error {
	var tok struct{ Token string }
	if err := e.managerJSON("POST", "/folder/file/upload", map[string]any{"volume": "local", "vfid": vfid,
		"relpath": name, "size": strconv.FormatInt(e.o.bigSize, 10)}, &tok); err != nil {
		return err
	}
	f, err := os.Open(e.bigFile)
	if err != nil {
		return err
	}
	defer f.Close()
	const chunk = 10 << 20
	for off := int64(0); off < e.o.bigSize; off += chunk {
		n := min(chunk, e.o.bigSize-off)
		req, _ := http.NewRequest("PATCH", e.clientURL+"/upload?token="+url.QueryEscape(tok.Token), io.NewSectionReader(f, off, n))
		req.ContentLength = n
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 204 {
			return fmt.Errorf("PATCH at %d: %d", off, resp.StatusCode)
		}
	}
	return nil
}

// benchClone clones a 10,000-file folder through the manager API (done
// when /folder/usage of the copy counts every entry) against cp -a.
func benchClone(ctx context.Context, e *env, r *report) error {
	srcVFID, srcDir, err := e.createFolder("bench", "tree")
	if err != nil {
		return err
	}
	if err := writeTree(srcDir); err != nil {
		return err
	}
	want := float64(treeFiles + treeDirs)
	var ours, ref []time.Duration
	for i := 0; i < e.o.rounds; i++ {
		e.settle()
		dst := "user:" + uuidOf("user:bench") + "/" + uuidOf(fmt.Sprintf("bench/clone-%d", i))
		start := time.Now()
		if err := e.managerJSON("POST", "/folder/clone", map[string]any{"src_volume": "local", "src_vfid": srcVFID,
			"dst_volume": "local", "dst_vfid": dst}, nil); err != nil {
			return err
		}
		for {
			var u struct {
				FileCount float64 `json:"file_count"`
			}
			if err := e.managerJSON("GET", "/folder/usage", map[string]any{"volume": "local", "vfid": dst}, &u); err != nil {
				return err
			}
			if u.FileCount >= want {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		ours = append(ours, time.Since(start))
		if err := e.managerJSON("POST", "/folder/delete", map[string]any{"volume": "local", "vfid": dst}, nil); err != nil {
			return err
		}
		e.settle()
		cpDst := filepath.Join(e.dir, "cp-clone")
		start = time.Now()
		if out, err := exec.CommandContext(ctx, "cp", "-a", srcDir, cpDst).CombinedOutput(); err != nil {
			return fmt.Errorf("cp -a: %v %s", err, out)
		}
		ref = append(ref, time.Since(start))
		os.RemoveAll(cpDst)
		fmt.Fprintf(os.Stderr, "  round %d clone %s, cp -a %s\n", i+1, ours[i].Round(time.Millisecond), ref[i].Round(time.Millisecond))
	}
	mo, mr := median(ours), median(ref)
	r.line(fmt.Sprintf("%-30s storage-agent %s   cp -a %s   speed ratio %.2fx (target >= 1.00x)",
		"clone 10,000 files", mo.Round(time.Millisecond), mr.Round(time.Millisecond), mr.Seconds()/mo.Seconds()), mo <= mr)
	return nil
}

// benchProxyListing lists and sizes the 100,000-file folder through the
// manager API against ls -l, and du --apparent-size plus find | wc -l.
func benchProxyListing(ctx context.Context, e *env, vfid string, r *report) error {
	dir, err := makeMany(e)
	if err != nil {
		return err
	}
	type side struct {
		name   string
		ours   func() error
		ref    string // sh -c
		target float64
	}
	for _, s := range []side{
		{"list 100,000 files vs ls -l", func() error {
			return e.managerJSON("POST", "/folder/file/list", map[string]any{"volume": "local", "vfid": vfid, "relpath": "many"}, nil)
		}, "ls -l " + dir + " >/dev/null", 1.2},
		{"usage vs du + find", func() error {
			return e.managerJSON("GET", "/folder/usage", map[string]any{"volume": "local", "vfid": vfid}, nil)
		}, "du -s --apparent-size " + e.agentDir + " >/dev/null && find " + e.agentDir + " | wc -l >/dev/null", 1.2},
	} {
		var ours, ref []time.Duration
		for i := 0; i < e.o.rounds; i++ {
			start := time.Now()
			if err := s.ours(); err != nil {
				return err
			}
			ours = append(ours, time.Since(start))
			start = time.Now()
			if out, err := exec.CommandContext(ctx, "sh", "-c", s.ref).CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v %s", s.ref, err, out)
			}
			ref = append(ref, time.Since(start))
		}
		mo, mr := median(ours), median(ref)
		r.line(fmt.Sprintf("%-30s storage-agent %s   reference %s   ratio %.2fx (target <= %.1fx)",
			s.name, mo.Round(time.Millisecond), mr.Round(time.Millisecond), mo.Seconds()/mr.Seconds(), s.target),
			mo.Seconds() <= s.target*mr.Seconds())
	}
	return nil
}
