package storageapi

import (
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
)

// TestManagerReplay sends the manager's calls with the exact bodies of
// STORAGE_PROXY_API.md §1 (GET with bodies, string sizes, null
// unmanaged_path, extra keys) and checks the statuses and keys it reads.
func TestManagerReplay(t *testing.T) {
	e := newEnv(t, nil, nil)
	const vol = `"volume":"local"`
	const va = vol + `,"vfid":"` + vfidA + `"`

	// 1. volumes, no body.
	m := e.json("GET", "/volumes", "", 200)
	vols := m["volumes"].([]any)
	v0 := vols[0].(map[string]any)
	if len(vols) != 1 || v0["name"] != "local" || v0["backend"] != "vfs" || v0["path"] != e.volPath || v0["fsprefix"] != "." {
		t.Errorf("volumes %v", m)
	}
	// 2. create: mode 509 (0o775), options {} then with an initial size.
	e.json("POST", "/folder/create", `{`+va+`,"options":{},"mode":509}`, 204)
	fi, err := os.Stat(e.folderPath(folderA))
	if err != nil || fi.Mode().Perm() != 0o775 {
		t.Fatalf("created folder: %v %v", fi, err)
	}
	e.json("POST", "/folder/create", `{`+vol+`,"vfid":"`+vfidB+`","options":{"initial_max_size_for_quota_scope":1000}}`, 204)
	// 21-23. quota scopes.
	if m := e.json("GET", "/quota-scope", `{`+vol+`,"qsid":"user:`+scope+`"}`, 200); m["used_bytes"] != nil || m["limit_bytes"] != nil || len(m) != 2 {
		t.Errorf("quota-scope %v", m)
	}
	const other = `"qsid":"project:99999999-2222-4333-8444-555555555555"`
	problem(t, e.json("GET", "/quota-scope", `{`+vol+`,`+other+`}`, 404), "quota/scope/not-found", "quota-scope_read_not-found")
	problem(t, e.json("GET", "/quota-scope", `{`+vol+`,"qsid":""}`, 404), "quota/scope/not-found", "quota-scope_read_not-found")
	problem(t, e.json("DELETE", "/quota-scope/quota", `{`+vol+`,`+other+`}`, 404), "quota/scope/not-found", "quota-scope_read_not-found")
	e.json("PATCH", "/quota-scope", `{`+vol+`,`+other+`,"options":{"limit_bytes":1048576}}`, 204)
	e.json("DELETE", "/quota-scope/quota", `{`+vol+`,`+other+`}`, 204)
	problem(t, e.json("POST", "/quota-scope", `{`+vol+`,`+other+`,"options":null,"extra_args":{}}`, 409), "quota/scope/already-exists", "")
	e.json("POST", "/quota-scope", `{`+vol+`,"qsid":"project:aaaaaaaa-2222-4333-8444-555555555555","options":{"limit_bytes":5},"extra_args":{"x":1}}`, 204)

	// 5. mount answers the root; the manager appends the subpath itself.
	if m := e.json("GET", "/folder/mount", `{`+va+`,"subpath":"."}`, 200); m["path"] != e.folderPath(folderA) {
		t.Errorf("mount %v", m)
	}
	if m := e.json("GET", "/folder/mount", `{`+va+`,"subpath":"a/b"}`, 200); m["path"] != e.folderPath(folderA) {
		t.Errorf("mount with subpath %v", m)
	}
	if m := e.json("GET", "/folder/mount", `{`+va+`,"subpath":"../.."}`, 400); m["msg"] != "Invalid vfolder subpath" {
		t.Errorf("mount ../.. %v", m)
	}
	if m := e.json("GET", "/folder/mount", `{`+vol+`,"vfid":"user:`+scope+`/ffffffffffffffffffffffffffffffff","subpath":"."}`, 400); m["msg"] != "VFolder not found" {
		t.Errorf("mount missing %v", m)
	}

	// 6. mkdir as mount.py sends it, then the file browser's forms.
	res := e.json("POST", "/folder/file/mkdir", `{`+va+`,"relpath":["`+folderB+`"],"exist_ok":true}`, 200)["results"].(map[string]any)
	if s := res["success"].([]any); len(s) != 1 || s[0].(map[string]any)["msg"] != nil || s[0].(map[string]any)["item"] != folderB {
		t.Errorf("mkdir results %v", res)
	}
	e.json("POST", "/folder/file/mkdir", `{`+va+`,"relpath":["`+folderB+`"],"exist_ok":true}`, 200)
	e.json("POST", "/folder/file/mkdir", `{`+va+`,"relpath":"`+folderB+`","exist_ok":false}`, 422)
	e.json("POST", "/folder/file/mkdir", `{`+va+`,"relpath":["d1/d2","../x"],"exist_ok":false,"parents":true}`, 207)
	e.json("POST", "/folder/file/mkdir", `{`+va+`,"relpath":["nope/d"],"exist_ok":false,"parents":false}`, 422)
	// New directories belong to the folder's owner (the sessions' uid).
	for _, p := range []string{"d1", "d1/d2", folderB} {
		fi, err := os.Stat(filepath.Join(e.folderPath(folderA), p))
		if st, ok := fi.Sys().(*syscall.Stat_t); err != nil || !ok || st.Uid != 1234 || st.Gid != 2345 {
			t.Errorf("%s: %v, owner %+v", p, err, fi.Sys())
		}
	}

	// 7. list.
	write(t, filepath.Join(e.folderPath(folderA), "README.md"), "# hello\n")
	if err := os.Symlink("README.md", filepath.Join(e.folderPath(folderA), "link")); err != nil {
		t.Fatal(err)
	}
	items := e.json("POST", "/folder/file/list", `{`+va+`,"relpath":"."}`, 200)["items"].([]any)
	iso := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$`)
	types := map[string]string{}
	for _, it := range items {
		it := it.(map[string]any)
		st := it["stat"].(map[string]any)
		types[it["name"].(string)] = it["type"].(string)
		if !iso.MatchString(st["modified"].(string)) || !iso.MatchString(st["created"].(string)) {
			t.Errorf("times of %v", it)
		}
		if it["name"] == "README.md" && (st["size"] != 8.0 || int(st["mode"].(float64))&0o170000 != 0o100000 || it["symlink_target"] != "") {
			t.Errorf("README.md %v", it)
		}
		if it["name"] == "link" && it["symlink_target"] != "README.md" {
			t.Errorf("link %v", it)
		}
	}
	if types["README.md"] != "FILE" || types["d1"] != "DIRECTORY" || types["link"] != "SYMLINK" || len(types) != 4 {
		t.Errorf("types %v", types)
	}
	// 15. fetch.
	if code, h, b := e.do("POST", "/folder/file/fetch", `{`+va+`,"relpath":"./README.md"}`); code != 200 || string(b) != "# hello\n" || h.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("fetch = %d %q %v", code, b, h)
	}
	problem(t, e.json("POST", "/folder/file/fetch", `{`+va+`,"relpath":"./model-definition.yml"}`, 404), "file-not-found", "")
	// 8-10. rename (with is_dir), move, delete.
	e.json("POST", "/folder/file/rename", `{`+va+`,"relpath":"d1","new_name":"r1","is_dir":true}`, 204)
	e.json("POST", "/folder/file/move", `{`+va+`,"src_relpath":"README.md","dst_relpath":"r1"}`, 204)
	if _, err := os.Stat(filepath.Join(e.folderPath(folderA), "r1", "README.md")); err != nil {
		t.Errorf("move into a directory: %v", err)
	}
	if m := e.json("POST", "/folder/file/delete", `{`+va+`,"relpaths":["r1","missing"],"recursive":false}`, 200); m["status"] != "ok" {
		t.Errorf("delete %v", m)
	}
	if _, err := os.Stat(filepath.Join(e.folderPath(folderA), "r1")); err != nil {
		t.Error("a directory was deleted without recursive")
	}
	e.json("POST", "/folder/file/delete", `{`+va+`,"relpaths":["r1"],"recursive":true}`, 200)
	if _, err := os.Stat(filepath.Join(e.folderPath(folderA), "r1")); !os.IsNotExist(err) {
		t.Error("recursive delete left the directory")
	}
	// A file system error is Backend.AI's {msg, errno, paths}.
	if m := e.json("POST", "/folder/file/list", `{`+va+`,"relpath":"nope"}`, 400); m["errno"] != 2.0 || m["msg"] != "No such file or directory" || m["paths"].([]any)[0] != "nope" {
		t.Errorf("fs error %v", m)
	}
	e.json("POST", "/folder/file/rename", `{`+va+`,"relpath":"nope","new_name":"x"}`, 400)

	// 16-18. usage.
	write(t, filepath.Join(e.folderPath(folderA), "sub", "f"), "12345")
	if m := e.json("GET", "/folder/usage", `{`+va+`}`, 200); m["file_count"] != 4.0 || m["used_bytes"].(float64) < 5 {
		t.Errorf("usage %v", m) // folderB dir, link, sub, sub/f
	}
	if m := e.json("GET", "/folder/used-bytes", `{`+va+`}`, 200); m["used_bytes"].(float64) <= 0 {
		t.Errorf("used-bytes %v", m)
	}
	if m := e.json("GET", "/folder/fs-usage", `{`+vol+`}`, 200); m["capacity_bytes"].(float64) <= 0 || m["used_bytes"] == nil {
		t.Errorf("fs-usage %v", m)
	}
	// 19, 20, 24, 25.
	if m := e.json("GET", "/volume/hwinfo", `{`+vol+`}`, 200); m["status"] != "healthy" || m["status_info"] != nil || m["metadata"] == nil {
		t.Errorf("hwinfo %v", m)
	}
	problem(t, e.json("GET", "/volume/performance-metric", `{`+vol+`}`, 400), "unsupported-operation", "")
	for _, method := range []string{"GET", "PATCH"} {
		if code, _, _ := e.do(method, "/volume/quota", `{`+va+`,"size_bytes":1}`); code != 400 {
			t.Errorf("%s /volume/quota = %d", method, code)
		}
	}
	// 12-14. tokens; the size is a string.
	if m := e.json("POST", "/folder/file/upload", `{`+va+`,"relpath":"up.bin","size":"5"}`, 200); m["token"] == "" {
		t.Errorf("upload %v", m)
	}
	if m := e.json("POST", "/folder/file/download", `{`+va+`,"relpath":"sub/f","archive":false,"unmanaged_path":null}`, 200); m["token"] == "" {
		t.Errorf("download %v", m)
	}
	if m := e.json("POST", "/folder/file/archive-download-token", `{`+vol+`,"virtual_folder_id":"`+vfidA+`","files":["sub","link"],"filename":"x.zip"}`, 200); m["token"] == "" {
		t.Errorf("archive token %v", m)
	}
	e.json("POST", "/folder/metadata", `{`+va+`,"payload":"x"}`, 200)
}

// TestBadInputs: every refused request changes nothing and says why.
func TestBadInputs(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.create(folderA)
	const va = `"volume":"local","vfid":"` + vfidA + `"`
	for _, tc := range []struct {
		method, path, body string
		status             int
		slug, code         string
	}{
		{"POST", "/folder/file/list", ``, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/list", `{"volume":"local"`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/list", `[]`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/list", `{"volume":"nope","vfid":"` + vfidA + `","relpath":"."}`, 400, "volume/invalid", "storage_access_invalid-parameters"},
		{"POST", "/folder/file/list", `{"volume":"local","vfid":"user:x/y","relpath":"."}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/list", `{"volume":"local","vfid":"user:` + scope + `/ffffffffffffffffffffffffffffffff","relpath":"."}`, 404, "vfolder/not-found", "vfolder_read_not-found"},
		{"POST", "/folder/file/list", `{` + va + `,"relpath":"/etc"}`, 400, "subpath/invalid", "vfolder_access_invalid-parameters"},
		{"POST", "/folder/file/list", `{` + va + `,"relpath":"../../.."}`, 400, "subpath/invalid", "vfolder_access_invalid-parameters"},
		{"POST", "/folder/file/list", `{` + va + `,"relpath":5}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/upload", `{` + va + `,"relpath":"x","size":"five"}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/upload", `{` + va + `,"relpath":"x","size":"-1"}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/upload", `{` + va + `,"relpath":"x","size":"2000000000000"}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/upload", `{` + va + `,"relpath":"x"}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/upload", `{` + va + `,"relpath":"../x","size":1}`, 400, "subpath/invalid", ""},
		{"POST", "/folder/file/download", `{` + va + `,"relpath":"x","archive":false,"unmanaged_path":"/etc"}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/archive-download-token", `{"volume":"local","virtual_folder_id":"` + vfidA + `","files":[]}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/file/archive-download-token", `{"volume":"local","virtual_folder_id":"` + vfidA + `","files":["/etc/passwd"]}`, 400, "subpath/invalid", ""},
		{"POST", "/folder/file/rename", `{` + va + `,"relpath":"x","new_name":"../y"}`, 400, "subpath/invalid", ""},
		{"POST", "/folder/file/delete", `{` + va + `,"relpaths":["."],"recursive":true}`, 400, "subpath/invalid", ""},
		{"POST", "/folder/create", `{"volume":"local","vfid":"` + folderB + `","options":{}}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/create", `{"volume":"local","vfid":"` + vfidB + `","options":{},"mode":512}`, 400, "invalid-api-params", ""},
		{"POST", "/folder/delete", `{"volume":"local","vfid":"user:` + scope + `/ffffffffffffffffffffffffffffffff"}`, 404, "vfolder/not-found", "vfolder_read_not-found"},
		{"POST", "/folder/clone", `{"src_volume":"local","src_vfid":"` + vfidA + `","dst_volume":"other","dst_vfid":"` + vfidB + `"}`, 500, "generic", ""},
		{"POST", "/folder/clone", `{"src_volume":"local","src_vfid":"` + vfidA + `","dst_volume":"local","dst_vfid":"` + vfidA + `"}`, 409, "vfolder/already-exists", ""},
		{"GET", "/quota-scope", `{"volume":"local","qsid":"group:x"}`, 400, "invalid-api-params", ""},
	} {
		t.Run(tc.path+" "+tc.body, func(t *testing.T) {
			m := e.json(tc.method, tc.path, tc.body, tc.status)
			problem(t, m, tc.slug, tc.code)
		})
	}
	if _, err := os.Stat(e.folderPath(folderB)); !os.IsNotExist(err) {
		t.Errorf("a refused request created %s", folderB)
	}
}
