package proxy_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/storage-agent/storage-agent/proxy"
)

// A manager (or the CLI) opens a session and hands the user its
// connection details; a full agent answers ErrNoFreeSlot.
func ExampleClient_OpenSession() {
	c := &proxy.Client{BaseURL: "http://127.0.0.1:6022", Secret: "the manager secret"}
	info, err := c.OpenSession(context.Background(), proxy.OpenRequest{
		User: "alice",
		Mounts: []proxy.MountRequest{{
			Volume: "local",
			VFID:   "user:6f1b4a6e-2f55-4c1c-9a3e-2f0f1a2b3c4d/0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3",
			Name:   "data",
		}},
		TTL: "8h",
	})
	if errors.Is(err, proxy.ErrNoFreeSlot) {
		fmt.Println("agent full; try another")
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sftp -P %d %s@%s (password: %s)\n", info.SFTP.Port, info.SFTP.Username, info.SFTP.Host, info.Token)
}
