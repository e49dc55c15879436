package sftpd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// hostKeySpec names one host key file, the key type it must hold and how to
// make a fresh one. The order is the order of HostKeyFingerprints.
type hostKeySpec struct {
	file     string
	keyType  string
	generate func() (crypto.PrivateKey, error)
}

// hostKeySpecs uses OpenSSH's file names so operators recognise them.
var hostKeySpecs = []hostKeySpec{
	{"ssh_host_ed25519_key", ssh.KeyAlgoED25519, func() (crypto.PrivateKey, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}},
	{"ssh_host_ecdsa_key", ssh.KeyAlgoECDSA256, func() (crypto.PrivateKey, error) {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}},
	{"ssh_host_rsa_key", ssh.KeyAlgoRSA, func() (crypto.PrivateKey, error) {
		return rsa.GenerateKey(rand.Reader, 3072)
	}},
}

// loadOrCreateHostKeys returns one signer per hostKeySpecs entry, generating
// the keys that do not exist yet. Keys are never overwritten: clients pin
// them, so a changed key would lock every user out with a scary warning.
func loadOrCreateHostKeys(dir string) ([]ssh.Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostKey, err)
	}
	signers := make([]ssh.Signer, 0, len(hostKeySpecs))
	for _, spec := range hostKeySpecs {
		path := filepath.Join(dir, spec.file)
		signer, err := loadHostKey(path)
		if errors.Is(err, fs.ErrNotExist) {
			signer, err = createHostKey(dir, path, spec)
		}
		if err != nil {
			return nil, err
		}
		if got := signer.PublicKey().Type(); got != spec.keyType {
			return nil, fmt.Errorf("%w: %s holds a %s key, want %s", ErrHostKey, path, got, spec.keyType)
		}
		signers = append(signers, signer)
	}
	return signers, nil
}

// loadHostKey reads an existing key; the error wraps fs.ErrNotExist when
// there is none.
func loadHostKey(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostKey, err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrHostKey, path, err)
	}
	return signer, nil
}

// createHostKey generates a key and publishes it under path atomically: it
// is written to a temporary file first and hard-linked into place, so a crash
// never leaves half a key and a concurrent start never replaces one.
func createHostKey(dir, path string, spec hostKeySpec) (ssh.Signer, error) {
	priv, err := spec.generate()
	if err != nil {
		return nil, fmt.Errorf("%w: generate %s: %w", ErrHostKey, spec.keyType, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "storage-agent host key")
	if err != nil {
		return nil, fmt.Errorf("%w: marshal %s: %w", ErrHostKey, spec.keyType, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+spec.file+"-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostKey, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(pem.EncodeToMemory(block))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if errors.Is(err, fs.ErrExist) {
		return loadHostKey(path) // another process won the race; use its key
	}
	if err != nil {
		return nil, fmt.Errorf("%w: write %s: %w", ErrHostKey, path, err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostKey, err)
	}
	return signer, nil
}
