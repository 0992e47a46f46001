package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"authd/domain"
)

// hmacKey is AUTH_HMAC_SECRET, or the key generated once into the data dir.
func hmacKey(cfg Config) (domain.Secret, error) {
	if cfg.HMACSecret != "" {
		return cfg.HMACSecret, nil
	}
	key, err := loadOrCreateSecret(filepath.Join(cfg.DataDir, "hmac.key"), func(b []byte) error { _, err := rand.Read(b); return err })
	if err != nil {
		return "", fmt.Errorf("AUTH_HMAC_SECRET unset and the generated key is unusable: %w", err)
	}
	return domain.Secret(key), nil
}

// loadOrCreateSecret returns the key in path, creating it with 32 random bytes
// (hex) on first start so every restart, and every instance sharing the data
// dir, uses the same key.
func loadOrCreateSecret(path string, random func([]byte) error) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key := []byte(strings.TrimSpace(string(b)))
		if len(key) < 32 {
			return nil, fmt.Errorf("%s: key shorter than 32 bytes", path)
		}
		return key, nil
	}
	if !os.IsNotExist(err) {
		return nil, err
	}
	raw := make([]byte, 32)
	if err := random(raw); err != nil {
		return nil, err
	}
	key := []byte(hex.EncodeToString(raw))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hmac-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(key, '\n')); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return nil, err
	}
	// Link rather than rename: if another instance created the key meanwhile, keep theirs.
	if err := os.Link(tmp.Name(), path); err != nil && !os.IsExist(err) {
		return nil, err
	}
	return loadOrCreateSecret(path, random)
}
