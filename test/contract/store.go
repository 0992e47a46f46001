package contract

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"authd/domain"
	"authd/ports"
)

// Store is one storage implementation under test: the ports it provides, all
// sharing one database so that transactions span them.
type Store struct {
	Tx       ports.Transactor
	Users    ports.UserRepository
	Sessions ports.SessionRepository
	Tokens   ports.OneTimeTokenRepository
	Outbox   ports.Outbox
	Attempts ports.AttemptLog
	Events   ports.SecurityEventLog
	// TOTP and RecoveryCodes are the multi-factor sign-in stores.
	TOTP          ports.TOTPRepository
	RecoveryCodes ports.RecoveryCodeRepository
	KeyRing       ports.KeyRing
	// SQL is the database under a SQL store, for the schema suite's looks at
	// stored rows; nil for stores that are no database.
	SQL *sqlx.DB
}

// base is the fixed "now" of every suite; it has a millisecond part so that
// truncation to seconds would be caught.
var base = time.Date(2026, time.November, 22, 10, 0, 0, 250_000_000, time.UTC)

// elsewhere is a non-UTC zone for times handed to a store, to catch adapters that
// store wall-clock readings instead of instants.
var elsewhere = time.FixedZone("UTC+5:30", 5*3600+30*60)

// newID returns a random UUID (version 4) string, the shape of every id in authd.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newHash returns a random 32-byte hash, the shape of a stored token hash.
func newHash() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// ctx returns the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }

// must fails the test when err is not nil.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// sameTime fails the test unless got and want are the same instant.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.UTC().Equal(want.UTC()) {
		t.Errorf("%s = %s, want %s", what, got.UTC().Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
	}
}

// sameOptTime fails the test unless got and want are both nil or the same instant.
func sameOptTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, fmtOpt(got), fmtOpt(want))
	default:
		sameTime(t, what, *got, *want)
	}
}

func fmtOpt(p *time.Time) string {
	if p == nil {
		return "nil"
	}
	return p.UTC().Format(time.RFC3339Nano)
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// newUser returns a valid, not yet stored user with the given email.
func newUser(email string) *domain.User {
	return &domain.User{
		ID:           domain.UserID(newID()),
		Email:        domain.MustEmail(email),
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		Role:         "customer",
		CreatedAt:    base,
		UpdatedAt:    base,
	}
}

// createUser stores a fresh user with a unique email and returns it.
func createUser(t *testing.T, s Store) *domain.User {
	t.Helper()
	u := newUser("user-" + newID()[:8] + "@example.com")
	must(t, s.Users.Create(ctx(t), u), "create user")
	return u
}
