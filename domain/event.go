package domain

import "time"

// EventType names a security-relevant thing that happened to an account.
type EventType string

// The security events of the contract.
const (
	EventRegistered           EventType = "registered"
	EventEmailVerified        EventType = "email_verified"
	EventLogin                EventType = "login"
	EventLoginFailed          EventType = "login_failed"
	EventLoginLocked          EventType = "login_locked"
	EventLogout               EventType = "logout"
	EventRefreshReuse         EventType = "refresh_reuse"
	EventPasswordChanged      EventType = "password_changed"
	EventPasswordReset        EventType = "password_reset"
	EventEmailChangeRequested EventType = "email_change_requested"
	EventEmailChanged         EventType = "email_changed"
	EventSessionRevoked       EventType = "session_revoked"
	EventDeactivated          EventType = "deactivated"
	EventReactivated          EventType = "reactivated"
	EventRoleChanged          EventType = "role_changed"
)

// SecurityEvent is one entry of an account's history: what happened, when,
// from where, in which session, and who did it when it was not the owner (an
// admin). It never holds a secret.
type SecurityEvent struct {
	ID        string
	UserID    UserID
	Type      EventType
	CreatedAt time.Time
	IP        string
	UserAgent string
	SessionID SessionID
	ActorID   UserID // the admin who acted; empty when the owner did
}
