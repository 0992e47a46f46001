-- Events counted per key over time (reset mails per account, wrong codes per
-- account), so limits hold across instances and restarts. The SQLite columns
-- key and at are event_key and occurred_at here: KEY is a reserved word.

-- +goose Up
CREATE TABLE attempts (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    event_key   VARCHAR(255) NOT NULL,
    occurred_at BIGINT       NOT NULL,
    PRIMARY KEY (id),
    KEY attempts_key_at (event_key, occurred_at),
    KEY attempts_at (occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE attempts;
