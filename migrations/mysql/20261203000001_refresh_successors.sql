-- A rotation is recorded by the next token alone: it names the token it
-- replaces, and the unique index on replaces lets each token be replaced once,
-- so that of concurrent rotations of one token exactly one is stored. A token
-- is spent when its rotated_at is set (how rotations were recorded before) or
-- a token replaces it. The session's newest token, the last of its chain, gives
-- its current last use and refresh expiry: the index finds it in one step (and
-- serves the foreign key, as refresh_tokens_session_id did). One statement, so
-- that it applies whole or not at all.

-- +goose Up
ALTER TABLE refresh_tokens
    ADD COLUMN replaces VARBINARY(64) NULL,
    ADD UNIQUE KEY refresh_tokens_replaces (replaces),
    ADD KEY refresh_tokens_session_newest (session_id, created_at, expires_at),
    DROP KEY refresh_tokens_session_id;

-- +goose Down
ALTER TABLE refresh_tokens
    ADD KEY refresh_tokens_session_id (session_id),
    DROP KEY refresh_tokens_session_newest,
    DROP KEY refresh_tokens_replaces,
    DROP COLUMN replaces;
