-- API tokens for integrations. Only a SHA-256 of each token is kept; the token itself is
-- shown once, when an admin creates it.
CREATE TABLE api_tokens
(
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
