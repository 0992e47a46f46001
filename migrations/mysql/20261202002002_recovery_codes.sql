-- Keyed hashes of single-use recovery codes.

-- +goose Up
CREATE TABLE recovery_codes (
    id         VARCHAR(36)   NOT NULL,
    user_id    VARCHAR(36)   NOT NULL,
    hash       VARBINARY(64) NOT NULL,
    created_at BIGINT        NOT NULL,
    used_at    BIGINT        NULL,
    PRIMARY KEY (id),
    UNIQUE KEY recovery_codes_user_hash (user_id, hash),
    CONSTRAINT recovery_codes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE recovery_codes;
