-- Outgoing mail, written in the transaction of the change that causes it and
-- drained by the dispatcher. A message is due when it is neither sent nor dead,
-- next_attempt_at has come and no lease is live (lease_until IS NULL or past).
-- outbox_pending serves the claim: pending rows (sent_at and dead_at NULL) in
-- claim order, so a claim reads and locks about as many rows as it returns
-- instead of every due row. TEXT columns take no literal DEFAULT on MySQL, so
-- every insert names them.

-- +goose Up
CREATE TABLE outbox (
    id              VARCHAR(36)  NOT NULL,
    recipient       VARCHAR(254) NOT NULL,
    subject         TEXT         NOT NULL,
    text_body       MEDIUMTEXT   NOT NULL,
    html_body       MEDIUMTEXT   NOT NULL,
    created_at      BIGINT       NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at BIGINT       NOT NULL,
    lease_until     BIGINT       NULL,
    sent_at         BIGINT       NULL,
    dead_at         BIGINT       NULL,
    last_error      TEXT         NOT NULL,
    PRIMARY KEY (id),
    KEY outbox_pending (sent_at, dead_at, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE outbox;
