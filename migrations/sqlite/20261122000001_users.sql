-- Accounts. Times are INTEGER unix milliseconds (UTC), so comparisons are plain
-- integer comparisons. email is stored normalised (trimmed, lower case).

-- +goose Up
CREATE TABLE users (
    id             TEXT    NOT NULL PRIMARY KEY,
    email          TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    first_name     TEXT    NOT NULL DEFAULT '',
    last_name      TEXT    NOT NULL DEFAULT '',
    phone          TEXT    NOT NULL DEFAULT '',
    gender         TEXT    NOT NULL DEFAULT '',
    profile_image  TEXT    NOT NULL DEFAULT '',
    role           TEXT    NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    deactivated_at INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX users_email ON users (email);

-- +goose Down
DROP TABLE users;
