-- Single sign-on and passkeys: see migrations/postgres/0028_sso_and_passkeys.sql.
ALTER TABLE staff_accounts ADD COLUMN sso_only BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE staff_passkeys
(
    id            BLOB PRIMARY KEY,
    account_id    BLOB NOT NULL REFERENCES staff_accounts (id),
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT
);
CREATE INDEX staff_passkeys_account ON staff_passkeys (account_id);
