// Package config turns defaults, storage-agent.toml, the environment and
// command-line flags into one validated, typed Config.
package config

import (
	"net"
	"strconv"
	"time"
)

// Config is the whole effective configuration of one storage-agent.
type Config struct {
	Agent   AgentConfig             `koanf:"agent"`
	API     APIConfig               `koanf:"api"`
	SFTP    SFTPConfig              `koanf:"sftp"`
	WebFS   WebFSConfig             `koanf:"webfs"`
	Session SessionConfig           `koanf:"session"`
	Volume  map[string]VolumeConfig `koanf:"volume"`
}

// AgentConfig identifies the agent and says where it keeps its state.
type AgentConfig struct {
	ID          string `koanf:"id"`
	PublicHost  string `koanf:"public-host"`
	VarBasePath string `koanf:"var-base-path"`
}

// APIConfig holds the HTTP APIs the agent serves to the cluster.
type APIConfig struct {
	Manager ManagerAPIConfig `koanf:"manager"`
}

// ManagerAPIConfig configures the manager-facing API.
type ManagerAPIConfig struct {
	ServiceAddr HostPort `koanf:"service-addr"`
	// Secret is shared with the manager; empty means "generate one and keep
	// it under var-base-path".
	Secret string `koanf:"secret"`
}

// SFTPConfig configures the SSH/SFTP listener.
type SFTPConfig struct {
	ServiceAddr HostPort `koanf:"service-addr"`
}

// WebFSConfig configures the HTTPS listener of the web file API.
type WebFSConfig struct {
	ServiceAddr HostPort `koanf:"service-addr"`
	SSLCert     string   `koanf:"ssl-cert"`
	SSLPrivKey  string   `koanf:"ssl-privkey"`
}

// SessionConfig bounds sessions. CPU, Memory and Pids are both the default
// and the maximum a session request may ask for.
type SessionConfig struct {
	MaxSessions        int      `koanf:"max-sessions"`
	MaxSessionsPerUser int      `koanf:"max-sessions-per-user"`
	CPU                float64  `koanf:"cpu"`
	Memory             ByteSize `koanf:"memory"`
	Pids               int64    `koanf:"pids"`
	IdleTimeout        Duration `koanf:"idle-timeout"`
	MaxTTL             Duration `koanf:"max-ttl"`
	UID                int      `koanf:"uid"`
	GID                int      `koanf:"gid"`
}

// VolumeConfig is one storage volume holding vfolders.
type VolumeConfig struct {
	Backend string `koanf:"backend"`
	Path    string `koanf:"path"`
}

// HostPort is a listen address written as { host = "...", port = N }.
type HostPort struct {
	Host string `koanf:"host"`
	Port int    `koanf:"port"`
}

// String renders the address for net.Listen.
func (h HostPort) String() string { return net.JoinHostPort(h.Host, strconv.Itoa(h.Port)) }

// Duration is a time.Duration written as a Go duration string ("30m", "24h").
type Duration time.Duration

// ByteSize is a size in bytes written as a number or with a binary suffix
// ("1g", "512m", "64k").
type ByteSize int64
