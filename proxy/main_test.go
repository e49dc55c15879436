package proxy

import (
	"os"
	"testing"

	"github.com/storage-agent/storage-agent/isolation"
)

// TestMain lets the test binary serve as libcontainer's init and as the
// session worker, as the daemon binary does, so tests can use the real
// sandbox. Run them static and as root, as `make test` does:
//
//	CGO_ENABLED=1 go test -tags osusergo,netgo -ldflags=-extldflags=-static ./proxy/
func TestMain(m *testing.M) {
	isolation.RunChildRole()
	os.Exit(m.Run())
}
