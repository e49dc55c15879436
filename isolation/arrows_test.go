package isolation

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// module is the import path of this repository's module.
const module = "github.com/storage-agent/storage-agent"

// arrows are the house's rules: a package matching from must not depend,
// even indirectly, on a package matching any of mayNot. "x/..." matches x
// and everything below it; "x" matches x only; a path with a dot is
// outside the module.
var arrows = []struct {
	from   string
	mayNot []string
}{
	{"isolation/...", []string{"proxy/...", "sftpd/...", "webfs/...", "web/...", "cmd/...", "config/..."}},
	{"isolation/serve/...", []string{"isolation"}},
	{"isolation/serve/scp/...", []string{"isolation/serve", "isolation/serve/web/..."}},
	{"isolation/serve/execio/...", []string{"isolation/serve", "isolation/serve/scp/...", "isolation/serve/web/..."}},
	{"isolation/serve/web/...", []string{"isolation/serve", "isolation/serve/scp/...", "isolation/serve/execio/..."}},
	{"isolation/sessionfs/...", []string{"isolation", "isolation/serve/...", "isolation/webproto/...",
		"isolation/unixsock/...", "github.com/pkg/sftp", "golang.org/x/crypto/ssh", "net/http"}},
	{"isolation/webproto/...", []string{"isolation", "isolation/serve/...", "isolation/sessionfs/...", "isolation/unixsock/..."}},
	{"isolation/unixsock/...", []string{"isolation", "isolation/serve/...", "isolation/sessionfs/...", "isolation/webproto/..."}},
	{"isolation/batchio/...", []string{"isolation/..."}},
	{"isolation/sandboxtest/...", []string{"isolation/..."}},
	{"sftpd/...", []string{"webfs/...", "cmd/..."}},
	{"webfs/...", []string{"sftpd/...", "cmd/..."}},
	{"proxy/...", []string{"cmd/..."}},
}

// TestArrowsPointOneWay checks the import graph against arrows with the go
// tool, so a back-arrow fails here rather than in review:
// cmd -> {proxy, sftpd, webfs} -> isolation -> serve -> sessionfs.
func TestArrowsPointOneWay(t *testing.T) {
	deps := moduleDeps(t)
	for pkg, ds := range deps {
		for _, a := range arrows {
			if !matchPkg(a.from, pkg) {
				continue
			}
			for _, d := range ds {
				for _, no := range a.mayNot {
					if matchPkg(no, d) {
						t.Errorf("%s depends on %s: %s must not reach %s", pkg, d, a.from, no)
					}
				}
			}
		}
	}
	if len(deps) == 0 {
		t.Fatal("go list found no packages")
	}
}

// moduleDeps returns every package of the module (as a module-relative
// path) with its transitive dependencies (module-relative where inside).
func moduleDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags=osusergo,netgo,seccomp",
		"-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	deps := make(map[string][]string)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for i, f := range fields {
			fields[i] = strings.TrimPrefix(strings.TrimPrefix(f, module), "/")
		}
		deps[fields[0]] = fields[1:]
	}
	return deps
}

// matchPkg reports whether the module-relative path pkg matches pattern.
func matchPkg(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}
