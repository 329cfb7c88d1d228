-- Periodic surveys: see migrations/postgres/0032_surveys.sql.
CREATE TABLE survey_invitations
(
    id            BLOB PRIMARY KEY,
    customer_id   BLOB    NOT NULL,
    company       TEXT,
    language      TEXT    NOT NULL,
    major         BOOLEAN NOT NULL,
    asked_at      TEXT    NOT NULL,
    send_at       TEXT    NOT NULL,
    answered_at   TEXT,
    score         INTEGER,
    would_change  TEXT,
    wants_contact BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX survey_invitations_customer ON survey_invitations (customer_id, asked_at DESC);
CREATE INDEX survey_invitations_answered ON survey_invitations (answered_at) WHERE answered_at IS NOT NULL;

CREATE TABLE survey_opt_outs
(
    customer_id BLOB PRIMARY KEY,
    at          TEXT NOT NULL
);

CREATE TABLE survey_follow_ups
(
    invitation BLOB PRIMARY KEY,
    follow_up  TEXT NOT NULL,
    state      TEXT NOT NULL,
    opened_at  TEXT NOT NULL
);
