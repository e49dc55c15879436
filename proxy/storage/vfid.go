package storage

import (
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// UUID is a 16-byte uuid.
type UUID [16]byte

// Hex is the uuid as 32 lowercase hex digits, as the on-disk layout uses it.
func (u UUID) Hex() string { return hex.EncodeToString(u[:]) }

// String is the dashed form Python's str(uuid.UUID) writes.
func (u UUID) String() string {
	h := u.Hex()
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ParseUUID accepts the spellings Python's uuid.UUID accepts in practice:
// 32 hex digits, dashed, {braced} and urn:uuid:.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	t := strings.TrimPrefix(strings.ToLower(s), "urn:uuid:")
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		t = t[1 : len(t)-1]
	}
	if len(t) == 36 {
		for _, i := range []int{8, 13, 18, 23} {
			if t[i] != '-' {
				return u, fmt.Errorf("%w: %q is not a uuid", ErrInvalidVFID, s)
			}
		}
		t = t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:]
	}
	if len(t) != 32 {
		return u, fmt.Errorf("%w: %q is not a uuid", ErrInvalidVFID, s)
	}
	if _, err := hex.Decode(u[:], []byte(t)); err != nil {
		return u, fmt.Errorf("%w: %q is not a uuid", ErrInvalidVFID, s)
	}
	return u, nil
}

// QSID is a quota scope id, "user:<uuid>" or "project:<uuid>".
type QSID struct {
	Kind string // "user" or "project"
	ID   UUID
}

// ParseQSID reads "<user|project>:<uuid>".
func ParseQSID(s string) (QSID, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || (kind != "user" && kind != "project") {
		return QSID{}, fmt.Errorf(`%w: quota scope %q: want "user:<uuid>" or "project:<uuid>"`, ErrInvalidVFID, s)
	}
	u, err := ParseUUID(id)
	if err != nil {
		return QSID{}, fmt.Errorf("quota scope: %w", err)
	}
	return QSID{Kind: kind, ID: u}, nil
}

// String is Backend.AI's str(QuotaScopeID): the kind and the dashed uuid.
func (q QSID) String() string { return q.Kind + ":" + q.ID.String() }

// VFID is a parsed "<qsid>/<folder uuid>"; only its parsed parts are ever
// used to build paths, never the text a caller sent. A legacy vfid (the
// folder uuid alone) has a zero Scope.Kind.
type VFID struct {
	Scope  QSID
	Folder UUID
}

// ParseVFID reads "<user|project>:<uuid>/<uuid>" or a legacy bare folder
// uuid, with uuids in any of ParseUUID's spellings.
func ParseVFID(s string) (VFID, error) {
	qsid, folder, ok := strings.Cut(s, "/")
	if !ok {
		u, err := ParseUUID(s)
		if err != nil {
			return VFID{}, fmt.Errorf(`%w: want "<user|project>:<uuid>/<folder uuid>"`, ErrInvalidVFID)
		}
		return VFID{Folder: u}, nil
	}
	q, err := ParseQSID(qsid)
	if err != nil {
		return VFID{}, err
	}
	u, err := ParseUUID(folder)
	if err != nil {
		return VFID{}, fmt.Errorf("folder: %w", err)
	}
	return VFID{Scope: q, Folder: u}, nil
}

// HasScope reports whether v names its quota scope (is not legacy).
func (v VFID) HasScope() bool { return v.Scope.Kind != "" }

// String is Backend.AI's str(VFolderID): "<qsid>/<folder hex>", the form
// events carry.
func (v VFID) String() string {
	if !v.HasScope() {
		return v.Folder.Hex()
	}
	return v.Scope.String() + "/" + v.Folder.Hex()
}

// RelPath is the folder's directory relative to its volume.
func (v VFID) RelPath() string {
	h := v.Folder.Hex()
	p := path.Join(h[0:2], h[2:4], h[4:])
	if v.HasScope() {
		p = path.Join(v.Scope.ID.Hex(), p)
	}
	return p
}
