package proxy

import (
	"encoding/json"
	"time"

	"github.com/storage-agent/storage-agent/isolation"
)

// OpenRequest is the body of POST /sessions. Pointer fields are optional:
// nil means "use the configured default", which differs from an explicit 0.
type OpenRequest struct {
	User      string         `json:"user"`
	AccessKey string         `json:"access_key,omitempty"` // accepted for Backend.AI compatibility; unused
	Mounts    []MountRequest `json:"mounts"`
	// SSHPublicKeys are authorized_keys lines without options, one key each.
	SSHPublicKeys      []string   `json:"ssh_public_keys,omitempty"`
	UID                *int       `json:"uid,omitempty"`
	GID                *int       `json:"gid,omitempty"`
	Resources          *Resources `json:"resources,omitempty"`
	TTL                string     `json:"ttl,omitempty"` // Go duration; empty means session.max-ttl
	MaxSessionsPerUser *int       `json:"max_sessions_per_user,omitempty"`
}

// MountRequest asks for one vfolder to appear at /<Name> inside the session.
type MountRequest struct {
	Volume string `json:"volume"`
	VFID   string `json:"vfid"`
	Name   string `json:"name"`
	Mode   string `json:"mode,omitempty"` // "rw" (default) or "ro"
}

// Resources are a session's worker limits; each is capped by the
// configured [session] value, which is also the default.
type Resources struct {
	CPU    *float64 `json:"cpu,omitempty"`
	Memory *Size    `json:"memory,omitempty"`
	Pids   *int64   `json:"pids,omitempty"`
}

// SessionInfo describes an open session. Token is only set in the answer
// to OpenSession; Web.URL carries a single-use login token only there too.
type SessionInfo struct {
	ID        string      `json:"id"`
	User      string      `json:"user"`
	CreatedAt time.Time   `json:"created_at"`
	ExpiresAt time.Time   `json:"expires_at"`
	Token     string      `json:"token,omitempty"`
	SFTP      SFTPInfo    `json:"sftp"`
	Web       WebInfo     `json:"web"`
	Mounts    []MountInfo `json:"mounts"`
}

// SFTPInfo says how to reach a session over SSH.
type SFTPInfo struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
}

// WebInfo says how to reach a session from a browser.
type WebInfo struct {
	URL string `json:"url"`
}

// WebLoginInfo is the body of POST /sessions/{id}/web-login: a fresh
// single-use login link for a session that is open.
type WebLoginInfo struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// MountInfo is one normalised mount of an open session (vfid in the
// canonical 32-hex form).
type MountInfo struct {
	Volume string `json:"volume"`
	VFID   string `json:"vfid"`
	Name   string `json:"name"`
	Mode   string `json:"mode"`
}

// SessionList is the body of GET /sessions.
type SessionList struct {
	Sessions []SessionInfo `json:"sessions"`
}

// StatusInfo is the body of GET /status.
type StatusInfo struct {
	Status string `json:"status"`
	// Type and StorageProxy are the keys Backend.AI's storage proxy answers.
	Type         string    `json:"type"`
	StorageProxy string    `json:"storage-proxy"`
	AgentID      string    `json:"agent_id"`
	Version      string    `json:"version"`
	Sessions     SlotsInfo `json:"sessions"`
	// Sandbox says which kernel-dependent walls surround sessions here.
	Sandbox isolation.Walls `json:"sandbox"`
}

// SlotsInfo reports the slot counter.
type SlotsInfo struct {
	Max  int `json:"max"`
	Used int `json:"used"`
}

// VolumeInfo is one entry of GET /volumes, shaped like Backend.AI's.
type VolumeInfo struct {
	Name         string   `json:"name"`
	Backend      string   `json:"backend"`
	Path         string   `json:"path"`
	FSPrefix     string   `json:"fsprefix"`
	Capabilities []string `json:"capabilities"`
}

// VolumeList is the body of GET /volumes.
type VolumeList struct {
	Volumes []VolumeInfo `json:"volumes"`
}

// CreateFolderRequest is the body of POST /folder/create. Mode is the
// permission of the new directory (default 0755); Options is accepted for
// Backend.AI compatibility and ignored.
type CreateFolderRequest struct {
	Volume  string          `json:"volume"`
	VFID    string          `json:"vfid"`
	Mode    *uint32         `json:"mode,omitempty"`
	Options json.RawMessage `json:"options,omitempty"`
}
