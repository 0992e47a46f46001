-- Authenticator enrolments: the confirmed and the pending TOTP secret (sealed
-- with AUTH_KEY_ENCRYPTION_KEY when set) and the last time step accepted.

-- +goose Up
CREATE TABLE totp_enrolments (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       BLOB,
    pending      BLOB,
    pending_at   INTEGER,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE totp_enrolments;
