-- A rotation is recorded by the next token alone: it names the token it
-- replaces, and the unique index on replaces lets each token be replaced once,
-- so that of concurrent rotations of one token exactly one is stored. A token
-- is spent when its rotated_at is set (how rotations were recorded before) or
-- a token replaces it. The session's newest token, the last of its chain, gives
-- its current last use and refresh expiry: the index finds it in one step (and
-- serves the foreign key, as refresh_tokens_session_id did).

-- +goose Up
ALTER TABLE refresh_tokens ADD COLUMN replaces BLOB;
CREATE UNIQUE INDEX refresh_tokens_replaces ON refresh_tokens (replaces);
CREATE INDEX refresh_tokens_session_newest ON refresh_tokens (session_id, created_at, expires_at);
DROP INDEX refresh_tokens_session_id;

-- +goose Down
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
DROP INDEX refresh_tokens_session_newest;
DROP INDEX refresh_tokens_replaces;
ALTER TABLE refresh_tokens DROP COLUMN replaces;
