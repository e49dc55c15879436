// Command storage-agent is the storage node daemon: the manager API, the
// session sandboxes and the SFTP/scp/rsync and web file servers. See README.md.
package main

import (
	"context"
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

const usage = `usage: storage-agent [--config FILE] [--KEY VALUE ...] COMMAND [ARGS]

Commands:
  serve     run the daemon (manager API, session sandboxes, SFTP, web)
  config    print the effective configuration, secrets masked
  session   open, list or close direct-access sessions through the manager API:
              session open --user NAME (--folder NAME | --mount VOLUME:VFID:NAME[:ro]) [--key FILE]
              session list
              session close ID
  version   print the version

Configuration: built-in defaults, then --config FILE (storage-agent.toml), then
STORAGE_AGENT_<SECTION>__<KEY> environment variables, then --section.key flags.
`

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// run is the whole program behind main, testable without a process.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	cfg, rest, err := loadConfig(args, environ, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "storage-agent:", err)
		return 2
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, cmdArgs := rest[0], rest[1:]
	switch cmd {
	case "serve":
		if len(cmdArgs) > 0 {
			// serve also takes config flags after the command name.
			if cfg, cmdArgs, err = loadConfig(append(args[:len(args)-len(rest)], cmdArgs...), environ, stderr); err != nil {
				fmt.Fprintln(stderr, "storage-agent:", err)
				return 2
			}
			if len(cmdArgs) > 0 {
				fmt.Fprintf(stderr, "storage-agent: serve takes no arguments, got %q\n", cmdArgs)
				return 2
			}
		}
		err = serve(ctx, cfg, stdout, stderr)
	case "config":
		err = printConfig(cfg, stdout)
	case "session":
		err = runSession(ctx, cfg, cmdArgs, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "storage-agent", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
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

func printConfig(cfg *config.Config, stdout io.Writer) error {
	b, err := cfg.Masked().TOML()
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}
