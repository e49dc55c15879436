package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/isolation/batchio"
	"github.com/storage-agent/storage-agent/proxy"
	"github.com/storage-agent/storage-agent/proxy/bgtask"
	"github.com/storage-agent/storage-agent/proxy/clientapi"
	"github.com/storage-agent/storage-agent/proxy/events"
	"github.com/storage-agent/storage-agent/proxy/procs"
	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/proxy/storageapi"
	"github.com/storage-agent/storage-agent/proxy/xfertoken"
)

// storageProxy is the Backend.AI storage-proxy half of the daemon: the
// manager-facing storage routes, the client API, background tasks and the
// event bus.
type storageProxy struct {
	api    *storageapi.API
	client *clientapi.Server
	tasks  *bgtask.Runner
	bus    *events.Bus
}

// StorageSecretFile keeps the generated [storage-proxy] secret, which
// signs client-API tokens and is never the manager's secret.
func storageSecretFile(varBase string) string { return filepath.Join(varBase, "storage-proxy.secret") }

// newStorageProxy builds the storage proxy. closeMounting closes the
// sessions that mount a vfolder about to be deleted; scaler counts the
// client API's requests as transfers.
func newStorageProxy(ctx context.Context, cfg *config.Config, version string, log *slog.Logger, scaler *procs.Scaler,
	closeMounting func(volume string, vfid storage.VFID) int) (*storageProxy, error) {
	sp := cfg.StorageProxy
	secret := sp.Secret
	if secret == "" {
		var err error
		if secret, err = proxy.LoadOrCreateSecret(storageSecretFile(cfg.Agent.VarBasePath)); err != nil {
			return nil, fmt.Errorf("storage-proxy secret: %w", err)
		}
	}
	vols := make(map[string]*storage.Volume, len(cfg.Volume))
	for name, v := range cfg.Volume {
		vol, err := storage.NewVolume(name, v.Path)
		if err != nil {
			return nil, err
		}
		vols[name] = vol
	}
	r := cfg.Redis
	bus, err := events.New(ctx, events.Options{Addr: r.Addr, Password: r.Password, DB: r.DB, Format: r.EventFormat, Source: cfg.Agent.ID})
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if bus == nil {
		log.Warn("no [redis] addr: the manager will not hear when vfolder deletions and clones finish")
	} else if err := bus.Ping(ctx); err != nil {
		log.Warn("Redis does not answer yet; events are retried and sent once it does", "addr", r.Addr, "err", err)
	}
	tasks := bgtask.New(bus, log, scaler)
	signer := xfertoken.NewSigner([]byte(secret), time.Duration(sp.SessionExpire))
	p := &storageProxy{
		tasks: tasks,
		bus:   bus,
		api: storageapi.New(storageapi.Options{
			Volumes: vols, Signer: signer, Tasks: tasks, Events: bus,
			UID: cfg.Session.UID, GID: cfg.Session.GID, ScandirLimit: sp.ScandirLimit,
			AutoScope: sp.AllowAutoQuotaScopeCreation, MaxUploadSize: int64(sp.MaxUploadSize),
			BeforeDelete: func(_ context.Context, volume string, vfid storage.VFID) {
				if n := closeMounting(volume, vfid); n > 0 {
					log.Info("closed the sessions mounting a deleted vfolder", "vfid", vfid.String(), "sessions", n)
				}
			},
			Logger: log,
		}),
		client: clientapi.New(clientapi.Options{Volumes: vols, Signer: signer, MaxUploadSize: int64(sp.MaxUploadSize),
			Version: version, Logger: log, Procs: scaler}),
	}
	p.api.ResumePurges()
	go pruneUploads(ctx, vols, time.Duration(sp.SessionExpire), log)
	return p, nil
}

// pruneUploads removes, now and every hour until ctx ends, the staging
// files of uploads whose tokens have expired.
func pruneUploads(ctx context.Context, vols map[string]*storage.Volume, age time.Duration, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		for _, vol := range vols {
			if n, err := vol.PruneUploads(age, time.Now()); err != nil {
				log.Warn("cannot prune expired uploads", "volume", vol.Name, "err", err)
			} else if n > 0 {
				log.Info("pruned expired uploads", "volume", vol.Name, "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// serveClient serves the client API on ln until ctx ends: TLS with
// [api.client] ssl-cert/ssl-privkey, or fallback's (the generated
// certificate webfs uses), or plain HTTP with ssl-enabled = false.
func (p *storageProxy) serveClient(ctx context.Context, ln net.Listener, cfg config.ClientAPIConfig, fallback *tls.Config, log *slog.Logger) error {
	var tc *tls.Config // nil: plain HTTP
	if cfg.SSLEnabled {
		tc = fallback
		if cfg.SSLCert != "" {
			cert, err := tls.LoadX509KeyPair(cfg.SSLCert, cfg.SSLPrivKey)
			if err != nil {
				return fmt.Errorf("api.client.ssl-cert: %w", err)
			}
			tc = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
		}
	}
	if err := batchio.ServeHTTP(ctx, batchio.NewHTTPServer(p.client.Handler(), log), ln, tc); err != nil {
		return fmt.Errorf("client API: %w", err)
	}
	return nil
}

// close stops background tasks, waiting at most shutdownGrace (a purge
// cut short is finished by the next start), and disconnects from Redis.
func (p *storageProxy) close(ctx context.Context, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, shutdownGrace)
	defer cancel()
	if err := p.tasks.Close(ctx); err != nil {
		log.Warn("background tasks", "err", err)
	}
	p.bus.Close()
}
