package config

import (
	"strings"
	"testing"
)

func TestHelpDescribesEveryKey(t *testing.T) {
	t.Parallel()
	for _, key := range Keys() {
		if keyHelp[genericKey(key)] == "" {
			t.Errorf("key %s has no description in keyHelp", key)
		}
	}
	var b strings.Builder
	if err := WriteHelp(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"session.max-sessions = 64\n", `volume.<name>.path = "./var/volumes/local"`, "agent.var-base-path = \"./var\"\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, b.String())
		}
	}
}
