-- Login sessions, one per login on one device. sessions_user_id leads with
-- (user_id, revoked_at) so that listing and revoking a user's unrevoked
-- sessions reads, and locks, only that user's rows, in created_at order; it
-- also serves the foreign key's cascade, which PostgreSQL does not index by
-- itself.

-- +goose Up
CREATE TABLE sessions (
    id                 VARCHAR(36)  COLLATE "C" NOT NULL,
    user_id            VARCHAR(36)  COLLATE "C" NOT NULL,
    created_at         BIGINT       NOT NULL,
    last_used_at       BIGINT       NOT NULL,
    expires_at         BIGINT       NOT NULL,
    refresh_expires_at BIGINT       NOT NULL,
    revoked_at         BIGINT       NULL,
    user_agent         VARCHAR(512) COLLATE "C" NOT NULL DEFAULT '',
    ip                 VARCHAR(64)  COLLATE "C" NOT NULL DEFAULT '',
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_id ON sessions (user_id, revoked_at, created_at);
CREATE INDEX sessions_revoked_at ON sessions (revoked_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_refresh_expires_at ON sessions (refresh_expires_at);

-- +goose Down
DROP TABLE sessions;
