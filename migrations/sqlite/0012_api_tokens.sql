-- API tokens for integrations. Only a SHA-256 of each token is kept; the token itself is
-- shown once, when an admin creates it.
CREATE TABLE api_tokens
(
    id           BLOB PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
