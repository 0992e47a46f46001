-- Login sessions, one per login on one device. sessions_user_id leads with
-- (user_id, revoked_at) so that listing and revoking a user's unrevoked
-- sessions reads, and locks, only that user's rows, in created_at order.

-- +goose Up
CREATE TABLE sessions (
    id                 VARCHAR(36)  NOT NULL,
    user_id            VARCHAR(36)  NOT NULL,
    created_at         BIGINT       NOT NULL,
    last_used_at       BIGINT       NOT NULL,
    expires_at         BIGINT       NOT NULL,
    refresh_expires_at BIGINT       NOT NULL,
    revoked_at         BIGINT       NULL,
    user_agent         VARCHAR(512) NOT NULL DEFAULT '',
    ip                 VARCHAR(64)  NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    KEY sessions_user_id (user_id, revoked_at, created_at),
    KEY sessions_revoked_at (revoked_at),
    KEY sessions_expires_at (expires_at),
    KEY sessions_refresh_expires_at (refresh_expires_at),
    CONSTRAINT sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE sessions;
