-- Events counted per key over time (reset mails per account, wrong codes per
-- account), so limits hold across instances and restarts.

-- +goose Up
CREATE TABLE attempts (
    id          BIGINT       GENERATED ALWAYS AS IDENTITY,
    event_key   VARCHAR(255) COLLATE "C" NOT NULL,
    occurred_at BIGINT       NOT NULL,
    CONSTRAINT attempts_pkey PRIMARY KEY (id)
);
CREATE INDEX attempts_key_at ON attempts (event_key, occurred_at);
CREATE INDEX attempts_at ON attempts (occurred_at);

-- +goose Down
DROP TABLE attempts;
