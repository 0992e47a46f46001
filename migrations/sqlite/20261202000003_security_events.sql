-- The history of every account: what happened, when, from where, in which
-- session, and which admin did it. Ids are time-ordered (UUIDv7), so the
-- primary key orders the history and carries the cursor.

-- +goose Up
CREATE TABLE security_events (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT '',
    session_id TEXT    NOT NULL DEFAULT '',
    actor_id   TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX security_events_user ON security_events (user_id, id);
CREATE INDEX security_events_created_at ON security_events (created_at);

-- +goose Down
DROP TABLE security_events;
