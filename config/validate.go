package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Lower bounds below which a worker cannot do useful work: the Go worker
// alone idles at a few MiB and needs a handful of threads.
const (
	minMemory = 16 * mib
	minPids   = 8
)

// Validate checks the values of c and returns every problem at once (joined
// *KeyErrors naming the key), or nil. It is separate from decoding so that a
// Config built in code, not just one from Load, can be checked.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, key, format string, args ...any) {
		if !ok {
			errs = append(errs, &KeyError{Key: key, Err: fmt.Errorf(format, args...)})
		}
	}

	check(c.Agent.ID != "", "agent.id", "must not be empty")
	check(c.Agent.ID == "" || validName(c.Agent.ID), "agent.id",
		"invalid id %q: %s", c.Agent.ID, nameRule)
	check(c.Agent.PublicHost != "", "agent.public-host", "must not be empty")
	check(c.Agent.VarBasePath != "", "agent.var-base-path", "must not be empty")
	for _, cipher := range strings.Split(c.SFTP.Ciphers, ",") {
		check(slices.Contains(knownCiphers, cipher), "sftp.ciphers",
			"unknown cipher %q (known: %s)", cipher, strings.Join(knownCiphers, ","))
	}

	// Port 0 asks the kernel for a free port, which tests rely on.
	ls := c.listeners()
	for i, a := range ls {
		check(a.Addr.Port >= 0 && a.Addr.Port <= 65535, a.Key+".port", "%d is out of range 0..65535", a.Addr.Port)
		for _, b := range ls[:i] {
			check(!clash(a.Addr, b.Addr), a.Key+".port",
				"port %d is also %s.port: two listeners cannot share a port", a.Addr.Port, b.Key)
		}
	}
	check((c.WebFS.SSLCert == "") == (c.WebFS.SSLPrivKey == ""), "webfs.ssl-cert",
		"ssl-cert and ssl-privkey must be set together (or both left empty for a generated certificate)")

	check((c.API.Client.SSLCert == "") == (c.API.Client.SSLPrivKey == ""), "api.client.ssl-cert",
		"ssl-cert and ssl-privkey must be set together (or both left empty for a generated certificate)")
	sp := c.StorageProxy
	check(sp.SessionExpire > 0, "storage-proxy.session-expire", "must be positive, got %s", sp.SessionExpire)
	check(sp.MaxUploadSize > 0, "storage-proxy.max-upload-size", "must be positive, got %s", sp.MaxUploadSize)
	check(sp.ScandirLimit >= 1, "storage-proxy.scandir-limit", "must be at least 1, got %d", sp.ScandirLimit)
	check(c.Redis.EventFormat == "msgpack" || c.Redis.EventFormat == "json", "redis.event-format",
		`must be "msgpack" or "json", got %q`, c.Redis.EventFormat)
	check(c.Redis.DB >= 0, "redis.db", "must not be negative, got %d", c.Redis.DB)

	s := c.Session
	check(s.MaxSessions >= 1, "session.max-sessions", "must be at least 1, got %d", s.MaxSessions)
	check(s.MaxSessionsPerUser >= 1, "session.max-sessions-per-user", "must be at least 1, got %d", s.MaxSessionsPerUser)
	check(s.CPU > 0 && !math.IsInf(s.CPU, 0), "session.cpu", "must be a positive number of cores, got %v", s.CPU)
	check(s.Memory >= minMemory, "session.memory", "must be at least %s, got %s", minMemory, s.Memory)
	check(s.Pids >= minPids, "session.pids", "must be at least %d, got %d", minPids, s.Pids)
	check(s.IdleTimeout > 0, "session.idle-timeout", "must be positive, got %s", s.IdleTimeout)
	check(s.MaxTTL > 0, "session.max-ttl", "must be positive, got %s", s.MaxTTL)
	check(s.UID >= 1, "session.uid", "must be a non-root uid (>= 1), got %d", s.UID)
	check(s.GID >= 1, "session.gid", "must be a non-root gid (>= 1), got %d", s.GID)
	for _, b := range []struct {
		key string
		n   int
	}{
		{"session.max-web-requests", s.MaxWebRequests},
		{"session.max-ssh-connections", s.MaxSSHConnections},
		{"session.max-channels-per-connection", s.MaxChannelsPerConnection},
		{"session.max-ssh-channels", s.MaxSSHChannels},
	} {
		check(b.n >= 1 && b.n <= 1024, b.key, "must be between 1 and 1024, got %d", b.n)
	}

	check(len(c.Volume) > 0, "volume", "at least one volume is required")
	for _, name := range slices.Sorted(maps.Keys(c.Volume)) {
		v := c.Volume[name]
		check(validName(name), volumeKey(name, ""),
			"invalid volume name %q: %s", name, nameRule)
		check(v.Backend == defaultBackend, volumeKey(name, "backend"),
			"unsupported backend %q (only %q is supported)", v.Backend, defaultBackend)
		check(v.Path != "", volumeKey(name, "path"), "must not be empty")
	}
	return errors.Join(errs...)
}

// listener is one address the daemon listens on, with its config key.
type listener struct {
	Key  string // e.g. "sftp.service-addr"
	Addr HostPort
}

// listeners returns every address the daemon binds, in start-up order; a
// new listener belongs here so its port is range-checked and clashes are found.
func (c *Config) listeners() []listener {
	return []listener{
		{"api.manager.service-addr", c.API.Manager.ServiceAddr},
		{"sftp.service-addr", c.SFTP.ServiceAddr},
		{"webfs.service-addr", c.WebFS.ServiceAddr},
		{"api.client.service-addr", c.API.Client.ServiceAddr},
	}
}

// clash reports whether a and b would take the same port: same fixed port
// and the same host, or either on every address.
func clash(a, b HostPort) bool {
	if a.Port == 0 || a.Port != b.Port {
		return false
	}
	return a.Host == b.Host || anyHost(a.Host) || anyHost(b.Host)
}

// anyHost reports whether host means every address of the machine.
func anyHost(host string) bool { return host == "" || host == "0.0.0.0" || host == "::" }

// nameRule says what validName accepts, for error messages.
const nameRule = `use letters, digits, '.', '_' and '-', and not "." or ".."`

// validName reports whether s is usable as an agent id or volume name: it
// ends up in paths, cgroup names and URLs, so only a safe alphabet is
// allowed, and "." and ".." are refused for the same reason.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// volumeKey is the dotted key of field of volume name ("volume.<name>" when
// field is empty).
func volumeKey(name, field string) string {
	if field == "" {
		return "volume." + name
	}
	return "volume." + name + "." + field
}
