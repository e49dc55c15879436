package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/proxy"
	"github.com/storage-agent/storage-agent/proxy/procs"
	"github.com/storage-agent/storage-agent/proxy/storage"
	"github.com/storage-agent/storage-agent/sftpd"
)

// shutdownGrace bounds how long a clean shutdown may take.
const shutdownGrace = 10 * time.Second

// serve runs the daemon until ctx is cancelled (SIGINT/SIGTERM) or a
// listener fails, then closes every session and removes every sandbox.
func serve(ctx context.Context, cfg *config.Config, inv invocation, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	// Everything that can refuse the start comes before anything is
	// written: the root check, the volumes, the state lock, the ports.
	if os.Geteuid() != 0 {
		return fmt.Errorf("cannot sandbox sessions on this host, refusing to start: must run as root to create namespaces and cgroups (running as uid %d)", os.Geteuid())
	}
	if err := checkPaths(cfg); err != nil {
		return err
	}
	varBase := cfg.Agent.VarBasePath
	lock, err := lockState(varBase)
	if err != nil {
		return err
	}
	defer lock.Close()
	// x/crypto/ssh allocates every received packet afresh, and the daemon's
	// live heap is small: at line rate the default GOGC=100 collects about a
	// hundred times a second. A higher target costs a few MiB.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	eff := *cfg // the effective config: generated secret, bound ports
	mgrLn, err := listen("api.manager.service-addr", eff.API.Manager.ServiceAddr)
	if err != nil {
		return err
	}
	defer mgrLn.Close()
	sshLn, err := listen("sftp.service-addr", eff.SFTP.ServiceAddr)
	if err != nil {
		return err
	}
	defer sshLn.Close()
	webLn, err := listen("webfs.service-addr", eff.WebFS.ServiceAddr)
	if err != nil {
		return err
	}
	defer webLn.Close()
	cliLn, err := listen("api.client.service-addr", eff.API.Client.ServiceAddr)
	if err != nil {
		return err
	}
	defer cliLn.Close()
	// Port 0 means "any free port" (tests); sessions must advertise the real one.
	eff.API.Manager.ServiceAddr.Port = mgrLn.Addr().(*net.TCPAddr).Port
	eff.SFTP.ServiceAddr.Port = sshLn.Addr().(*net.TCPAddr).Port
	eff.WebFS.ServiceAddr.Port = webLn.Addr().(*net.TCPAddr).Port
	eff.API.Client.ServiceAddr.Port = cliLn.Addr().(*net.TCPAddr).Port

	for name, v := range cfg.Volume {
		if !cfg.IsBuiltinVolume(name) {
			continue // CheckVolumes found it; a configured one is never made
		}
		if err := os.MkdirAll(v.Path, 0o755); err != nil {
			return fmt.Errorf("volume %s: %w", name, err)
		}
	}
	secretNote := "from the configuration"
	if eff.API.Manager.Secret == "" {
		secret, err := proxy.LoadOrCreateSecret(proxy.SecretFile(varBase))
		if err != nil {
			return fmt.Errorf("manager secret: %w", err)
		}
		eff.API.Manager.Secret = secret
		secretNote = "in " + proxy.SecretFile(varBase)
	}
	tokenKey, err := proxy.LoadOrCreateKey(proxy.TokenKeyFile(varBase))
	if err != nil {
		return fmt.Errorf("token key: %w", err)
	}

	sandbox, err := isolation.New(ctx, isolation.Options{StateDir: filepath.Join(varBase, "state"), Logger: log})
	if err != nil {
		return fmt.Errorf("cannot sandbox sessions on this host, refusing to start: %w", err)
	}
	defer sandbox.Close()

	// Deleting a vfolder closes the sessions that mount it (README).
	var svc *proxy.Service
	scaler := procs.New() // GOMAXPROCS follows the transfers in flight
	sp, err := newStorageProxy(ctx, &eff, version, log, scaler, func(volume string, vfid storage.VFID) int { return svc.CloseSessionsMounting(volume, vfid) })
	if err != nil {
		return err
	}
	defer sp.close(context.WithoutCancel(ctx), log)
	svc, err = proxy.New(ctx, proxy.Options{Config: &eff, Sandbox: sandbox, Logger: log, Version: version,
		TokenKey: tokenKey, Storage: sp.api, Walls: sandbox.Walls(), Procs: scaler})
	if err != nil {
		return err
	}
	ssh, err := sftpd.New(sftpd.Options{
		HostKeyDir: filepath.Join(varBase, "ssh"),
		Lookup: func(id string) (sftpd.Session, bool) {
			s, ok := svc.Lookup(id)
			if !ok {
				return nil, false // never a typed nil inside the interface
			}
			return s, true
		},
		Logger:                   log,
		Ciphers:                  strings.Split(eff.SFTP.Ciphers, ","),
		MaxConnectionsPerSession: eff.Session.MaxSSHConnections,
		MaxChannelsPerConnection: eff.Session.MaxChannelsPerConnection,
		MaxChannelsPerSession:    eff.Session.MaxSSHChannels,
	})
	if err != nil {
		return err
	}

	web, err := newWebFS(svc, &eff, log)
	if err != nil {
		return err
	}

	serveCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopReload := reloadOnHUP(web, log)
	defer stopReload()
	httpSrv := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 4)
	go func() { errc <- httpSrv.Serve(mgrLn) }()
	go func() { errc <- sp.serveClient(serveCtx, cliLn, eff.API.Client, web.TLSConfig(), log) }()
	go func() { errc <- ssh.Serve(serveCtx, sshLn) }()
	go func() { errc <- web.Serve(serveCtx, webLn) }()

	printBanner(stdout, &eff, secretNote, ssh.HostKeys(), clientHint(cfg, &eff, inv))
	log.Info("storage-agent started", "version", version, "agent", eff.Agent.ID, "state", varBase)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", context.Cause(ctx))
	case runErr = <-errc:
		log.Error("listener failed, shutting down", "err", runErr)
	}
	cancel()
	shutdownCtx, done := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer done()
	_ = httpSrv.Shutdown(shutdownCtx)
	if err := svc.Close(shutdownCtx); err != nil {
		log.Warn("closing sessions", "err", err)
	}
	if errors.Is(runErr, http.ErrServerClosed) || errors.Is(runErr, net.ErrClosed) {
		runErr = nil
	}
	return runErr
}

// listen binds addr; its errors name the key to change.
func listen(key string, addr config.HostPort) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr.String())
	if err == nil {
		return ln, nil
	}
	hint := "change " + key + ".port (or .host)"
	if api := backendAIStorageProxyAPI(addr.Port); api != "" && errors.Is(err, syscall.EADDRINUSE) {
		hint += fmt.Sprintf("; Backend.AI's storage-proxy serves its %s API on port %d: storage-agent replaces it, so stop the storage-proxy on this node, or pick another port and tell the manager",
			api, addr.Port)
	}
	return nil, fmt.Errorf("%s: cannot listen on %s: %w; %s", key, addr, err, hint)
}

// backendAIStorageProxyAPI names the API Backend.AI's own storage-proxy
// serves on port by default ("" for none): our defaults too, so the
// likeliest clashes on a node.
func backendAIStorageProxyAPI(port int) string {
	switch port {
	case 6022:
		return "manager"
	case 6021:
		return "client"
	}
	return ""
}
