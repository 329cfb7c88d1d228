-- Staff accounts. Not event-sourced: they are who may act, not what happened to a complaint;
-- events keep the staff member's id and name as they were.
CREATE TABLE staff_accounts
(
    id            BLOB PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('agent', 'manager', 'admin')),
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

-- Failed sign-ins, to slow down guessing.
CREATE TABLE sign_in_failures
(
    email     TEXT NOT NULL,
    failed_at TEXT NOT NULL
);

CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
