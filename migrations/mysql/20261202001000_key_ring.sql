-- The key ring's one row: the server HMAC key (sealed), created once by the
-- first instance. The fixed id under a unique key makes that creation
-- race-safe: a second instance's insert fails as a duplicate and it reads the
-- first one's row. (InnoDB clusters on that NOT NULL unique key; it is not
-- declared PRIMARY so every engine names the violation key_ring_id.)

-- +goose Up
CREATE TABLE key_ring (
    id         VARCHAR(16)    NOT NULL,
    hmac_key   VARBINARY(512) NOT NULL,
    created_at BIGINT         NOT NULL,
    UNIQUE KEY key_ring_id (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE key_ring;
