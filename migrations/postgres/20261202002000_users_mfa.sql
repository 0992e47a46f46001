-- Multi-factor sign-in: whether an account needs a second factor, and since when.

-- +goose Up
ALTER TABLE users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN mfa_enabled_at BIGINT NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN mfa_enabled_at;
ALTER TABLE users DROP COLUMN mfa_enabled;
