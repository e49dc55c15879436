// Command storage-agent is the storage node daemon: the manager API, the
// session sandboxes and the SFTP/scp/rsync and web file servers. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/isolation"
)

// version is stamped at build time (make build); "dev" otherwise.
var version = "dev"

func main() {
	// A worker or libcontainer init is this same binary re-executed inside
	// a sandbox; it must take over before anything else runs.
	isolation.RunChildRole()
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: storage-agent [--config FILE] [--SECTION.KEY VALUE ...] COMMAND [ARGS]

Commands:
  serve         run the daemon (manager API, session sandboxes, SFTP, web); needs root
  config        print the effective configuration, secrets masked, and check volume paths
  session       open, list or close direct-access sessions, or get a fresh web login
                link, through this agent's manager API (storage-agent session --help)
  version       print the version
  help [config] this text, or every configuration key with its default and meaning

Configuration: built-in defaults, then --config FILE (storage-agent.toml), then
STORAGE_AGENT_<SECTION>__<KEY> environment variables, then --section.key flags.
Relative paths are taken from the config file's directory. Client commands
(session ...) need the same --config and flags as serve to reach it.
`

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// run is the whole program behind main, testable without a process.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	cfg, inv, rest, err := loadConfig(args, environ)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "storage-agent: %v\n(storage-agent --help lists commands and flags; storage-agent help config lists the keys)\n", err)
		return 2
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, cmdArgs := rest[0], rest[1:]
	if isHelp(cmdArgs) && cmd != "session" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch cmd {
	case "serve":
		if len(cmdArgs) > 0 {
			// serve also takes config flags after the command name.
			if cfg, inv, cmdArgs, err = loadConfig(append(args[:len(args)-len(rest)], cmdArgs...), environ); err != nil {
				fmt.Fprintln(stderr, "storage-agent:", err)
				return 2
			}
			if len(cmdArgs) > 0 {
				fmt.Fprintf(stderr, "storage-agent: serve takes no arguments, got %q\n", cmdArgs)
				return 2
			}
		}
		err = serve(ctx, cfg, inv, stdout, stderr)
	case "config":
		err = printConfig(cfg, stdout)
	case "session":
		err = runSession(ctx, cfg, cmdArgs, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "storage-agent", version)
	case "help", "-h", "--help":
		err = help(cmdArgs, stdout)
	default:
		fmt.Fprintf(stderr, "storage-agent: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "storage-agent:", err)
		return 1
	}
	return 0
}

// isHelp reports whether args ask for help and nothing else.
func isHelp(args []string) bool {
	return len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help")
}

// help prints the usage, or with "config" every configuration key.
func help(args []string, stdout io.Writer) error {
	switch {
	case len(args) == 0:
		_, err := fmt.Fprint(stdout, usage)
		return err
	case len(args) == 1 && args[0] == "config":
		return config.WriteHelp(stdout)
	case len(args) == 1 && args[0] == "session":
		_, err := fmt.Fprint(stdout, sessionUsage)
		return err
	}
	return fmt.Errorf("help: want no topic, config or session, not %q", args)
}

// printConfig prints the effective configuration, then fails if a volume
// path or the Filebrowser frontend is missing: serve would refuse it.
func printConfig(cfg *config.Config, stdout io.Writer) error {
	b, err := cfg.Masked().TOML()
	if err != nil {
		return err
	}
	if _, err := stdout.Write(b); err != nil {
		return err
	}
	return checkPaths(cfg)
}
