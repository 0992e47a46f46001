-- The signing keys of the key ring. Rows are only inserted; a key's state
-- (next, signing, retiring, retired) is derived from activates_at, the next
-- key's activates_at and the access-token lifetime. private_key is the sealed
-- Ed25519 seed (bound to the kid), public_key the raw public key.

-- +goose Up
CREATE TABLE signing_keys (
    kid          VARCHAR(64)    NOT NULL,
    algorithm    VARCHAR(16)    NOT NULL,
    private_key  VARBINARY(512) NOT NULL,
    public_key   VARBINARY(64)  NOT NULL,
    created_at   BIGINT         NOT NULL,
    activates_at BIGINT         NOT NULL,
    UNIQUE KEY signing_keys_kid (kid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE signing_keys;
