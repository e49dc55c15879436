package isolation

import (
	"strings"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/serve"
	"golang.org/x/sys/unix"
)

// TestRsyncMounts maps the host's rsync (make test installs it) to the
// binary, its loader and every library it needs, all read-only.
func TestRsyncMounts(t *testing.T) {
	start := time.Now()
	mounts, err := rsyncMounts()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d mounts in %s", len(mounts), time.Since(start))
	dests := map[string]bool{}
	for _, m := range mounts {
		dests[m.Destination] = true
		if !strings.HasPrefix(m.Destination, serve.RsyncDir+"/") || m.Flags&unix.MS_RDONLY == 0 {
			t.Errorf("mount %s -> %s: outside %s or writable", m.Source, m.Destination, serve.RsyncDir)
		}
	}
	for _, want := range []string{serve.RsyncBinary, serve.RsyncLoader, serve.RsyncLibDir + "/libc.so.6", serve.RsyncLibDir + "/libpopt.so.0"} {
		if !dests[want] {
			t.Errorf("no mount at %s (have %v)", want, dests)
		}
	}
}
