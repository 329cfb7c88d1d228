-- Staff accounts. Not event-sourced: they are who may act, not what happened to a complaint;
-- events keep the staff member's id and name as they were.
CREATE TABLE staff_accounts
(
    id            uuid PRIMARY KEY,
    email         text        NOT NULL UNIQUE,
    name          text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('agent', 'manager', 'admin')),
    password_hash text        NOT NULL,
    active        boolean     NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Failed sign-ins, to slow down guessing.
CREATE TABLE sign_in_failures
(
    email     text        NOT NULL,
    failed_at timestamptz NOT NULL
);

CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
