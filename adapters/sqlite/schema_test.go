package sqlite

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"authd/adapters/internal/sqlstore"
	"authd/domain"
)

func TestSchemaAtStart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")

	_, _, err := Open(ctx, Config{DSN: path, SkipMigrations: true}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "AUTH_MIGRATE=false") || !strings.Contains(err.Error(), "authd migrate up") {
		t.Fatalf("a fresh database without migrating must be refused, got %v", err)
	}
	st, err := MigrationStatus(ctx, Config{DSN: path})
	if err != nil || len(st) == 0 || st[0].State != goose.StatePending {
		t.Fatalf("status before migrating: %v %v", st, err)
	}

	_, cleanup, err := Open(ctx, Config{DSN: path}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cleanup()
	st, err = MigrationStatus(ctx, Config{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.State != goose.StateApplied || s.AppliedAt.IsZero() {
			t.Fatalf("after Open every migration is applied: %+v", s)
		}
	}
	_, cleanup, err = Open(ctx, Config{DSN: path, SkipMigrations: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("a current schema opens without migrating: %v", err)
	}
	cleanup()

	// Root ignores file modes, so the read-only database is the driver's mode=ro.
	_, _, err = Open(ctx, Config{DSN: "file:" + path + "?mode=ro"}, slog.New(slog.DiscardHandler))
	if !errors.Is(err, sqlstore.ErrReadOnly) || errors.Is(err, domain.ErrUnavailable) ||
		!strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "AUTH_DB_DSN") {
		t.Fatalf("a read-only database must be named as such, got %v", err)
	}
}
