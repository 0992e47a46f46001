-- The attempts columns take the names every store shares (event_key,
-- occurred_at; KEY is a reserved word elsewhere), so one SQL core serves all.

-- +goose Up
ALTER TABLE attempts RENAME COLUMN key TO event_key;
ALTER TABLE attempts RENAME COLUMN at TO occurred_at;

-- +goose Down
ALTER TABLE attempts RENAME COLUMN event_key TO key;
ALTER TABLE attempts RENAME COLUMN occurred_at TO at;
