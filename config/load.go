package config

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	gotoml "github.com/pelletier/go-toml/v2"
)

// EnvPrefix starts every environment variable that Load reads.
const EnvPrefix = "STORAGE_AGENT_"

// Load builds the effective configuration from, in increasing precedence:
// the defaults, the TOML file at path (none when path is ""), the
// STORAGE_AGENT_* entries of environ (in os.Environ form), and overrides
// (dotted key -> value, from command-line flags). It then applies the
// default volume if no source configured one, runs Validate, and makes
// var-base-path and every file path absolute, so nothing later depends on
// the working directory. Relative paths are taken relative to the directory
// of the file at path (the working directory when there is none): a client
// command given the daemon's --config reaches the daemon's state from
// anywhere.
//
// Every problem found is returned at once, joined; each is a *KeyError that
// names the full dotted key.
func Load(path string, environ []string, overrides map[string]string) (*Config, error) {
	layers, err := readLayers(path, environ, overrides)
	if err != nil {
		return nil, err
	}
	ko := koanf.New(".")
	for _, l := range layers {
		// Values are nested maps already; an empty delimiter keeps koanf
		// from splitting dotted volume names.
		if err := ko.Load(confmap.Provider(l.values, ""), nil); err != nil {
			return nil, fmt.Errorf("config: merge: %w", err)
		}
	}
	cfg := new(Config)
	err = ko.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{
		DecoderConfig: &mapstructure.DecoderConfig{
			// The layers hold typed, checked values, so this cannot fail
			// on user input; the strictness guards against a layer that
			// was not checked.
			ErrorUnused: true,
			DecodeHook:  mapstructure.TextUnmarshallerHookFunc(),
			TagName:     "koanf",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("config: decode: %w", err)
	}
	cfg.applyVolumeDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.makeAbs(baseDir(path)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// readLayers reads and checks every source. It reports the problems of all
// sources together so one run shows the operator everything to fix.
func readLayers(path string, environ []string, overrides map[string]string) ([]*layer, error) {
	defaults := Default()
	// The default volume must not be a layer: a configured volume replaces
	// it rather than joining it. applyVolumeDefaults adds it back.
	defaults.Volume = nil
	def := newLayer()
	def.setTree(encode(reflect.ValueOf(*defaults)).(map[string]any), "defaults")

	fileLayer := newLayer()
	if path != "" {
		raw, err := readTOML(path)
		if err != nil {
			return nil, err
		}
		fileLayer.setTree(raw, "file "+path)
	}

	env := newLayer()
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		env.setFlat(envKeyParts(name), value, "env "+name)
	}

	flags := newLayer()
	for _, key := range slices.Sorted(maps.Keys(overrides)) {
		flags.setFlat(strings.Split(key, "."), overrides[key], "override")
	}

	layers := []*layer{def, fileLayer, env, flags}
	var errs []error
	for _, l := range layers {
		errs = append(errs, l.errs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return layers, nil
}

// readTOML reads and parses the file at path. A missing file is an error:
// the operator named it, so silently running on defaults would hide a typo.
func readTOML(path string) (map[string]any, error) {
	b, err := file.Provider(path).ReadBytes()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	raw, err := toml.Parser().Unmarshal(b)
	if err != nil {
		if de, ok := errors.AsType[*gotoml.DecodeError](err); ok {
			row, col := de.Position()
			return nil, fmt.Errorf("config: %s:%d:%d: %w", path, row, col, err)
		}
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if raw == nil {
		raw = map[string]any{} // an empty file
	}
	return raw, nil
}

// envKeyParts maps an environment variable name to key parts:
// STORAGE_AGENT_SFTP__SERVICE_ADDR__PORT -> [sftp service-addr port].
// Keys are lowercase kebab-case, and "-" cannot appear in a shell variable
// name, hence "__" between levels and "_" for "-".
func envKeyParts(name string) []string {
	parts := strings.Split(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)), "__")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "_", "-")
	}
	return parts
}

// applyVolumeDefaults adds the default volume when no source configured any
// and gives every volume without a backend the only one there is.
func (c *Config) applyVolumeDefaults() {
	if len(c.Volume) == 0 {
		c.Volume = map[string]VolumeConfig{defaultVolumeName: defaultVolume(c.Agent.VarBasePath)}
	}
	for name, v := range c.Volume {
		if v.Backend == "" {
			v.Backend = defaultBackend
			c.Volume[name] = v
		}
	}
}

// baseDir is the directory relative paths are resolved against: the config
// file's, or "" (the working directory) when there is no file.
func baseDir(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Dir(path)
}

// makeAbs resolves every path of c against base (the working directory
// when "") now, so a later chdir (or a worker's different cwd) cannot
// change their meaning.
func (c *Config) makeAbs(base string) error {
	abs := func(key string, p *string) error {
		if *p == "" {
			return nil // "not set"; Validate decided whether that is allowed
		}
		a := *p
		if !filepath.IsAbs(a) {
			a = filepath.Join(base, a)
		}
		a, err := filepath.Abs(a)
		if err != nil {
			return &KeyError{Key: key, Err: fmt.Errorf("resolve %q: %w", *p, err)}
		}
		*p = a
		return nil
	}
	errs := []error{
		abs("agent.var-base-path", &c.Agent.VarBasePath),
		abs("webfs.ssl-cert", &c.WebFS.SSLCert),
		abs("webfs.ssl-privkey", &c.WebFS.SSLPrivKey),
		abs("webfs.filebrowser-frontend", &c.WebFS.FilebrowserFrontend),
	}
	for name, v := range c.Volume {
		errs = append(errs, abs(volumeKey(name, "path"), &v.Path))
		c.Volume[name] = v
	}
	return errors.Join(errs...)
}
