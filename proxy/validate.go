package proxy

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/storage-agent/storage-agent/config"
	"github.com/storage-agent/storage-agent/isolation"
	"github.com/storage-agent/storage-agent/proxy/storage"
)

// Request bounds that are not configurable.
const (
	maxUserLen = 64
	maxMounts  = 32
	maxNameLen = 255
	maxKeys    = 64
	maxUnixID  = 1<<32 - 2 // (uid_t)-1 means "unchanged" to the kernel
	modeRW     = "rw"
	modeRO     = "ro"
)

// openParams is a validated OpenRequest with every default applied.
type openParams struct {
	user      string
	mounts    []mountParams
	keys      [][]byte
	uid, gid  int
	limits    isolation.Limits
	ttl       time.Duration
	userLimit int
}

// mountParams is one validated mount; hostPath is filled by resolveMounts.
type mountParams struct {
	info     MountInfo
	vf       storage.VFID
	readOnly bool
	hostPath string
}

// validateOpen checks everything that needs no disk access; every failure
// is a *fieldError naming the JSON field. Limits above the configured
// maxima are refused, never silently cut.
func validateOpen(req *OpenRequest, cfg *config.SessionConfig) (*openParams, error) {
	p := &openParams{
		user:      req.User,
		uid:       cfg.UID,
		gid:       cfg.GID,
		limits:    isolation.Limits{CPU: cfg.CPU, Memory: int64(cfg.Memory), Pids: cfg.Pids},
		ttl:       time.Duration(cfg.MaxTTL),
		userLimit: cfg.MaxSessionsPerUser,
	}
	if err := validUser(req.User); err != nil {
		return nil, err
	}
	if err := validateMounts(req.Mounts, p); err != nil {
		return nil, err
	}
	if len(req.SSHPublicKeys) > maxKeys {
		return nil, invalid("ssh_public_keys", "at most %d keys", maxKeys)
	}
	for i, line := range req.SSHPublicKeys {
		key, err := parseOneKey(line)
		if err != nil {
			return nil, invalid(fmt.Sprintf("ssh_public_keys[%d]", i), "%v", err)
		}
		p.keys = append(p.keys, key.Marshal())
	}
	if req.UID != nil {
		// 0 is refused: a worker never runs as root, not even without capabilities.
		if *req.UID < 1 || *req.UID > maxUnixID {
			return nil, invalid("uid", "must be between 1 and %d", maxUnixID)
		}
		p.uid = *req.UID
	}
	if req.GID != nil {
		if *req.GID < 1 || *req.GID > maxUnixID {
			return nil, invalid("gid", "must be between 1 and %d", maxUnixID)
		}
		p.gid = *req.GID
	}
	if err := validateResources(req.Resources, cfg, &p.limits); err != nil {
		return nil, err
	}
	if req.TTL != "" {
		ttl, err := time.ParseDuration(req.TTL)
		if err != nil {
			return nil, invalid("ttl", "not a duration (like \"8h\"): %q", req.TTL)
		}
		if ttl <= 0 || ttl > time.Duration(cfg.MaxTTL) {
			return nil, invalid("ttl", "must be > 0 and at most session.max-ttl (%v)", cfg.MaxTTL)
		}
		p.ttl = ttl
	}
	if req.MaxSessionsPerUser != nil {
		if *req.MaxSessionsPerUser < 1 {
			return nil, invalid("max_sessions_per_user", "must be at least 1")
		}
		p.userLimit = *req.MaxSessionsPerUser
	}
	return p, nil
}

func validUser(u string) error {
	if u == "" {
		return invalid("user", "required")
	}
	if len(u) > maxUserLen {
		return invalid("user", "longer than %d bytes", maxUserLen)
	}
	for _, r := range u {
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '@' || r == '.' || r == '_' || r == '-')
		if !ok {
			return invalid("user", "may only hold A-Z a-z 0-9 @ . _ -")
		}
	}
	return nil
}

func validateMounts(ms []MountRequest, p *openParams) error {
	if len(ms) == 0 || len(ms) > maxMounts {
		return invalid("mounts", "want 1 to %d mounts", maxMounts)
	}
	seen := make(map[string]int, len(ms))
	for i, m := range ms {
		field := fmt.Sprintf("mounts[%d]", i)
		if m.Volume == "" {
			return invalid(field+".volume", "required")
		}
		vf, err := parseMountVFID(m.VFID)
		if err != nil {
			return invalid(field+".vfid", "%v", err)
		}
		if err := CheckMountName(m.Name); err != nil {
			return invalid(field+".name", "%v", err)
		}
		if j, dup := seen[m.Name]; dup {
			return invalid(field+".name", "%q is already the name of mounts[%d]", m.Name, j)
		}
		seen[m.Name] = i
		mode := m.Mode
		switch mode {
		case "":
			mode = modeRW
		case modeRW, modeRO:
		default:
			return invalid(field+".mode", `want "rw" or "ro", not %q`, m.Mode)
		}
		p.mounts = append(p.mounts, mountParams{
			info:     MountInfo{Volume: m.Volume, VFID: mountVFID(vf), Name: m.Name, Mode: mode},
			vf:       vf,
			readOnly: mode == modeRO,
		})
	}
	return nil
}

// CheckMountName returns nil iff n can name a mount (see
// isolation.CheckMountName). Clients may check first to fail early.
func CheckMountName(n string) error { return isolation.CheckMountName(n) }

// parseOneKey reads one authorized_keys line. Options (from=, command=...)
// are refused: we could not honour them, and dropping them silently would
// grant more than the key's owner asked for.
func parseOneKey(line string) (ssh.PublicKey, error) {
	key, _, options, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("not an SSH public key: %w", err)
	}
	if len(options) > 0 {
		return nil, fmt.Errorf("key options are not supported")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("one key per entry")
	}
	return key, nil
}

func validateResources(r *Resources, cfg *config.SessionConfig, l *isolation.Limits) error {
	if r == nil {
		return nil
	}
	if r.CPU != nil {
		if !(*r.CPU > 0) || *r.CPU > cfg.CPU {
			return invalid("resources.cpu", "must be > 0 and at most session.cpu (%g)", cfg.CPU)
		}
		l.CPU = *r.CPU
	}
	if r.Memory != nil {
		if *r.Memory <= 0 || int64(*r.Memory) > int64(cfg.Memory) {
			return invalid("resources.memory", "must be > 0 and at most session.memory (%d bytes)", int64(cfg.Memory))
		}
		l.Memory = int64(*r.Memory)
	}
	if r.Pids != nil {
		if *r.Pids <= 0 || *r.Pids > cfg.Pids {
			return invalid("resources.pids", "must be > 0 and at most session.pids (%d)", cfg.Pids)
		}
		l.Pids = *r.Pids
	}
	return nil
}
