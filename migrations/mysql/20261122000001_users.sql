-- Accounts. Every table of this store is InnoDB, utf8mb4 with the binary
-- collation: comparisons are exact, as in SQLite, so that no two emails that
-- differ only by accent or case fold together (emails are stored normalised,
-- trimmed and lower case). Times are BIGINT unix milliseconds (UTC), so that
-- comparisons are plain integer comparisons and no time zone setting of the
-- server or the connection can shift them. Column lengths leave room above the
-- domain's limits (a name of 100 characters, a phone of 16, a URL of 2048).

-- +goose Up
CREATE TABLE users (
    id             VARCHAR(36)   NOT NULL,
    email          VARCHAR(254)  NOT NULL,
    password_hash  VARCHAR(255)  NOT NULL,
    first_name     VARCHAR(255)  NOT NULL DEFAULT '',
    last_name      VARCHAR(255)  NOT NULL DEFAULT '',
    phone          VARCHAR(32)   NOT NULL DEFAULT '',
    gender         VARCHAR(128)  NOT NULL DEFAULT '',
    profile_image  VARCHAR(2048) NOT NULL DEFAULT '',
    role           VARCHAR(64)   NOT NULL,
    email_verified BOOLEAN       NOT NULL DEFAULT FALSE,
    deactivated_at BIGINT        NULL,
    created_at     BIGINT        NOT NULL,
    updated_at     BIGINT        NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY users_email (email),
    CONSTRAINT users_email_verified CHECK (email_verified IN (0, 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE users;
