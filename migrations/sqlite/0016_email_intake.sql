-- Email intake (redress-store's inbound module): every message read from the mailbox, once.
-- A message is known by where it was read and by its Message-ID (or a digest of the raw
-- message when it has none), so a restart or a second delivery of the same message records
-- nothing twice.
CREATE TABLE inbound_messages
(
    id            BLOB PRIMARY KEY,
    folder        TEXT    NOT NULL,
    uid_validity  INTEGER NOT NULL,
    uid           INTEGER NOT NULL,
    message_id    TEXT    NOT NULL,
    -- claimed (being handled, until claimed_until), recorded, ignored, quarantined
    state         TEXT    NOT NULL,
    reason        TEXT,
    -- The complaint it created or landed on (chosen before the complaint is written).
    reference     TEXT,
    -- Whose key seals `original` (and the message's files).
    customer_id   BLOB,
    original      BLOB,
    -- Only for messages set aside (no customer to seal with), for the admins' list.
    sender        TEXT,
    subject       TEXT,
    read_at       TEXT    NOT NULL,
    claimed_until TEXT    NOT NULL,
    -- Failed attempts (a message that keeps failing is quarantined with the last error).
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- sha256 of the raw message: tells another message under a reused Message-ID.
    raw_digest    TEXT,
    -- The sender's address digest (the vault's HMAC), to limit new complaints per sender and
    -- to forget the sender's set-aside messages when the customer is erased.
    sender_digest BLOB,
    -- Whether it created a complaint (else it landed on one, or was set aside).
    created       INTEGER NOT NULL DEFAULT 0,
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
    id          BLOB PRIMARY KEY,
    message     BLOB NOT NULL REFERENCES inbound_messages (id),
    customer_id BLOB NOT NULL,
    content     BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX email_attachments_customer ON email_attachments (customer_id);
