-- Company and contact files ("a file for each company and each of its major figures").

-- One row per company: opened by staff, or by the complaint list projector the first time a
-- complaint names the company. Staff keep the tier and notes; a rebuild never touches them.
CREATE TABLE companies
(
    company_id BLOB PRIMARY KEY,
    name       TEXT NOT NULL,
    tier       TEXT NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'key_account')),
    notes      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT,
    updated_by TEXT
);
CREATE INDEX companies_name ON companies (name COLLATE NOCASE);

-- Complaint counts per company, kept by the complaint list projector (rebuilt with it).
CREATE TABLE company_activity
(
    company_id         BLOB PRIMARY KEY,
    complaints         INTEGER NOT NULL,
    open_complaints    INTEGER NOT NULL,
    last_received_at   TEXT    NOT NULL,
    satisfaction_total INTEGER NOT NULL,
    satisfaction_count INTEGER NOT NULL
);

-- What staff note about a customer (a company's contact). Personal data: deleted when the
-- customer is erased.
CREATE TABLE contacts
(
    customer_id BLOB PRIMARY KEY,
    major       INTEGER NOT NULL DEFAULT 0,
    title       TEXT    NOT NULL DEFAULT '',
    notes       TEXT    NOT NULL DEFAULT '',
    updated_at  TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL
);

ALTER TABLE complaint_list ADD COLUMN company_id BLOB;
ALTER TABLE complaint_list ADD COLUMN tier TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE complaint_list ADD COLUMN customer_phone TEXT;
ALTER TABLE complaint_list ADD COLUMN satisfaction_score INTEGER;
CREATE INDEX complaint_list_company ON complaint_list (company_id, received_at DESC);

-- Company ids are derived in Rust: the complaint list is rebuilt from the events.
DELETE FROM complaint_list;
DELETE FROM complaint_categories;
DELETE FROM projector_checkpoints WHERE name = 'complaint_list';
