-- Key accounts kept close (the voice of the customer), December 2026.
--
-- Who owns each account: the member of staff who keeps in touch with the company and is
-- reminded when the next meeting is due.
CREATE TABLE account_owners
(
    company_id uuid PRIMARY KEY,
    owner_id   uuid        NOT NULL,
    owner_name text        NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text        NOT NULL
);

-- Meetings and calls with a company: when, with which of its contacts (a customer) and who
-- else, what was agreed, and when the next one is due. `who` and `agreed` are personal data
-- of the contact met: blanked (and `erased` set) when that customer is erased.
CREATE TABLE company_meetings
(
    id          uuid PRIMARY KEY,
    company_id  uuid        NOT NULL,
    held_on     date        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('meeting', 'call')),
    contact_id  uuid,
    who         text        NOT NULL,
    agreed      text        NOT NULL,
    next_due    date,
    recorded_at timestamptz NOT NULL,
    recorded_by text        NOT NULL,
    erased      boolean     NOT NULL DEFAULT false
);
CREATE INDEX company_meetings_company ON company_meetings (company_id, held_on DESC);
CREATE INDEX company_meetings_contact ON company_meetings (contact_id) WHERE contact_id IS NOT NULL;
