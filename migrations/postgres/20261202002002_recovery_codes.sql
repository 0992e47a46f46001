-- Keyed hashes of single-use recovery codes.

-- +goose Up
CREATE TABLE recovery_codes (
    id         VARCHAR(36) COLLATE "C" NOT NULL,
    user_id    VARCHAR(36) COLLATE "C" NOT NULL,
    hash       BYTEA       NOT NULL,
    created_at BIGINT      NOT NULL,
    used_at    BIGINT      NULL,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (id),
    CONSTRAINT recovery_codes_user_hash UNIQUE (user_id, hash),
    CONSTRAINT recovery_codes_hash_length CHECK (octet_length(hash) <= 64),
    CONSTRAINT recovery_codes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE recovery_codes;
