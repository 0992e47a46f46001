-- Outgoing mail, written in the transaction of the change that causes it and
-- drained by the dispatcher. A message is due when it is neither sent nor dead,
-- next_attempt_at has come and no lease is live (lease_until IS NULL or past).
-- outbox_pending serves the claim: pending rows (sent_at and dead_at NULL) in
-- claim order, so a claim reads and locks about as many rows as it returns
-- instead of every due row.

-- +goose Up
CREATE TABLE outbox (
    id              VARCHAR(36)  COLLATE "C" NOT NULL,
    recipient       VARCHAR(254) COLLATE "C" NOT NULL,
    subject         TEXT         COLLATE "C" NOT NULL,
    text_body       TEXT         COLLATE "C" NOT NULL,
    html_body       TEXT         COLLATE "C" NOT NULL,
    created_at      BIGINT       NOT NULL,
    attempts        INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at BIGINT       NOT NULL,
    lease_until     BIGINT       NULL,
    sent_at         BIGINT       NULL,
    dead_at         BIGINT       NULL,
    last_error      TEXT         COLLATE "C" NOT NULL,
    CONSTRAINT outbox_pkey PRIMARY KEY (id)
);
CREATE INDEX outbox_pending ON outbox (created_at, id) WHERE sent_at IS NULL AND dead_at IS NULL;

-- +goose Down
DROP TABLE outbox;
