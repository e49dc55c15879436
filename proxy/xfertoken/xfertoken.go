// Package xfertoken mints and checks the client-API tokens of Backend.AI's
// storage proxy: HS256 JWTs signed with [storage-proxy] secret (never the
// manager's), carrying what a download, an upload or an archive download
// may touch. Any other algorithm, a bad signature, a missing or past exp
// and a token of another operation are all ErrInvalid.
package xfertoken

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalid means a token failed verification.
var ErrInvalid = errors.New("invalid token")

// Download is a download token's claims (Backend.AI: op "download").
type Download struct {
	Op      string `json:"op"`
	Volume  string `json:"volume"`
	VFID    string `json:"vfid"`
	Relpath string `json:"relpath"`
	jwt.RegisteredClaims
}

// Upload is an upload token's claims; Session names the staging file.
type Upload struct {
	Op      string `json:"op"`
	Volume  string `json:"volume"`
	VFID    string `json:"vfid"`
	Relpath string `json:"relpath"`
	Size    int64  `json:"size"`
	Session string `json:"session"`
	jwt.RegisteredClaims
}

// Archive is an archive-download token's claims, with Backend.AI's names.
type Archive struct {
	Operation       string   `json:"operation"`
	Volume          string   `json:"volume"`
	VirtualFolderID string   `json:"virtual_folder_id"`
	Files           []string `json:"files"`
	Filename        string   `json:"filename,omitempty"`
	jwt.RegisteredClaims
}

// Signer mints and verifies tokens with one key.
type Signer struct {
	key    []byte
	expire time.Duration
	now    func() time.Time
}

// NewSigner returns a signer whose tokens live for expire.
func NewSigner(key []byte, expire time.Duration) *Signer {
	return &Signer{key: append([]byte(nil), key...), expire: expire, now: time.Now}
}

func (s *Signer) sign(c jwt.Claims) (string, error) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("xfertoken: sign: %w", err)
	}
	return tok, nil
}

func (s *Signer) exp() jwt.RegisteredClaims {
	return jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(s.now().Add(s.expire))}
}

// SignDownload mints a download token.
func (s *Signer) SignDownload(volume, vfid, relpath string) (string, error) {
	return s.sign(&Download{Op: "download", Volume: volume, VFID: vfid, Relpath: relpath, RegisteredClaims: s.exp()})
}

// SignUpload mints an upload token.
func (s *Signer) SignUpload(volume, vfid, relpath string, size int64, session string) (string, error) {
	return s.sign(&Upload{Op: "upload", Volume: volume, VFID: vfid, Relpath: relpath, Size: size,
		Session: session, RegisteredClaims: s.exp()})
}

// SignArchive mints an archive-download token.
func (s *Signer) SignArchive(volume, vfid string, files []string, filename string) (string, error) {
	return s.sign(&Archive{Operation: "download", Volume: volume, VirtualFolderID: vfid, Files: files,
		Filename: filename, RegisteredClaims: s.exp()})
}

func (s *Signer) parse(tok string, c jwt.Claims) error {
	_, err := jwt.ParseWithClaims(tok, c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// VerifyDownload checks a download token.
func (s *Signer) VerifyDownload(tok string) (*Download, error) {
	var c Download
	if err := s.parse(tok, &c); err != nil {
		return nil, err
	}
	if c.Op != "download" || c.Volume == "" || c.VFID == "" {
		return nil, fmt.Errorf("%w: not a download token", ErrInvalid)
	}
	return &c, nil
}

// VerifyUpload checks an upload token.
func (s *Signer) VerifyUpload(tok string) (*Upload, error) {
	var c Upload
	if err := s.parse(tok, &c); err != nil {
		return nil, err
	}
	if c.Op != "upload" || c.Volume == "" || c.VFID == "" || c.Session == "" || c.Size < 0 {
		return nil, fmt.Errorf("%w: not an upload token", ErrInvalid)
	}
	return &c, nil
}

// VerifyArchive checks an archive-download token.
func (s *Signer) VerifyArchive(tok string) (*Archive, error) {
	var c Archive
	if err := s.parse(tok, &c); err != nil {
		return nil, err
	}
	if c.Operation != "download" || c.Volume == "" || c.VirtualFolderID == "" || len(c.Files) == 0 {
		return nil, fmt.Errorf("%w: not an archive-download token", ErrInvalid)
	}
	return &c, nil
}
