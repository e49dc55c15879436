package proxy

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/config"
)

// waitClosed fails unless sess's Done closes within d.
func waitClosed(t *testing.T, sess *Session, d time.Duration) {
	t.Helper()
	select {
	case <-sess.Done():
	case <-time.After(d):
		t.Fatal("session did not close")
	}
	<-sess.finished
}

func openFake(t *testing.T, svc *Service, body map[string]any) *Session {
	t.Helper()
	info := mustOpen(t, svc, body)
	sess, ok := svc.Lookup(info.ID)
	if !ok {
		t.Fatal("opened session not found")
	}
	return sess
}

func TestIdleTimeout(t *testing.T) {
	cfg := testConfig(t)
	cfg.Session.IdleTimeout = config.Duration(100 * time.Millisecond)
	svc, _ := newFakeService(t, cfg)

	idle := openFake(t, svc, openBody("alice"))
	waitClosed(t, idle, 2*time.Second)

	busy := openFake(t, svc, openBody("bob"))
	release := busy.Hold()
	release2 := busy.Hold()
	time.Sleep(300 * time.Millisecond)
	release()
	release() // a second call must not undo the other hold
	time.Sleep(300 * time.Millisecond)
	select {
	case <-busy.Done():
		t.Fatal("held session closed as idle")
	default:
	}
	release2()
	waitClosed(t, busy, 2*time.Second)
	if used := svc.slots.slots().Used; used != 0 {
		t.Errorf("%d slots used after idle closes", used)
	}
	// Hold on a closed session is harmless.
	busy.Hold()()
}

func TestTTLExpiry(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	body := openBody("alice")
	body["ttl"] = "1s"
	sess := openFake(t, svc, body)
	release := sess.Hold() // holding does not extend the TTL
	defer release()
	waitClosed(t, sess, 3*time.Second)
}

func TestWorkerDeathClosesSession(t *testing.T) {
	svc, fs := newFakeService(t, testConfig(t))
	sess := openFake(t, svc, openBody("alice"))
	fs.worker(0).die()
	waitClosed(t, sess, 2*time.Second)
	if _, ok := svc.Lookup(sess.ID()); ok {
		t.Error("dead session still listed")
	}
	if used := svc.slots.slots().Used; used != 0 {
		t.Errorf("%d slots used after worker death", used)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	svc, fs := newFakeService(t, testConfig(t))
	sess := openFake(t, svc, openBody("alice"))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { sess.close("test") })
		wg.Go(func() { call(t, svc.Handler(), "DELETE", "/sessions/"+sess.ID(), nil, testSecret) })
	}
	wg.Go(func() { svc.Close(t.Context()) })
	wg.Wait()
	if n := fs.worker(0).stopCount(); n != 1 {
		t.Errorf("worker stopped %d times", n)
	}
	if used := svc.slots.slots().Used; used != 0 {
		t.Errorf("%d slots used", used)
	}
}

func TestExecPassesThrough(t *testing.T) {
	svc, _ := newFakeService(t, testConfig(t))
	sess := openFake(t, svc, openBody("alice"))
	var out bytes.Buffer
	code, err := sess.Exec(t.Context(), "true", strings.NewReader(""), &out, &out)
	if err != nil || code != 7 {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	sess.close("test")
	if _, err := sess.Exec(t.Context(), "true", nil, &out, &out); err == nil {
		t.Fatal("Exec works on a closed session")
	}
}
