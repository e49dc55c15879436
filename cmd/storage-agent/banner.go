package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/storage-agent/storage-agent/config"
)

// printBanner tells the operator where everything is and how to open a
// first session. Each listener gets one line in one style: "name: URL
// clients use, then where it is bound"; tests read the manager-api, sftp,
// webfs and client-api lines.
func printBanner(w io.Writer, cfg *config.Config, secretNote string, hostKeys []ssh.PublicKey, hint string) {
	public := func(scheme string, port int) string {
		return scheme + "://" + net.JoinHostPort(cfg.Agent.PublicHost, strconv.Itoa(port))
	}
	mgr := cfg.API.Manager.ServiceAddr
	fmt.Fprintf(w, "storage-agent %s is serving\n", version)
	fmt.Fprintf(w, "state:        %s\n", cfg.Agent.VarBasePath)
	fmt.Fprintf(w, "manager-api:  http://%s  bound to %s (plain HTTP: keep it on a private network)\n", reachable(mgr).String(), mgr.String())
	fmt.Fprintf(w, "sftp:         %s  bound to %s\n", public("sftp", cfg.SFTP.ServiceAddr.Port), cfg.SFTP.ServiceAddr.String())
	fmt.Fprintf(w, "webfs:        %s  bound to %s\n", public("https", cfg.WebFS.ServiceAddr.Port), cfg.WebFS.ServiceAddr.String())
	clientScheme := "https"
	if !cfg.API.Client.SSLEnabled {
		clientScheme = "http"
	}
	fmt.Fprintf(w, "client-api:   %s  bound to %s\n", public(clientScheme, cfg.API.Client.ServiceAddr.Port), cfg.API.Client.ServiceAddr.String())
	fmt.Fprintf(w, "secret:       %s\n", secretNote)
	for i, k := range hostKeys {
		label := "host keys:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "%-13s %s %s\n", label, k.Type(), ssh.FingerprintSHA256(k))
	}
	fmt.Fprintf(w, "\nOpen a session from another terminal:\n  %s\n", hint)
	fmt.Fprintf(w, "then connect with the command it prints, e.g. sftp -P %d <session id>@%s (password: the session token)\n",
		cfg.SFTP.ServiceAddr.Port, cfg.Agent.PublicHost)
}

// reachable is addr as a client on this host dials it: a wildcard host
// becomes loopback.
func reachable(addr config.HostPort) config.HostPort {
	switch addr.Host {
	case "", "0.0.0.0":
		addr.Host = "127.0.0.1"
	case "::":
		addr.Host = "::1"
	}
	return addr
}

// clientHint is a `session open` command line that reaches this daemon from
// any directory: serve's --config and flags again, with the paths made
// absolute, the manager port the one actually bound, and no secret in
// clear. cfg is the configuration as loaded, eff the running one.
func clientHint(cfg, eff *config.Config, inv invocation) string {
	const (
		portKey   = "api.manager.service-addr.port"
		varKey    = "agent.var-base-path"
		secretKey = "api.manager.secret"
	)
	words := []string{self()}
	if inv.configPath != "" {
		abs, err := filepath.Abs(inv.configPath)
		if err != nil {
			abs = inv.configPath
		}
		words = append(words, "--config", abs)
	}
	port := strconv.Itoa(eff.API.Manager.ServiceAddr.Port)
	seen := map[string]bool{}
	for _, kv := range inv.flags {
		k, v := kv[0], kv[1]
		switch k {
		case portKey:
			v = port
		case varKey:
			v = eff.Agent.VarBasePath
		case secretKey:
			v = "<secret>"
		}
		seen[k] = true
		words = append(words, "--"+k, shellQuote(v))
	}
	// "./var" without a file is relative to serve's working directory, and
	// port 0 (any free port) would not reach the one bound.
	if !seen[varKey] && inv.configPath == "" {
		words = append(words, "--"+varKey, shellQuote(eff.Agent.VarBasePath))
	}
	if !seen[portKey] && cfg.API.Manager.ServiceAddr.Port == 0 {
		words = append(words, "--"+portKey, port)
	}
	words = append(words, "session", "open", "--user", "alice", "--folder", "data")
	hint := strings.Join(words, " ")
	if inv.env {
		hint += "\n  (with serve's STORAGE_AGENT_* environment)"
	}
	return hint
}

// self is how to run this binary again: its absolute path, or its bare
// name when it was found on $PATH.
func self() string {
	if !strings.Contains(os.Args[0], "/") {
		return os.Args[0]
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return os.Args[0]
}

// safeWord matches what a shell takes literally.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9_./:@,+=-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if safeWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
