package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/proxy"
)

const sessionUsage = `usage:
  storage-agent session open --user NAME (--folder NAME [--volume VOLUME] | --mount VOLUME:VFID:NAME[:ro] ...)
                             [--key FILE ...] [--ttl DURATION] [--json]
  storage-agent session list [--json]
  storage-agent session close ID
  storage-agent session web-login ID     a fresh web login link (single use, 2 minutes)

Give the same --config and flags as serve (before "session"), so the command
reaches that daemon and reads its secret.
`

// runSession implements "storage-agent session open|list|close": a client
// of this agent's own manager API, for operators and quick starts.
func runSession(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, sessionUsage)
		return errors.New("session: want open, list, close or web-login")
	}
	if isHelp(args) || args[0] == "help" {
		_, err := fmt.Fprint(stdout, sessionUsage)
		return err
	}
	switch args[0] {
	case "open":
		return sessionOpen(ctx, cfg, args[1:], stdout, stderr)
	case "list":
		return sessionList(ctx, cfg, args[1:], stdout, stderr)
	case "close":
		return sessionClose(ctx, cfg, args[1:], stdout, stderr)
	case "web-login":
		return sessionWebLogin(ctx, cfg, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, sessionUsage)
	return fmt.Errorf("session: unknown command %q", args[0])
}

// newFlagSet makes a subcommand's flag set; parse errors print the usage
// to stderr, -h and --help print it to stdout.
func newFlagSet(name string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("session "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), sessionUsage); fs.PrintDefaults() }
	return fs
}

// parseFlags parses args; -h is not an error: the usage goes to stdout.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (stop bool, err error) {
	stderr := fs.Output()
	fs.SetOutput(io.Discard) // Parse would print the usage on -h itself
	err = fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(stderr)
		return true, nil
	case err != nil:
		fs.Usage()
		return true, err
	}
	return false, nil
}

func sessionOpen(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("open", stdout, stderr)
	var req proxy.OpenRequest
	fs.StringVar(&req.User, "user", "", "user the session is for")
	folder := fs.String("folder", "", "quick start: mount (and create) the user's vfolder `NAME`")
	volume := fs.String("volume", "", "volume of --folder (default: the first)")
	fs.StringVar(&req.TTL, "ttl", "", "session lifetime, e.g. 8h (default: session.max-ttl)")
	asJSON := fs.Bool("json", false, "print the raw JSON answer")
	fs.Func("mount", "`VOLUME:VFID:NAME[:ro]` to mount (repeatable)", func(v string) error {
		m, err := parseMountFlag(v)
		req.Mounts = append(req.Mounts, m)
		return err
	})
	fs.Func("key", "authorized_keys `FILE` whose keys may log in (repeatable)", func(file string) error {
		keys, err := readKeyFile(file)
		req.SSHPublicKeys = append(req.SSHPublicKeys, keys...)
		return err
	})
	if stop, err := parseFlags(fs, args, stdout); stop {
		return err
	}
	if req.User == "" || (*folder == "" && len(req.Mounts) == 0) || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("session open: want --user, and --folder or --mount, and no arguments")
	}
	c, err := managerClient(cfg)
	if err != nil {
		return err
	}
	if *folder != "" {
		mr, err := ensureQuickFolder(ctx, c, req.User, *folder, *volume)
		if err != nil {
			return err
		}
		req.Mounts = append(req.Mounts, mr)
	}
	if *asJSON {
		return printRaw(ctx, c, http.MethodPost, "/sessions", req, stdout)
	}
	info, err := c.OpenSession(ctx, req)
	if err != nil {
		return err
	}
	sshHost := info.SFTP.Host
	if strings.Contains(sshHost, ":") {
		sshHost = "[" + sshHost + "]"
	}
	_, err = fmt.Fprintf(stdout, "session  %s\nuser     %s\nexpires  %s\ntoken    %s\n\n"+
		"SFTP, scp, rsync (password: the token above):\n  sftp -P %d %s@%s\n\n"+
		"Web (the link works once, for 2 minutes; session web-login %s makes a new one):\n  %s\n",
		info.ID, info.User, info.ExpiresAt.Local().Format(time.RFC3339), info.Token,
		info.SFTP.Port, info.ID, sshHost, info.ID, info.Web.URL)
	return err
}

// parseMountFlag reads VOLUME:VFID:NAME[:ro|:rw]; the vfid holds one colon
// itself ("user:<uuid>/<uuid>").
func parseMountFlag(s string) (proxy.MountRequest, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 4 {
		return proxy.MountRequest{}, fmt.Errorf("want VOLUME:VFID:NAME[:ro], not %q", s)
	}
	m := proxy.MountRequest{Volume: parts[0], VFID: parts[1] + ":" + parts[2]}
	rest := parts[3:]
	if n := len(rest); n > 1 && (rest[n-1] == "ro" || rest[n-1] == "rw") {
		m.Mode, rest = rest[n-1], rest[:n-1]
	}
	m.Name = strings.Join(rest, ":")
	return m, nil
}

// readKeyFile returns the keys of an authorized_keys-format file, one
// entry each, without comments; options are refused, as the agent does.
func readKeyFile(file string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var keys []string
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, i+1, err)
		}
		if len(options) > 0 {
			return nil, fmt.Errorf("%s:%d: key options are not supported", file, i+1)
		}
		keys = append(keys, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))))
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no keys in the file", file)
	}
	return keys, nil
}

// ensureQuickFolder creates (if missing) the vfolder the quick start uses
// for user and name, and returns its mount. Its vfid is derived from the
// names, so the same --user and --folder always reach the same folder.
func ensureQuickFolder(ctx context.Context, c *proxy.Client, user, name, volume string) (proxy.MountRequest, error) {
	if err := proxy.CheckMountName(name); err != nil {
		return proxy.MountRequest{}, fmt.Errorf("--folder: %w", err)
	}
	if volume == "" {
		vols, err := c.Volumes(ctx)
		if err != nil {
			return proxy.MountRequest{}, err
		}
		if len(vols) == 0 {
			return proxy.MountRequest{}, errors.New("--folder: the agent has no volume")
		}
		volume = vols[0].Name // the API lists them sorted by name
	}
	vfid := "user:" + derivedUUID("user:"+user) + "/" + derivedUUID("folder:"+user+"/"+name)
	if err := c.CreateFolder(ctx, proxy.CreateFolderRequest{Volume: volume, VFID: vfid}); err != nil {
		return proxy.MountRequest{}, err
	}
	return proxy.MountRequest{Volume: volume, VFID: vfid, Name: name, Mode: "rw"}, nil
}

// derivedUUID is a version 5 (SHA-1, name-based) uuid of "storage-agent:"+name
// in RFC 9562's URL namespace, as 32 hex digits.
func derivedUUID(name string) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte("storage-agent:" + name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return hex.EncodeToString(u)
}

func sessionList(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("list", stdout, stderr)
	asJSON := fs.Bool("json", false, "print the raw JSON answer")
	if stop, err := parseFlags(fs, args, stdout); stop {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("session list: unexpected arguments %q", fs.Args())
	}
	c, err := managerClient(cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		return printRaw(ctx, c, http.MethodGet, "/sessions", nil, stdout)
	}
	all, err := c.ListSessions(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tMOUNTS\tCREATED\tEXPIRES")
	for _, s := range all {
		names := make([]string, len(s.Mounts))
		for i, m := range s.Mounts {
			names[i] = m.Name
			if m.Mode == "ro" {
				names[i] += "(ro)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.User, strings.Join(names, ","),
			s.CreatedAt.Local().Format(time.DateTime), s.ExpiresAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func sessionClose(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	return withSessionID("close", cfg, args, stdout, stderr, func(c *proxy.Client, id string) error {
		if err := c.CloseSession(ctx, id); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, "closed", id)
		return err
	})
}

func sessionWebLogin(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	return withSessionID("web-login", cfg, args, stdout, stderr, func(c *proxy.Client, id string) error {
		l, err := c.WebLogin(ctx, id)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n(works once, until %s)\n", l.URL, l.ExpiresAt.Local().Format(time.TimeOnly))
		return err
	})
}

// withSessionID parses the arguments of a subcommand that takes one
// session ID and nothing else, then calls do with a manager client.
func withSessionID(name string, cfg *config.Config, args []string, stdout, stderr io.Writer, do func(c *proxy.Client, id string) error) error {
	fs := newFlagSet(name, stdout, stderr)
	if stop, err := parseFlags(fs, args, stdout); stop {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("session %s: want one session ID", name)
	}
	c, err := managerClient(cfg)
	if err != nil {
		return err
	}
	return do(c, fs.Arg(0))
}

// printRaw sends one request and prints the answer body as it came.
func printRaw(ctx context.Context, c *proxy.Client, method, path string, in any, stdout io.Writer) error {
	var raw json.RawMessage
	if err := c.Do(ctx, method, path, in, &raw); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "%s\n", raw)
	return err
}

// errNoSecret means a client command found no manager secret to send.
var errNoSecret = errors.New("no manager secret")

// managerClient reaches this agent's manager API as configured: the secret
// from the config or, when empty there, from the file the daemon keeps it in.
func managerClient(cfg *config.Config) (*proxy.Client, error) {
	secret := cfg.API.Manager.Secret
	if secret == "" {
		// Never generate one here: serve generated the one it checks.
		file := proxy.SecretFile(cfg.Agent.VarBasePath)
		var err error
		if secret, err = proxy.LoadSecret(file); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("cannot read %s: pass serve's --config (and flags), or run where serve runs: %w", file, errNoSecret)
		} else if err != nil {
			return nil, fmt.Errorf("manager secret: %w", err)
		}
	}
	return &proxy.Client{
		BaseURL: "http://" + reachable(cfg.API.Manager.ServiceAddr).String(),
		Secret:  secret,
		HTTP:    &http.Client{Timeout: time.Minute},
	}, nil
}
