-- Accounts. Every text column of this store uses the "C" collation: comparisons
-- and orderings are bytewise, as in SQLite and MySQL's utf8mb4_bin, whatever
-- locale the cluster was created with, so that no two emails that differ only
-- by accent or case fold together (emails are stored normalised, trimmed and
-- lower case) and ties are broken the same way on every store. Times are
-- BIGINT unix milliseconds (UTC), so that comparisons are plain integer
-- comparisons and no time zone setting can shift them. Column lengths are
-- those of the MySQL store (characters here, bytes there: room above the
-- domain's limits either way). Unique constraints are named <table>_<columns>:
-- the store recognises a duplicate email by that name.

-- +goose Up
CREATE TABLE users (
    id             VARCHAR(36)   COLLATE "C" NOT NULL,
    email          VARCHAR(254)  COLLATE "C" NOT NULL,
    password_hash  VARCHAR(255)  COLLATE "C" NOT NULL,
    first_name     VARCHAR(255)  COLLATE "C" NOT NULL DEFAULT '',
    last_name      VARCHAR(255)  COLLATE "C" NOT NULL DEFAULT '',
    phone          VARCHAR(32)   COLLATE "C" NOT NULL DEFAULT '',
    gender         VARCHAR(128)  COLLATE "C" NOT NULL DEFAULT '',
    profile_image  VARCHAR(2048) COLLATE "C" NOT NULL DEFAULT '',
    role           VARCHAR(64)   COLLATE "C" NOT NULL,
    email_verified BOOLEAN       NOT NULL DEFAULT FALSE,
    deactivated_at BIGINT        NULL,
    created_at     BIGINT        NOT NULL,
    updated_at     BIGINT        NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email UNIQUE (email)
);

-- +goose Down
DROP TABLE users;
