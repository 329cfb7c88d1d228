-- A forgotten password: each request a row, whose link (its id and an HMAC of it under an
-- instance secret) goes out through the outbox; used once, within its time.
CREATE TABLE password_resets
(
    id         TEXT PRIMARY KEY,
    staff_id   BLOB NOT NULL REFERENCES staff_accounts (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX password_resets_staff ON password_resets (staff_id);
