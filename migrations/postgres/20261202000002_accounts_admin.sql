-- Email change, the admin list and security events: when an account last
-- logged in, what a one-time token carries (the new address of an email
-- change), an index for the admin filters.

-- +goose Up
ALTER TABLE users ADD COLUMN last_login_at BIGINT NULL;
ALTER TABLE one_time_tokens ADD COLUMN payload VARCHAR(254) COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX users_role ON users (role, deactivated_at);

-- +goose Down
DROP INDEX users_role;
ALTER TABLE one_time_tokens DROP COLUMN payload;
ALTER TABLE users DROP COLUMN last_login_at;
