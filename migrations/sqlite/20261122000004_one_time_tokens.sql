-- Hashes of emailed one-time secrets (verification and reset tokens, reset codes).

-- +goose Up
CREATE TABLE one_time_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    hash       BLOB    NOT NULL,
    purpose    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE UNIQUE INDEX one_time_tokens_purpose_hash ON one_time_tokens (purpose, hash);
CREATE INDEX one_time_tokens_user_purpose ON one_time_tokens (user_id, purpose);
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);

-- +goose Down
DROP TABLE one_time_tokens;
