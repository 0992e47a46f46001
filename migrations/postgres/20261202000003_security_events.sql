-- The history of every account: what happened, when, from where, in which
-- session, and which admin did it. Ids are time-ordered (UUIDv7), so the
-- primary key orders the history and carries the cursor.

-- +goose Up
CREATE TABLE security_events (
    id         VARCHAR(36)  COLLATE "C" NOT NULL,
    user_id    VARCHAR(36)  COLLATE "C" NOT NULL,
    type       VARCHAR(64)  COLLATE "C" NOT NULL,
    created_at BIGINT       NOT NULL,
    ip         VARCHAR(64)  COLLATE "C" NOT NULL DEFAULT '',
    user_agent VARCHAR(512) COLLATE "C" NOT NULL DEFAULT '',
    session_id VARCHAR(36)  COLLATE "C" NOT NULL DEFAULT '',
    actor_id   VARCHAR(36)  COLLATE "C" NOT NULL DEFAULT '',
    CONSTRAINT security_events_pkey PRIMARY KEY (id),
    CONSTRAINT security_events_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX security_events_user ON security_events (user_id, id);
CREATE INDEX security_events_created_at ON security_events (created_at);

-- +goose Down
DROP TABLE security_events;
