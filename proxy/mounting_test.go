package proxy

import (
	"testing"

	"github.com/storage-agent/storage-agent/proxy/storage"
)

// TestCloseSessionsMounting: deleting a vfolder closes exactly the
// sessions that mount it, whichever uuid spelling the caller uses.
func TestCloseSessionsMounting(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	a := mustOpen(t, svc, openBody("alice"))
	other := openBody("bob")
	other["mounts"] = []map[string]any{{"volume": "local", "vfid": testVFID2, "name": "data"}}
	b := mustOpen(t, svc, other)

	if n := svc.CloseSessionsMounting("other-volume", mustVFID(t, testVFID)); n != 0 {
		t.Fatalf("closed %d sessions of another volume", n)
	}
	if n := svc.CloseSessionsMounting("local", storage.VFID{Folder: mustVFID(t, testVFID).Folder}); n != 0 {
		t.Fatalf("closed %d sessions for a vfid without a quota scope", n)
	}
	// The storage API's form: the folder uuid as 32 hex digits.
	if n := svc.CloseSessionsMounting("local", mustVFID(t, "user:"+scopeUUID+"/0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3")); n != 1 {
		t.Fatalf("closed %d sessions, want 1", n)
	}
	if _, ok := svc.Lookup(a.ID); ok {
		t.Error("the session mounting the folder is still open")
	}
	if _, ok := svc.Lookup(b.ID); !ok {
		t.Error("a session mounting another folder was closed")
	}
}

func mustVFID(t *testing.T, s string) storage.VFID {
	t.Helper()
	v, err := storage.ParseVFID(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
