-- A forgotten password: each request a row, whose link (its id and an HMAC of it under an
-- instance secret) goes out through the outbox; used once, within its time.
CREATE TABLE password_resets
(
    id         text        PRIMARY KEY,
    staff_id   uuid        NOT NULL REFERENCES staff_accounts (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_staff ON password_resets (staff_id);
