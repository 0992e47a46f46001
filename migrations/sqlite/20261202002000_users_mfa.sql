-- Multi-factor sign-in: whether an account needs a second factor, and since when.

-- +goose Up
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0 CHECK (mfa_enabled IN (0, 1));
ALTER TABLE users ADD COLUMN mfa_enabled_at INTEGER;

-- +goose Down
ALTER TABLE users DROP COLUMN mfa_enabled_at;
ALTER TABLE users DROP COLUMN mfa_enabled;
