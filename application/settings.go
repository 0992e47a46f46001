package application

import (
	"time"

	"authd/domain"
)

// Settings are the policy knobs of the use cases, filled from configuration by cmd.
type Settings struct {
	AccessTokenTTL           time.Duration
	RefreshTokenTTL          time.Duration
	SessionMaxAge            time.Duration
	RefreshReuseGrace        time.Duration
	VerifyTokenTTL           time.Duration
	RequireEmailVerification bool
	// PublicURL is the service's own base URL; links in mail are built from it,
	// never from a request's Host header.
	PublicURL      string
	PasswordPolicy domain.PasswordPolicy
	RolePolicy     domain.RolePolicy
}

// DefaultSettings are the contract's defaults.
func DefaultSettings() Settings {
	return Settings{
		AccessTokenTTL:           15 * time.Minute,
		RefreshTokenTTL:          168 * time.Hour,
		SessionMaxAge:            720 * time.Hour,
		RefreshReuseGrace:        10 * time.Second,
		VerifyTokenTTL:           24 * time.Hour,
		RequireEmailVerification: true,
		PublicURL:                "http://localhost:3000",
		PasswordPolicy:           domain.DefaultPasswordPolicy,
		RolePolicy:               domain.DefaultRolePolicy,
	}
}
