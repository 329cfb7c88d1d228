-- The event stream, as sqlite-es expects it, plus the global order.
-- SQLite has a single writer, so positions handed out by the trigger follow commit order.
-- The primary key stays as sqlite-es wants it: its violation (code 1555) is how two writers
-- on one complaint are detected.
CREATE TABLE events
(
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    sequence        INTEGER NOT NULL CHECK (sequence >= 0),
    event_type      TEXT    NOT NULL,
    event_version   TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    global_position INTEGER,
    recorded_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_global_position ON events (global_position);

CREATE TRIGGER events_assign_global_position AFTER INSERT ON events
BEGIN
    UPDATE events
       SET global_position = (SELECT COALESCE(MAX(global_position), 0) + 1 FROM events)
     WHERE rowid = NEW.rowid;
END;

-- Only needed by cqrs-es snapshot mode, which Redress does not use (it applies events twice in
-- 0.5.0); kept so the repository finds the table it names.
CREATE TABLE snapshots
(
    aggregate_type   TEXT    NOT NULL,
    aggregate_id     TEXT    NOT NULL,
    last_sequence    INTEGER NOT NULL CHECK (last_sequence >= 0),
    current_snapshot INTEGER NOT NULL CHECK (current_snapshot >= 0),
    payload          TEXT    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- One key per customer seals their personal data; deleting the row erases it for good.
CREATE TABLE customer_keys
(
    customer_id  BLOB PRIMARY KEY,
    email_digest BLOB NOT NULL UNIQUE,
    sealing_key  BLOB NOT NULL,
    created_at   TEXT NOT NULL
);

-- Secrets this installation generates for itself on first start.
CREATE TABLE instance_secrets
(
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Where each catch-up projector has got to in the global order.
CREATE TABLE projector_checkpoints
(
    name           TEXT PRIMARY KEY,
    position       INTEGER NOT NULL DEFAULT 0,
    transaction_id INTEGER NOT NULL DEFAULT 0,
    updated_at     TEXT
);

CREATE TABLE complaint_list
(
    reference               TEXT PRIMARY KEY,
    customer_id             BLOB    NOT NULL,
    customer_name           TEXT,
    customer_email          TEXT,
    company                 TEXT,
    language                TEXT    NOT NULL,
    channel                 TEXT    NOT NULL,
    category                TEXT    NOT NULL,
    summary                 TEXT    NOT NULL,
    priority                TEXT    NOT NULL,
    status                  TEXT    NOT NULL,
    step                    TEXT    NOT NULL,
    acknowledged            INTEGER NOT NULL,
    investigation_concluded INTEGER NOT NULL,
    action_committed        INTEGER NOT NULL,
    owner_named             INTEGER NOT NULL,
    resolved                INTEGER NOT NULL,
    closed                  INTEGER NOT NULL,
    waiting_on_customer     INTEGER NOT NULL,
    owner_id                BLOB,
    owner_name              TEXT,
    outcome                 TEXT,
    received_at             TEXT    NOT NULL,
    acknowledged_at         TEXT,
    last_contact_at         TEXT    NOT NULL,
    customer_informed_at    TEXT,
    updated_at              TEXT    NOT NULL,
    personal_data_erased    INTEGER NOT NULL,
    event_count             INTEGER NOT NULL,
    last_position           INTEGER NOT NULL
);

CREATE INDEX complaint_list_received_at ON complaint_list (received_at DESC, reference);
CREATE INDEX complaint_list_customer ON complaint_list (customer_id);
CREATE INDEX complaint_list_status ON complaint_list (status, received_at DESC);
