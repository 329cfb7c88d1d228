-- The outbox: one row per email a customer is owed, written by the outbox projector in the
-- same transaction as its checkpoint. The row holds no personal data: the sender renders
-- the message from the complaint's events when it sends it (so an erased customer is never
-- written to). Rows are never deleted; a rebuild re-derives the same message ids and adds
-- nothing.
-- id is REFERENCE.SEQUENCE.KIND; the Message-ID header is <id@mail domain>.
CREATE TABLE outbox
(
    id              text PRIMARY KEY,
    reference       text NOT NULL,
    sequence        bigint NOT NULL,
    kind            text NOT NULL,
    customer_id     uuid NOT NULL,
    language        text NOT NULL,
    -- pending (to send, or to retry), sent, dead (gave up), cancelled (customer erased).
    -- Events older than three days when first projected owe no email and get no row.
    state           text NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    last_error      text,
    event_at        timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_reference ON outbox (reference, sequence);

-- Who each complaint's emails go to, kept by the outbox projector (rebuilt with it).
CREATE TABLE outbox_recipients
(
    reference   text PRIMARY KEY,
    customer_id uuid NOT NULL,
    language    text NOT NULL,
    erased      boolean NOT NULL DEFAULT FALSE
);
