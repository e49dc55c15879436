package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/proxy"
	"github.com/storage-agent/storage-agent/webfs"
)

// newWebFS builds the HTTPS file API over the proxy's sessions.
func newWebFS(svc *proxy.Service, cfg *config.Config, log *slog.Logger) (*webfs.Server, error) {
	web, err := webfs.New(webfs.Options{
		Lookup: func(id string) (webfs.Session, bool) {
			s, ok := svc.Lookup(id)
			if !ok {
				return nil, false // never a typed nil inside the interface
			}
			return s, true
		},
		Redeem: func(token string) (webfs.Session, error) {
			s, err := svc.RedeemLoginToken(token)
			if err != nil {
				return nil, linkError(err)
			}
			return s, nil
		},
		CertFile: cfg.WebFS.SSLCert,
		KeyFile:  cfg.WebFS.SSLPrivKey,
		CertDir:  filepath.Join(cfg.Agent.VarBasePath, "webfs"),
		Hosts:    []string{cfg.Agent.PublicHost},
		Logger:   log,

		FilebrowserFrontend: cfg.WebFS.FilebrowserFrontend,

		MaxRequestsPerSession: cfg.Session.MaxWebRequests,
	})
	if errors.Is(err, webfs.ErrFrontend) {
		return nil, &config.KeyError{Key: "webfs.filebrowser-frontend", Err: err}
	}
	return web, err
}

// linkError tells webfs why the proxy refused a login link.
func linkError(err error) error {
	for _, m := range []struct{ from, to error }{
		{proxy.ErrTokenRedeemed, webfs.ErrLinkUsed},
		{proxy.ErrTokenExpired, webfs.ErrLinkExpired},
		{proxy.ErrSessionClosed, webfs.ErrLinkSessionClosed},
	} {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	return err
}

// reloadOnHUP reloads webfs's certificate from disk on each SIGHUP
// (connections stay up); the returned func stops listening for it.
func reloadOnHUP(web *webfs.Server, log *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				if err := web.Reload(); err != nil {
					log.Error("SIGHUP: certificate reload failed, keeping the old one", "err", err)
					continue
				}
				log.Info("SIGHUP: webfs certificate reloaded")
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(hup); close(done) }
}

// checkPaths reports what serve would refuse among the configured paths:
// a volume root or the Filebrowser frontend that is not there, each as a
// *config.KeyError. `config` runs it too.
func checkPaths(cfg *config.Config) error {
	return errors.Join(cfg.CheckVolumes(), checkFrontend(cfg.WebFS.FilebrowserFrontend))
}

// checkFrontend is webfs's check of webfs.filebrowser-frontend (empty:
// our own UI), named by its key.
func checkFrontend(dir string) error {
	if dir == "" {
		return nil
	}
	if err := webfs.CheckFrontend(dir); err != nil {
		return &config.KeyError{Key: "webfs.filebrowser-frontend", Err: err}
	}
	return nil
}
