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
	ResetTokenTTL            time.Duration
	OTPTTL                   time.Duration
	RequireEmailVerification bool
	// PublicURL is the service's own base URL; links in mail are built from it,
	// never from a request's Host header.
	PublicURL string
	// ResetPasswordURL is the reset link with {token} in place of the token.
	ResetPasswordURL string
	// HMACKey keys the hashes of one-time codes, which are too short to store
	// as plain hashes; every instance shares it.
	HMACKey        domain.Secret
	PasswordPolicy domain.PasswordPolicy
	RolePolicy     domain.RolePolicy
	// Abuse are the brute-force and mail limits.
	Abuse AbuseLimits
	// EventRetention is how long security events are kept (AUTH_EVENT_RETENTION).
	EventRetention time.Duration
	// MFAIssuer is the issuer label of otpauth:// URIs (AUTH_MFA_ISSUER).
	MFAIssuer string
	// MFATokenTTL is how long the token between password and code lives; 0
	// means the contract's domain.MFATokenTTL (tests shorten it).
	MFATokenTTL time.Duration
}

// DefaultSettings are the contract's defaults.
func DefaultSettings() Settings {
	return Settings{
		AccessTokenTTL:           15 * time.Minute,
		RefreshTokenTTL:          168 * time.Hour,
		SessionMaxAge:            720 * time.Hour,
		RefreshReuseGrace:        10 * time.Second,
		VerifyTokenTTL:           24 * time.Hour,
		ResetTokenTTL:            time.Hour,
		OTPTTL:                   10 * time.Minute,
		RequireEmailVerification: true,
		PublicURL:                "http://localhost:3000",
		ResetPasswordURL:         "http://localhost:3000/reset-password?token={token}",
		PasswordPolicy:           domain.DefaultPasswordPolicy,
		RolePolicy:               domain.DefaultRolePolicy,
		Abuse:                    DefaultAbuseLimits,
		EventRetention:           2160 * time.Hour,
		MFAIssuer:                "authd",
	}
}
