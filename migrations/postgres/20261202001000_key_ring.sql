-- The key ring's one row: the server HMAC key (sealed), created once by the
-- first instance. The fixed id under a unique constraint makes that creation
-- race-safe: a second instance's insert fails as a duplicate and it reads the
-- first one's row. The store recognises the duplicate by the name key_ring_id.

-- +goose Up
CREATE TABLE key_ring (
    id         VARCHAR(16) COLLATE "C" NOT NULL,
    hmac_key   BYTEA       NOT NULL,
    created_at BIGINT      NOT NULL,
    CONSTRAINT key_ring_id UNIQUE (id)
);

-- +goose Down
DROP TABLE key_ring;
