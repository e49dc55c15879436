package main

import (
	"os"
	"strings"
	"testing"
)

// TestUIUnit runs the UI's JavaScript unit tests (web/test/unit.js) in
// headless Chromium, on the daemon's origin so the real modules load.
func TestUIUnit(t *testing.T) {
	d := shared(t)
	s, _, _ := uiSession(t, d, "ui-unit", nil)
	src, err := os.ReadFile("../../web/test/unit.js")
	if err != nil {
		t.Fatal(err)
	}
	b := newUIBrowser(t, d)
	b.openUI(s, "/")
	if failures := evalJS[[]string](b, string(src)); len(failures) > 0 {
		t.Fatalf("JS unit tests failed:\n%s", strings.Join(failures, "\n"))
	}
}
