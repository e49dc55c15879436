package webfs

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDeadLinkPage: each reason a login link fails gets its own page, with
// status 403 for scripts, and one log line saying why.
func TestDeadLinkPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		err   error
		title string
	}{
		{"used", fmt.Errorf("%w: proxy said so", ErrLinkUsed), "already used"},
		{"expired", fmt.Errorf("%w: proxy said so", ErrLinkExpired), "has expired"},
		{"closed", fmt.Errorf("%w: proxy said so", ErrLinkSessionClosed), "session is closed"},
		{"anything else", errors.New("bad signature"), "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s, err := New(Options{
				Lookup:  func(string) (Session, bool) { return nil, false },
				Redeem:  func(string) (Session, error) { return nil, tt.err },
				CertDir: t.TempDir(),
				Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/login?token=x", nil))
			body := rec.Body.String()
			if rec.Code != http.StatusForbidden || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
				!strings.Contains(body, tt.title) {
				t.Fatalf("%d %q\n%s", rec.Code, rec.Header().Get("Content-Type"), body)
			}
			if !strings.Contains(logs.String(), "web login link refused") || !strings.Contains(logs.String(), tt.err.Error()) {
				t.Fatalf("log %q does not say why", logs.String())
			}
		})
	}
}
