-- Hashes of emailed one-time secrets (verification and reset tokens, reset codes).

-- +goose Up
CREATE TABLE one_time_tokens (
    id         VARCHAR(36)   NOT NULL,
    hash       VARBINARY(64) NOT NULL,
    purpose    VARCHAR(32)   NOT NULL,
    user_id    VARCHAR(36)   NOT NULL,
    created_at BIGINT        NOT NULL,
    expires_at BIGINT        NOT NULL,
    used_at    BIGINT        NULL,
    attempts   INT           NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY one_time_tokens_purpose_hash (purpose, hash),
    KEY one_time_tokens_user_purpose (user_id, purpose, created_at),
    KEY one_time_tokens_expires_at (expires_at),
    CONSTRAINT one_time_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE one_time_tokens;
