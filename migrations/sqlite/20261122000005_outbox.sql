-- Outgoing mail, written in the transaction of the change that causes it and
-- drained by the dispatcher. A message is due when it is neither sent nor dead,
-- next_attempt_at has come and no lease is live (lease_until IS NULL or past).

-- +goose Up
CREATE TABLE outbox (
    id              TEXT    NOT NULL PRIMARY KEY,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    sent_at         INTEGER,
    dead_at         INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at, created_at) WHERE sent_at IS NULL AND dead_at IS NULL;

-- +goose Down
DROP TABLE outbox;
