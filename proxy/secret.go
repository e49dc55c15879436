package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secretBytes is the entropy of generated secrets and keys.
const secretBytes = 32

// SecretFile is where the generated manager secret is kept when
// api.manager.secret is empty; the daemon and the CLI both use it.
func SecretFile(varBase string) string { return filepath.Join(varBase, "manager.secret") }

// TokenKeyFile is where the token-signing key is kept.
func TokenKeyFile(varBase string) string { return filepath.Join(varBase, "token.key") }

// LoadOrCreateSecret returns the secret stored in file, creating it (32
// random bytes, hex, mode 0600, parent dir 0700) when missing.
func LoadOrCreateSecret(file string) (string, error) {
	return loadOrCreate(file)
}

// LoadOrCreateKey is LoadOrCreateSecret for the raw token-signing key: the
// file holds the key in hex (so it can be inspected and copied as text),
// and the decoded bytes are returned.
func LoadOrCreateKey(file string) ([]byte, error) {
	text, err := loadOrCreate(file)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("proxy: key file %s: not hex: %w", file, err)
	}
	if len(key) < minKeyLen {
		return nil, fmt.Errorf("proxy: key file %s: key shorter than %d bytes", file, minKeyLen)
	}
	return key, nil
}

// LoadSecret returns the secret stored in file and never creates it:
// clients read what the daemon generated, and a new secret of their own
// would only be refused.
func LoadSecret(file string) (string, error) {
	text, err := load(file)
	if err != nil {
		return "", fmt.Errorf("proxy: %w", err)
	}
	return text, nil
}

func loadOrCreate(file string) (string, error) {
	text, err := load(file)
	if !errors.Is(err, fs.ErrNotExist) {
		return text, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", fmt.Errorf("proxy: %w", err)
	}
	// Write a temporary file and hard-link it into place: the link fails if
	// someone else created the file meanwhile (then theirs wins), and no
	// reader ever sees a half-written secret.
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return "", fmt.Errorf("proxy: %w", err)
	}
	defer os.Remove(tmp.Name())
	b := make([]byte, secretBytes)
	rand.Read(b)
	secret := hex.EncodeToString(b)
	// CreateTemp makes the file 0600 already.
	_, err = tmp.WriteString(secret + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("proxy: write %s: %w", file, err)
	}
	if err := os.Link(tmp.Name(), file); errors.Is(err, fs.ErrExist) {
		return load(file)
	} else if err != nil {
		return "", fmt.Errorf("proxy: %w", err)
	}
	return secret, nil
}

// load reads a secret file, refusing one that others may read: a leaked
// manager secret or signing key hands out every session.
func load(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("proxy: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("proxy: %s is accessible by others (mode %#o); chmod 600 it", file, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("proxy: read %s: %w", file, err)
	}
	text := strings.TrimSpace(string(b))
	if text == "" {
		return "", fmt.Errorf("proxy: %s is empty", file)
	}
	return text, nil
}
