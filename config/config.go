package config

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
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
	// StorageProxy and Redis make the agent Backend.AI's storage proxy.
	StorageProxy StorageProxyConfig `koanf:"storage-proxy"`
	Redis        RedisConfig        `koanf:"redis"`
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
	Client  ClientAPIConfig  `koanf:"client"`
}

// ClientAPIConfig configures the client-facing storage-proxy API, where
// users redeem download and upload tokens.
type ClientAPIConfig struct {
	ServiceAddr HostPort `koanf:"service-addr"`
	// SSLEnabled false serves plain HTTP (behind a TLS-terminating proxy).
	SSLEnabled bool   `koanf:"ssl-enabled"`
	SSLCert    string `koanf:"ssl-cert"`
	SSLPrivKey string `koanf:"ssl-privkey"`
}

// StorageProxyConfig holds the keys of Backend.AI's storage-proxy.toml
// that mean the same here.
type StorageProxyConfig struct {
	// Secret signs client-API tokens; never the manager's secret. Empty
	// means "generate one and keep it under var-base-path".
	Secret                      string   `koanf:"secret"`
	SessionExpire               Duration `koanf:"session-expire"`
	MaxUploadSize               ByteSize `koanf:"max-upload-size"`
	ScandirLimit                int      `koanf:"scandir-limit"`
	AllowAutoQuotaScopeCreation bool     `koanf:"allow-auto-quota-scope-creation"`
}

// RedisConfig reaches Backend.AI's event bus; an empty Addr disables events.
type RedisConfig struct {
	// Addr is "host:port" or a unix socket path.
	Addr     string `koanf:"addr"`
	Password string `koanf:"password"`
	DB       int    `koanf:"db"`
	// EventFormat is "msgpack" (Backend.AI up to 26.8.x) or "json" (main).
	EventFormat string `koanf:"event-format"`
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
	// Ciphers is the comma-separated list of ciphers offered, as in
	// sshd_config. The client's preference decides among them.
	Ciphers string `koanf:"ciphers"`
}

// DefaultCiphers are offered unless configured otherwise: AES-GCM (assembly
// in Go) and AES-CTR for older clients. chacha20-poly1305, which stock
// OpenSSH clients prefer, is left out: x/crypto has no assembly for it and
// it runs at about two thirds of OpenSSH's speed. An operator whose clients
// all speak AES-GCM can offer only that, and stock clients then pick it.
const DefaultCiphers = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"

// knownCiphers are the ciphers the SSH server can offer.
var knownCiphers = []string{
	"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
	"aes128-ctr", "aes192-ctr", "aes256-ctr",
}

// WebFSConfig configures the HTTPS listener of the web file API.
type WebFSConfig struct {
	ServiceAddr HostPort `koanf:"service-addr"`
	SSLCert     string   `koanf:"ssl-cert"`
	SSLPrivKey  string   `koanf:"ssl-privkey"`
	// FilebrowserFrontend is a directory holding Filebrowser's built
	// frontend; empty serves storage-agent's own UI.
	FilebrowserFrontend string `koanf:"filebrowser-frontend"`
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
	// What one session may hold of the daemon itself, so that its cost
	// outside the worker's cgroup has a ceiling (see README, Security).
	MaxWebRequests           int `koanf:"max-web-requests"`
	MaxSSHConnections        int `koanf:"max-ssh-connections"`
	MaxChannelsPerConnection int `koanf:"max-channels-per-connection"`
	MaxSSHChannels           int `koanf:"max-ssh-channels"`
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

// Default returns the built-in configuration of DESIGN.md: what the agent
// runs with when no file, environment variable or flag says otherwise.
func Default() *Config {
	const varBasePath = "./var"
	return &Config{
		Agent: AgentConfig{
			ID:          "storage-agent-1",
			PublicHost:  "127.0.0.1",
			VarBasePath: varBasePath,
		},
		API: APIConfig{
			Manager: ManagerAPIConfig{ServiceAddr: HostPort{Host: "127.0.0.1", Port: 6022}},
			Client:  ClientAPIConfig{ServiceAddr: HostPort{Host: "0.0.0.0", Port: 6021}, SSLEnabled: true},
		},
		StorageProxy: StorageProxyConfig{
			SessionExpire:               Duration(24 * time.Hour),
			MaxUploadSize:               100 * gib,
			ScandirLimit:                1000,
			AllowAutoQuotaScopeCreation: true,
		},
		Redis: RedisConfig{DB: 4, EventFormat: "msgpack"},
		SFTP:  SFTPConfig{ServiceAddr: HostPort{Host: "0.0.0.0", Port: 2022}, Ciphers: DefaultCiphers},
		WebFS: WebFSConfig{ServiceAddr: HostPort{Host: "0.0.0.0", Port: 8443}},
		Session: SessionConfig{
			MaxSessions:        64,
			MaxSessionsPerUser: 2,
			CPU:                1.0,
			Memory:             1 * gib,
			Pids:               64,
			IdleTimeout:        Duration(30 * time.Minute),
			MaxTTL:             Duration(24 * time.Hour),
			UID:                1000,
			GID:                1000,
			// Browsers open 6 connections per host; a UI with 4 uploads
			// and a listing in flight stays far below 32.
			MaxWebRequests: 32,
			// A ControlMaster-less script running rsync, scp and sftp in
			// parallel stays below 16.
			MaxSSHConnections: 16,
			// OpenSSH's MaxSessions.
			MaxChannelsPerConnection: 10,
			// All connections of a session together: each channel may
			// hold a relay buffer and an SSH window (2 MiB) in the daemon.
			MaxSSHChannels: 16,
		},
		Volume: map[string]VolumeConfig{
			defaultVolumeName: defaultVolume(varBasePath),
		},
	}
}

// defaultVolumeName names the volume used when the sources configure none.
const defaultVolumeName = "local"

// defaultBackend is the backend a volume gets when it names none; it is also
// the only one this agent implements.
const defaultBackend = "vfs"

// defaultVolume is the volume that exists when the sources configure none:
// a plain directory under var-base-path, so a bare `storage-agent serve`
// has somewhere to put vfolders.
func defaultVolume(varBasePath string) VolumeConfig {
	p := filepath.Join(varBasePath, "volumes", defaultVolumeName)
	// Join cleans "./var" to "var"; keep the "./" so the default prints
	// exactly as documented and reads as "relative" to an operator.
	if strings.HasPrefix(varBasePath, "./") {
		p = "./" + p
	}
	return VolumeConfig{Backend: defaultBackend, Path: p}
}
