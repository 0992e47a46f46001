-- The key ring's one row: the server HMAC key (sealed), created once by the
-- first instance. The fixed id under a unique index makes that creation
-- race-safe: a second instance's insert fails as a duplicate and it reads the
-- first one's row. (A unique index, not the primary key, so every engine names
-- the violation key_ring_id.)

-- +goose Up
CREATE TABLE key_ring (
    id         TEXT    NOT NULL,
    hmac_key   BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX key_ring_id ON key_ring (id);

-- +goose Down
DROP TABLE key_ring;
