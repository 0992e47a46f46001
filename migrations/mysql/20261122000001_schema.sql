-- The whole schema of the MySQL/MariaDB store, mirroring migrations/sqlite table by table.
-- Times are BIGINT unix milliseconds (UTC); hashes VARBINARY; InnoDB, utf8mb4.

-- +goose Up
CREATE TABLE users (
    id             VARCHAR(36)  NOT NULL PRIMARY KEY,
    email          VARCHAR(254) NOT NULL,
    password_hash  VARCHAR(255) NOT NULL,
    first_name     VARCHAR(400) NOT NULL DEFAULT '',
    last_name      VARCHAR(400) NOT NULL DEFAULT '',
    phone          VARCHAR(16)  NOT NULL DEFAULT '',
    gender         VARCHAR(128) NOT NULL DEFAULT '',
    profile_image  VARCHAR(2048) NOT NULL DEFAULT '',
    role           VARCHAR(64)  NOT NULL,
    email_verified BOOLEAN      NOT NULL DEFAULT FALSE,
    deactivated_at BIGINT       NULL,
    created_at     BIGINT       NOT NULL,
    updated_at     BIGINT       NOT NULL,
    UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
    id                 VARCHAR(36)  NOT NULL PRIMARY KEY,
    user_id            VARCHAR(36)  NOT NULL,
    created_at         BIGINT       NOT NULL,
    last_used_at       BIGINT       NOT NULL,
    expires_at         BIGINT       NOT NULL,
    refresh_expires_at BIGINT       NOT NULL,
    revoked_at         BIGINT       NULL,
    user_agent         VARCHAR(512) NOT NULL DEFAULT '',
    ip                 VARCHAR(64)  NOT NULL DEFAULT '',
    KEY sessions_user_id (user_id, created_at),
    KEY sessions_revoked_at (revoked_at),
    KEY sessions_expires_at (expires_at),
    KEY sessions_refresh_expires_at (refresh_expires_at),
    CONSTRAINT sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE refresh_tokens (
    hash       VARBINARY(64) NOT NULL PRIMARY KEY,
    session_id VARCHAR(36)   NOT NULL,
    created_at BIGINT        NOT NULL,
    expires_at BIGINT        NOT NULL,
    rotated_at BIGINT        NULL,
    KEY refresh_tokens_session_id (session_id),
    CONSTRAINT refresh_tokens_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE one_time_tokens (
    id         VARCHAR(36)   NOT NULL PRIMARY KEY,
    hash       VARBINARY(64) NOT NULL,
    purpose    VARCHAR(32)   NOT NULL,
    user_id    VARCHAR(36)   NOT NULL,
    created_at BIGINT        NOT NULL,
    expires_at BIGINT        NOT NULL,
    used_at    BIGINT        NULL,
    attempts   INT           NOT NULL DEFAULT 0,
    UNIQUE KEY one_time_tokens_purpose_hash (purpose, hash),
    KEY one_time_tokens_user_purpose (user_id, purpose, created_at),
    KEY one_time_tokens_expires_at (expires_at),
    CONSTRAINT one_time_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE outbox (
    id              VARCHAR(36)   NOT NULL PRIMARY KEY,
    recipient       VARCHAR(254)  NOT NULL,
    subject         VARCHAR(998)  NOT NULL,
    text_body       MEDIUMTEXT    NOT NULL,
    html_body       MEDIUMTEXT    NOT NULL,
    created_at      BIGINT        NOT NULL,
    attempts        INT           NOT NULL DEFAULT 0,
    next_attempt_at BIGINT        NOT NULL,
    lease_until     BIGINT        NULL,
    sent_at         BIGINT        NULL,
    dead_at         BIGINT        NULL,
    last_error      TEXT          NOT NULL,
    KEY outbox_due (sent_at, dead_at, next_attempt_at, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE attempts (
    id  BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_key VARCHAR(191) NOT NULL,
    at  BIGINT       NOT NULL,
    KEY attempts_key_at (event_key, at),
    KEY attempts_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE attempts;
DROP TABLE outbox;
DROP TABLE one_time_tokens;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
