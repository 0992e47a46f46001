-- Keyed hashes of single-use recovery codes.

-- +goose Up
CREATE TABLE recovery_codes (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE UNIQUE INDEX recovery_codes_user_hash ON recovery_codes (user_id, hash);

-- +goose Down
DROP TABLE recovery_codes;
