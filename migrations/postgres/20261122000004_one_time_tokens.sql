-- Hashes of emailed one-time secrets (verification and reset tokens, reset codes).

-- +goose Up
CREATE TABLE one_time_tokens (
    id         VARCHAR(36) COLLATE "C" NOT NULL,
    hash       BYTEA       NOT NULL,
    purpose    VARCHAR(32) COLLATE "C" NOT NULL,
    user_id    VARCHAR(36) COLLATE "C" NOT NULL,
    created_at BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    used_at    BIGINT      NULL,
    attempts   INTEGER     NOT NULL DEFAULT 0,
    CONSTRAINT one_time_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT one_time_tokens_purpose_hash UNIQUE (purpose, hash),
    CONSTRAINT one_time_tokens_hash_length CHECK (octet_length(hash) <= 64),
    CONSTRAINT one_time_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX one_time_tokens_user_purpose ON one_time_tokens (user_id, purpose, created_at);
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);

-- +goose Down
DROP TABLE one_time_tokens;
