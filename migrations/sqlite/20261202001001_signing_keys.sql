-- The signing keys of the key ring. Rows are only inserted; a key's state
-- (next, signing, retiring, retired) is derived from activates_at, the next
-- key's activates_at and the access-token lifetime. private_key is the sealed
-- Ed25519 seed (bound to the kid), public_key the raw public key.

-- +goose Up
CREATE TABLE signing_keys (
    kid          TEXT    NOT NULL,
    algorithm    TEXT    NOT NULL,
    private_key  BLOB    NOT NULL,
    public_key   BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    activates_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX signing_keys_kid ON signing_keys (kid);

-- +goose Down
DROP TABLE signing_keys;
