package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/storage-agent/storage-agent/config"
)

// loadConfig parses the config flags that lead args (--config FILE and one
// --section.key VALUE flag per config key), loads the configuration and
// returns it with the arguments after the flags.
func loadConfig(args, environ []string, stderr io.Writer) (*config.Config, []string, error) {
	fs := flag.NewFlagSet("storage-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "storage-agent.toml to read")
	keys := config.Keys()
	values := make(map[string]*string, len(keys))
	for _, k := range keys {
		values[k] = fs.String(k, "", "config key "+k)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	overrides := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if v, ok := values[f.Name]; ok {
			overrides[f.Name] = *v
		}
	})
	cfg, err := config.Load(*path, environ, overrides)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, fs.Args(), nil
}
