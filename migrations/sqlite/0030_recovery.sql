-- Service recovery: see migrations/postgres/0030_recovery.sql.
CREATE TABLE recovery_queue
(
    source     TEXT PRIMARY KEY,
    sequence   INTEGER NOT NULL,
    score      INTEGER NOT NULL,
    scored_at  TEXT    NOT NULL,
    follow_up  TEXT    NOT NULL UNIQUE,
    state      TEXT    NOT NULL DEFAULT 'pending',
    reason     TEXT,
    opened_at  TEXT
);
CREATE INDEX recovery_queue_pending ON recovery_queue (scored_at) WHERE state = 'pending';
