-- The history of every account: what happened, when, from where, in which
-- session, and which admin did it. Ids are time-ordered (UUIDv7), so the
-- primary key orders the history and carries the cursor.

-- +goose Up
CREATE TABLE security_events (
    id         VARCHAR(36)  NOT NULL,
    user_id    VARCHAR(36)  NOT NULL,
    type       VARCHAR(64)  NOT NULL,
    created_at BIGINT       NOT NULL,
    ip         VARCHAR(64)  NOT NULL DEFAULT '',
    user_agent VARCHAR(512) NOT NULL DEFAULT '',
    session_id VARCHAR(36)  NOT NULL DEFAULT '',
    actor_id   VARCHAR(36)  NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    KEY security_events_user (user_id, id),
    KEY security_events_created_at (created_at),
    CONSTRAINT security_events_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE security_events;
