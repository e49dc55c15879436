package config_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/storage-agent/storage-agent/config"
)

// Load merges defaults, the file, the environment and flag overrides, in
// that order of precedence, and validates the result.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "storage-agent-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "storage-agent.toml")
	err = os.WriteFile(path, []byte(`
[agent]
id = "storage-7"

[session]
max-sessions = 16
memory = "2g"

[volume.fast]
path = "/data/fast"
`), 0o600)
	if err != nil {
		log.Fatal(err)
	}

	cfg, err := config.Load(path,
		[]string{"STORAGE_AGENT_SESSION__MAX_SESSIONS=32"},  // usually os.Environ()
		map[string]string{"sftp.service-addr.port": "2222"}, // from --sftp.service-addr.port
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Agent.ID, cfg.Session.MaxSessions, cfg.Session.Memory, cfg.SFTP.ServiceAddr)
	fmt.Println(cfg.Volume)

	_, err = config.Load("", []string{"STORAGE_AGENT_SESSION__MAX_SESSION=8"}, nil)
	fmt.Println(err)
	// Output:
	// storage-7 32 2g 0.0.0.0:2222
	// map[fast:{vfs /data/fast}]
	// config: unknown key "session.max-session" (env STORAGE_AGENT_SESSION__MAX_SESSION)
}
