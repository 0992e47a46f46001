-- Hashes of refresh tokens; rotated_at is set when a token is exchanged, and a
-- rotation is one conditional UPDATE on rotated_at IS NULL.

-- +goose Up
CREATE TABLE refresh_tokens (
    hash       VARBINARY(64) NOT NULL,
    session_id VARCHAR(36)   NOT NULL,
    created_at BIGINT        NOT NULL,
    expires_at BIGINT        NOT NULL,
    rotated_at BIGINT        NULL,
    PRIMARY KEY (hash),
    KEY refresh_tokens_session_id (session_id),
    CONSTRAINT refresh_tokens_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE refresh_tokens;
