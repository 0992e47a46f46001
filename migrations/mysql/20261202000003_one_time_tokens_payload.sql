-- What a one-time token carries besides its purpose: the new address of an email change.

-- +goose Up
ALTER TABLE one_time_tokens ADD COLUMN payload VARCHAR(254) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE one_time_tokens DROP COLUMN payload;
