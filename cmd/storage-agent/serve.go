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
	"strconv"
	"strings"
	"time"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/proxy"
	"github.com/storage-agent/storage-agent/sftpd"
)

// shutdownGrace bounds how long a clean shutdown may take.
const shutdownGrace = 10 * time.Second

// serve runs the daemon until ctx is cancelled (SIGINT/SIGTERM) or a
// listener fails, then closes every session and removes every sandbox.
func serve(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	// x/crypto/ssh allocates every received packet afresh, and the daemon's
	// live heap is small: at line rate the default GOGC=100 collects about a
	// hundred times a second. A higher target costs a few MiB.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	varBase := cfg.Agent.VarBasePath
	if err := os.MkdirAll(varBase, 0o700); err != nil {
		return fmt.Errorf("var-base-path: %w", err)
	}
	for name, v := range cfg.Volume {
		if err := os.MkdirAll(v.Path, 0o755); err != nil {
			return fmt.Errorf("volume %s: %w", name, err)
		}
	}
	eff := *cfg // the effective config: generated secret, bound ports
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

	mgrLn, err := net.Listen("tcp", eff.API.Manager.ServiceAddr.String())
	if err != nil {
		return fmt.Errorf("manager API: %w", err)
	}
	defer mgrLn.Close()
	sshLn, err := net.Listen("tcp", eff.SFTP.ServiceAddr.String())
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	defer sshLn.Close()
	webLn, err := net.Listen("tcp", eff.WebFS.ServiceAddr.String())
	if err != nil {
		return fmt.Errorf("webfs: %w", err)
	}
	defer webLn.Close()
	// Port 0 means "any free port" (tests); sessions must advertise the real one.
	eff.API.Manager.ServiceAddr.Port = mgrLn.Addr().(*net.TCPAddr).Port
	eff.SFTP.ServiceAddr.Port = sshLn.Addr().(*net.TCPAddr).Port
	eff.WebFS.ServiceAddr.Port = webLn.Addr().(*net.TCPAddr).Port

	cliLn, err := net.Listen("tcp", eff.API.Client.ServiceAddr.String())
	if err != nil {
		return fmt.Errorf("client API: %w", err)
	}
	defer cliLn.Close()
	eff.API.Client.ServiceAddr.Port = cliLn.Addr().(*net.TCPAddr).Port
	// Deleting a vfolder closes the sessions that mount it (README).
	var svc *proxy.Service
	sp, err := newStorageProxy(ctx, &eff, version, log, func(volume, vfid string) int { return svc.CloseSessionsMounting(volume, vfid) })
	if err != nil {
		return err
	}
	defer sp.close(context.WithoutCancel(ctx), log)
	svc, err = proxy.New(ctx, proxy.Options{Config: &eff, Sandbox: sandbox, Logger: log, Version: version, TokenKey: tokenKey, Storage: sp.api})
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
		Logger:  log,
		Ciphers: strings.Split(eff.SFTP.Ciphers, ","),
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

	printBanner(stdout, &eff, secretNote, ssh.HostKeyFingerprints())
	log.Info("storage-agent started", "version", version, "agent", eff.Agent.ID)

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

// printBanner tells the operator where everything is and how to open a
// first session; tests read the "manager-api:", "sftp:" and "webfs:" lines.
func printBanner(w io.Writer, cfg *config.Config, secretNote string, fingerprints []string) {
	mgr := cfg.API.Manager.ServiceAddr
	if mgr.Host == "0.0.0.0" || mgr.Host == "::" || mgr.Host == "" {
		mgr.Host = "127.0.0.1"
	}
	self := os.Args[0]
	fmt.Fprintf(w, "storage-agent %s is serving\n", version)
	fmt.Fprintf(w, "manager-api: http://%s\n", mgr.String())
	fmt.Fprintf(w, "sftp: %s\n", cfg.SFTP.ServiceAddr.String())
	fmt.Fprintf(w, "webfs: https://%s\n", net.JoinHostPort(cfg.Agent.PublicHost, strconv.Itoa(cfg.WebFS.ServiceAddr.Port)))
	scheme := "https"
	if !cfg.API.Client.SSLEnabled {
		scheme = "http"
	}
	fmt.Fprintf(w, "client-api: %s://%s\n", scheme, net.JoinHostPort(cfg.Agent.PublicHost, strconv.Itoa(cfg.API.Client.ServiceAddr.Port)))
	fmt.Fprintf(w, "manager secret: %s\n", secretNote)
	fmt.Fprintf(w, "host keys: %s\n", strings.Join(fingerprints, " "))
	fmt.Fprintf(w, "\nOpen a session from another terminal:\n  %s session open --user alice --folder data\n", self)
	fmt.Fprintf(w, "then connect with the printed command, e.g. sftp -P %d <session id>@%s (password: the session token)\n",
		cfg.SFTP.ServiceAddr.Port, cfg.Agent.PublicHost)
}
