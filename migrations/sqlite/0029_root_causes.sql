-- Root causes and corrective actions: see migrations/postgres/0029_root_causes.sql.
CREATE TABLE root_causes
(
    code       TEXT PRIMARY KEY,
    category   TEXT,
    name_en    TEXT    NOT NULL,
    name_es    TEXT    NOT NULL,
    name_ro    TEXT    NOT NULL,
    name_zh    TEXT    NOT NULL,
    retired    BOOLEAN NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL
);

CREATE TABLE corrective_actions
(
    id         BLOB PRIMARY KEY,
    cause      TEXT NOT NULL,
    what       TEXT NOT NULL,
    owner_id   BLOB NOT NULL,
    owner_name TEXT NOT NULL,
    due_on     TEXT NOT NULL,
    opened_at  TEXT NOT NULL,
    opened_by  TEXT NOT NULL,
    done_at    TEXT
);
CREATE INDEX corrective_actions_cause ON corrective_actions (cause);

CREATE TABLE complaint_root_causes
(
    reference TEXT NOT NULL,
    cause     TEXT NOT NULL,
    PRIMARY KEY (reference, cause)
);
CREATE INDEX complaint_root_causes_cause ON complaint_root_causes (cause, reference);
