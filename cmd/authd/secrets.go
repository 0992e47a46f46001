package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"authd/adapters/jwt"
	"authd/application"
	"authd/domain"
)

// The key files an earlier version generated into the data dir; they are
// imported into the key ring on first start and never written any more.
const (
	legacySigningKeyFile = "jwt-ed25519.pem"
	legacyHMACKeyFile    = "hmac.key"
)

// keyRingConfig says which keys the database ring provides (those not
// configured by AUTH_JWT_PRIVATE_KEY_FILE, AUTH_JWT_SECRET, AUTH_HMAC_SECRET)
// and reads an earlier version's key files for import. It warns when the
// ring's private keys are stored in clear in a shared database.
func keyRingConfig(cfg Config, log *slog.Logger) (application.KeyRingConfig, error) {
	rc := application.KeyRingConfig{
		ManageSigning:  cfg.JWTAlg == jwt.AlgEdDSA && cfg.JWTPrivateKeyFile == "",
		ManageHMAC:     cfg.HMACSecret == "",
		JWKSMaxAge:     cfg.JWKSMaxAge,
		AccessTokenTTL: cfg.AccessTokenTTL,
	}
	if !rc.ManageSigning && !rc.ManageHMAC {
		return rc, nil
	}
	if rc.ManageSigning {
		path := filepath.Join(cfg.DataDir, legacySigningKeyFile)
		priv, err := jwt.ReadEd25519(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return rc, fmt.Errorf("AUTH_DATA_DIR: the key file to import is unusable: %w", err)
		default:
			rc.LegacySigningKey = priv
		}
	}
	key, err := readLegacySecret(filepath.Join(cfg.DataDir, legacyHMACKeyFile))
	if err != nil {
		return rc, fmt.Errorf("AUTH_DATA_DIR: the HMAC key file to import is unusable: %w", err)
	}
	rc.LegacyHMACKey = key
	if cfg.KeyEncryptionKey == "" && cfg.DBDriver != "sqlite" {
		log.Warn("AUTH_KEY_ENCRYPTION_KEY is not set: the key ring's private keys are stored in clear in the database")
	}
	return rc, nil
}

// readLegacySecret returns the key in path, "" when there is no such file.
func readLegacySecret(path string) (domain.Secret, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 32 {
		return "", fmt.Errorf("%s: key shorter than 32 bytes", path)
	}
	return domain.Secret(key), nil
}

// hmacKey is AUTH_HMAC_SECRET, or the key ring's.
func hmacKey(cfg Config, ring *application.KeyRing) domain.Secret {
	if cfg.HMACSecret != "" {
		return cfg.HMACSecret
	}
	return ring.HMACKey()
}
