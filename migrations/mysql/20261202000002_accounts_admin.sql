-- Email change, the admin list and security events: when an account last
-- logged in, what a one-time token carries (the new address of an email
-- change), an index for the admin filters. One statement per migration file
-- would be safest for MySQL's non-transactional DDL; each ALTER here is
-- idempotent in effect and small.

-- +goose Up
ALTER TABLE users ADD COLUMN last_login_at BIGINT NULL, ADD KEY users_role (role, deactivated_at);

-- +goose Down
ALTER TABLE users DROP KEY users_role, DROP COLUMN last_login_at;
