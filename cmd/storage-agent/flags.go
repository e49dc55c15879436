package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/storage-agent/storage-agent/config"
)

// invocation is how the command line set the configuration: what a client
// command needs repeated to reach the same daemon.
type invocation struct {
	configPath string      // --config as given; "" for none
	flags      [][2]string // --section.key VALUE pairs in the order given
	env        bool        // STORAGE_AGENT_* variables were set
}

// loadConfig parses the config flags that lead args (--config FILE and one
// --section.key VALUE flag per config key), loads the configuration and
// returns it with how it was set and the arguments after the flags. -h and
// --help come back as flag.ErrHelp.
func loadConfig(args, environ []string) (*config.Config, invocation, []string, error) {
	var inv invocation
	fs := flag.NewFlagSet("storage-agent", flag.ContinueOnError)
	// The caller prints errors and usage; flag's own dump of every key
	// is no help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&inv.configPath, "config", "", "storage-agent.toml to read")
	overrides := map[string]string{}
	for _, k := range config.Keys() {
		fs.Func(k, "config key "+k, func(v string) error {
			overrides[k] = v
			inv.flags = append(inv.flags, [2]string{k, v})
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return nil, inv, nil, err
	}
	for _, kv := range environ {
		inv.env = inv.env || strings.HasPrefix(kv, config.EnvPrefix)
	}
	cfg, err := config.Load(inv.configPath, environ, overrides)
	if err != nil {
		return nil, inv, nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, inv, fs.Args(), nil
}
