-- The signing keys of the key ring. Rows are only inserted; a key's state
-- (next, signing, retiring, retired) is derived from activates_at, the next
-- key's activates_at and the access-token lifetime. private_key is the sealed
-- Ed25519 seed (bound to the kid), public_key the raw public key.

-- +goose Up
CREATE TABLE signing_keys (
    kid          VARCHAR(64) COLLATE "C" NOT NULL,
    algorithm    VARCHAR(16) COLLATE "C" NOT NULL,
    private_key  BYTEA       NOT NULL,
    public_key   BYTEA       NOT NULL,
    created_at   BIGINT      NOT NULL,
    activates_at BIGINT      NOT NULL,
    CONSTRAINT signing_keys_kid UNIQUE (kid)
);

-- +goose Down
DROP TABLE signing_keys;
