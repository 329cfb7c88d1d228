-- The API acts on complaints (December 2026).
--
-- What each token may do, space-separated: `read` (read complaints), `file` (file new ones),
-- `act` (take staff's actions on them), `admin` (all of these). Tokens made before scopes
-- existed could read and file, and keep exactly that.
ALTER TABLE api_tokens ADD COLUMN scopes text NOT NULL DEFAULT 'read file';

-- The answers to requests sent with an `Idempotency-Key`, per token, for a day: the same key
-- and request get the same answer and write nothing twice. `status` is null while the first
-- request is still being answered.
CREATE TABLE api_idempotency
(
    token_id    uuid        NOT NULL,
    key         text        NOT NULL,
    fingerprint text        NOT NULL,
    status      integer,
    body        text,
    location    text,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
