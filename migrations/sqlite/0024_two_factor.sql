-- Two-factor sign-in: see migrations/postgres/0024_two_factor.sql.
CREATE TABLE staff_totp
(
    account_id BLOB PRIMARY KEY REFERENCES staff_accounts (id),
    secret     TEXT    NOT NULL,
    enabled_at TEXT    NOT NULL,
    last_step  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff_recovery_codes
(
    account_id BLOB NOT NULL REFERENCES staff_accounts (id),
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE two_factor_roles
(
    role TEXT PRIMARY KEY CHECK (role IN ('agent', 'manager', 'admin'))
);
