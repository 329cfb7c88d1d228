-- The outbox: one row per email a customer is owed, written by the outbox projector in the
-- same transaction as its checkpoint. The row holds no personal data: the sender renders
-- the message from the complaint's events when it sends it (so an erased customer is never
-- written to). Rows are never deleted; a rebuild re-derives the same message ids and adds
-- nothing.
-- id is REFERENCE.SEQUENCE.KIND; the Message-ID header is <id@mail domain>.
CREATE TABLE outbox
(
    id              TEXT PRIMARY KEY,
    reference       TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    customer_id     BLOB NOT NULL,
    language        TEXT NOT NULL,
    -- pending (to send, or to retry), sent, dead (gave up), cancelled (customer erased).
    -- Events older than three days when first projected owe no email and get no row.
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    last_error      TEXT,
    event_at        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_reference ON outbox (reference, sequence);

-- Who each complaint's emails go to, kept by the outbox projector (rebuilt with it).
CREATE TABLE outbox_recipients
(
    reference   TEXT PRIMARY KEY,
    customer_id BLOB NOT NULL,
    language    TEXT NOT NULL,
    erased      INTEGER NOT NULL DEFAULT 0
);
