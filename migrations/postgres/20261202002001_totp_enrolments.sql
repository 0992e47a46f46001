-- Authenticator enrolments: the confirmed and the pending TOTP secret (sealed
-- with AUTH_KEY_ENCRYPTION_KEY when set) and the last time step accepted.

-- +goose Up
CREATE TABLE totp_enrolments (
    user_id      VARCHAR(36) COLLATE "C" NOT NULL,
    secret       BYTEA       NULL,
    pending      BYTEA       NULL,
    pending_at   BIGINT      NULL,
    confirmed_at BIGINT      NULL,
    last_step    BIGINT      NOT NULL DEFAULT 0,
    updated_at   BIGINT      NOT NULL,
    CONSTRAINT totp_enrolments_pkey PRIMARY KEY (user_id),
    CONSTRAINT totp_enrolments_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE totp_enrolments;
