// Command storage-agent-bench measures storage-agent side by side with the
// reference servers (OpenSSH's sshd + sftp-server on loopback) in one run,
// alternating rounds, and prints medians and ratios. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the benchmark's knobs.
type options struct {
	agent    string // path of the storage-agent binary
	rounds   int
	bigSize  int64
	sessions int // sessions opened at once
	latency  int // sequential opens for the latency median
	only     string
	workDir  string
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("storage-agent-bench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.agent, "agent", "bin/storage-agent", "storage-agent binary (static)")
	fs.IntVar(&o.rounds, "rounds", 3, "alternating rounds per transfer benchmark (>= 3)")
	fs.Int64Var(&o.bigSize, "size", 1<<30, "size of the big file in bytes")
	fs.IntVar(&o.sessions, "sessions", 200, "sessions to hold open at once")
	fs.IntVar(&o.latency, "opens", 30, "sequential session opens for the latency median")
	fs.StringVar(&o.only, "only", "", "run only benchmarks (or rows of \"scp and rsync\") whose name contains this")
	fs.StringVar(&o.workDir, "dir", "", "work directory (default: a temp dir under /var/tmp)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.rounds < 1 {
		return fmt.Errorf("--rounds must be >= 1")
	}
	env, err := setup(ctx, o)
	if err != nil {
		return err
	}
	defer env.close()
	report := &report{}
	for _, b := range benchmarks {
		env.row = ""
		if o.only != "" && !strings.Contains(b.name, o.only) {
			if !slices.ContainsFunc(b.rows, func(r string) bool { return strings.Contains(r, o.only) }) {
				continue
			}
			env.row = o.only
		}
		fmt.Fprintf(os.Stderr, "== %s\n", b.name)
		if err := b.run(ctx, env, report); err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
	}
	report.print(os.Stdout)
	return nil
}
