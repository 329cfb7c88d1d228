-- Key accounts kept close: see migrations/postgres/0031_key_accounts.sql.
CREATE TABLE account_owners
(
    company_id BLOB PRIMARY KEY,
    owner_id   BLOB NOT NULL,
    owner_name TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE company_meetings
(
    id          BLOB PRIMARY KEY,
    company_id  BLOB    NOT NULL,
    held_on     TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('meeting', 'call')),
    contact_id  BLOB,
    who         TEXT    NOT NULL,
    agreed      TEXT    NOT NULL,
    next_due    TEXT,
    recorded_at TEXT    NOT NULL,
    recorded_by TEXT    NOT NULL,
    erased      BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX company_meetings_company ON company_meetings (company_id, held_on DESC);
CREATE INDEX company_meetings_contact ON company_meetings (contact_id) WHERE contact_id IS NOT NULL;
