-- Events counted per key over time (reset mails per account, wrong codes per account),
-- so limits hold across instances and restarts.

-- +goose Up
CREATE TABLE attempts (
    id  INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
) STRICT;

CREATE INDEX attempts_key_at ON attempts (key, at);
CREATE INDEX attempts_at ON attempts (at);

-- +goose Down
DROP TABLE attempts;
