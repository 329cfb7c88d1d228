-- Email intake (redress-store's inbound module): every message read from the mailbox, once.
-- A message is known by where it was read and by its Message-ID (or a digest of the raw
-- message when it has none), so a restart, a second instance or a second delivery of the
-- same message records nothing twice.
CREATE TABLE inbound_messages
(
    id            uuid PRIMARY KEY,
    folder        text        NOT NULL,
    uid_validity  bigint      NOT NULL,
    uid           bigint      NOT NULL,
    message_id    text        NOT NULL,
    -- claimed (being handled, until claimed_until), recorded, ignored, quarantined
    state         text        NOT NULL,
    reason        text,
    -- The complaint it created or landed on (chosen before the complaint is written).
    reference     text,
    -- Whose key seals `original` (and the message's files).
    customer_id   uuid,
    original      bytea,
    -- Only for messages set aside (no customer to seal with), for the admins' list.
    sender        text,
    subject       text,
    read_at       timestamptz NOT NULL,
    claimed_until timestamptz NOT NULL,
    -- Failed attempts (a message that keeps failing is quarantined with the last error).
    attempts      integer     NOT NULL DEFAULT 0,
    -- sha256 of the raw message: tells another message under a reused Message-ID.
    raw_digest    text,
    -- The sender's address digest (the vault's HMAC), to limit new complaints per sender and
    -- to forget the sender's set-aside messages when the customer is erased.
    sender_digest bytea,
    -- Whether it created a complaint (else it landed on one, or was set aside).
    created       boolean     NOT NULL DEFAULT false,
    UNIQUE (folder, uid_validity, uid),
    UNIQUE (message_id)
);
CREATE INDEX inbound_messages_set_aside ON inbound_messages (read_at)
    WHERE state IN ('ignored', 'quarantined');

CREATE INDEX inbound_messages_state ON inbound_messages (state);
CREATE INDEX inbound_messages_sender ON inbound_messages (sender_digest, read_at);

-- Files kept from emails, sealed with the customer's key.
CREATE TABLE email_attachments
(
    id          uuid PRIMARY KEY,
    message     uuid        NOT NULL REFERENCES inbound_messages (id),
    customer_id uuid        NOT NULL,
    content     bytea       NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX email_attachments_customer ON email_attachments (customer_id);
