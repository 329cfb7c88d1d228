-- The API acts on complaints: see migrations/postgres/0025_api_scopes_and_idempotency.sql.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read file';

CREATE TABLE api_idempotency
(
    token_id    BLOB    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    status      INTEGER,
    body        TEXT,
    location    TEXT,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
