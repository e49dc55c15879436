package sftpd_test

import (
	"context"
	"log"
	"log/slog"
	"net"
	"os/signal"
	"syscall"

	"github.com/storage-agent/storage-agent/sftpd"
)

// lookup stands in for the proxy's session registry.
func lookup(id string) (sftpd.Session, bool) { return nil, false }

func Example() {
	srv, err := sftpd.New(sftpd.Options{
		HostKeyDir: "/var/lib/storage-agent/ssh",
		Lookup:     lookup,
		Logger:     slog.Default(),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, fp := range srv.HostKeyFingerprints() {
		log.Printf("ssh host key %s", fp)
	}
	ln, err := net.Listen("tcp", ":2022")
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		log.Fatal(err)
	}
}
