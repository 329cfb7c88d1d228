-- Root causes and corrective actions (the voice of the customer), December 2026.
--
-- The root causes admins keep: a code (as complaints record it), the managed category it is
-- grouped under (or none), its name in the four languages, whether it is still offered.
CREATE TABLE root_causes
(
    code       text PRIMARY KEY,
    category   text,
    name_en    text        NOT NULL,
    name_es    text        NOT NULL,
    name_ro    text        NOT NULL,
    name_zh    text        NOT NULL,
    retired    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);

-- What a manager decided will change so that a cause brings fewer complaints: who owns it, by
-- when, and when it was done.
CREATE TABLE corrective_actions
(
    id         uuid PRIMARY KEY,
    cause      text        NOT NULL,
    what       text        NOT NULL,
    owner_id   uuid        NOT NULL,
    owner_name text        NOT NULL,
    due_on     date        NOT NULL,
    opened_at  timestamptz NOT NULL,
    opened_by  text        NOT NULL,
    done_at    timestamptz
);
CREATE INDEX corrective_actions_cause ON corrective_actions (cause);

-- Each complaint's root causes as its latest RootCausesRecorded event names them (the
-- complaint list's projector; rebuilt with it).
CREATE TABLE complaint_root_causes
(
    reference text NOT NULL,
    cause     text NOT NULL,
    PRIMARY KEY (reference, cause)
);
CREATE INDEX complaint_root_causes_cause ON complaint_root_causes (cause, reference);
