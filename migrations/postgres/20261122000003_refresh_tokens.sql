-- Hashes of refresh tokens; rotated_at is set when a token is exchanged, and a
-- rotation is one conditional UPDATE on rotated_at IS NULL.

-- +goose Up
CREATE TABLE refresh_tokens (
    hash       BYTEA       NOT NULL,
    session_id VARCHAR(36) COLLATE "C" NOT NULL,
    created_at BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    rotated_at BIGINT      NULL,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (hash),
    CONSTRAINT refresh_tokens_hash_length CHECK (octet_length(hash) <= 64),
    CONSTRAINT refresh_tokens_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

-- +goose Down
DROP TABLE refresh_tokens;
