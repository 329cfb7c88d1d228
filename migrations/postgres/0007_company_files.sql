-- Company and contact files ("a file for each company and each of its major figures").

-- One row per company: opened by staff, or by the complaint list projector the first time a
-- complaint names the company. Staff keep the tier and notes; a rebuild never touches them.
CREATE TABLE companies
(
    company_id uuid PRIMARY KEY,
    name       text        NOT NULL,
    tier       text        NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'key_account')),
    notes      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz,
    updated_by text
);
CREATE INDEX companies_name ON companies (lower(name));

-- Complaint counts per company, kept by the complaint list projector (rebuilt with it).
CREATE TABLE company_activity
(
    company_id         uuid PRIMARY KEY,
    complaints         bigint      NOT NULL,
    open_complaints    bigint      NOT NULL,
    last_received_at   timestamptz NOT NULL,
    satisfaction_total bigint      NOT NULL,
    satisfaction_count bigint      NOT NULL
);

-- What staff note about a customer (a company's contact). Personal data: deleted when the
-- customer is erased.
CREATE TABLE contacts
(
    customer_id uuid PRIMARY KEY,
    major       boolean     NOT NULL DEFAULT FALSE,
    title       text        NOT NULL DEFAULT '',
    notes       text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL,
    updated_by  text        NOT NULL
);

ALTER TABLE complaint_list ADD COLUMN company_id uuid;
ALTER TABLE complaint_list ADD COLUMN tier text NOT NULL DEFAULT 'standard';
ALTER TABLE complaint_list ADD COLUMN customer_phone text;
ALTER TABLE complaint_list ADD COLUMN satisfaction_score integer;
CREATE INDEX complaint_list_company ON complaint_list (company_id, received_at DESC);

-- Company ids are derived in Rust: the complaint list is rebuilt from the events.
DELETE FROM complaint_list;
DELETE FROM complaint_categories;
DELETE FROM projector_checkpoints WHERE name = 'complaint_list';
