-- The conversation with the customer (December 2026): points of complaint, replies and
-- internal notes, files from staff and customers, saved replies, notifications to staff,
-- and copies of the emails as they were sent.

-- Step 2 is done when the points of complaint are recorded. No complaint had points before
-- this migration, so every complaint waiting for its facts to be concluded now waits for
-- its points first (a rebuild gives the same).
ALTER TABLE complaint_list ADD COLUMN listened boolean NOT NULL DEFAULT false;
UPDATE complaint_list SET step = 'listen' WHERE step = 'establish_facts';

-- Files staff send with replies and customers add on the form or their status page, sealed
-- with the customer's key (erasure deletes them). Files kept from emails stay in
-- email_attachments; redress-store's attachments module serves both.
CREATE TABLE complaint_files
(
    id          uuid PRIMARY KEY,
    reference   text        NOT NULL,
    customer_id uuid        NOT NULL,
    content     bytea       NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX complaint_files_customer ON complaint_files (customer_id);

-- The saved replies (canned responses) admins keep, each in the four languages, with
-- placeholders ({{customer_name}}, ...) filled from the complaint when an agent inserts one.
CREATE TABLE saved_replies
(
    id         uuid PRIMARY KEY,
    title      text        NOT NULL,
    body_en    text        NOT NULL,
    body_es    text        NOT NULL,
    body_ro    text        NOT NULL,
    body_zh    text        NOT NULL,
    archived   boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    updated_by text        NOT NULL
);

-- Notifications to staff, derived from the events by the `notifications` projector (one
-- row per person told), and from the passing of time by the `sla` projector (at risk,
-- breached). Ids are derived from what they tell, so rebuilds give the same ids.
CREATE TABLE notifications
(
    id        text PRIMARY KEY,
    recipient uuid        NOT NULL,
    kind      text        NOT NULL,
    reference text        NOT NULL,
    actor     text        NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX notifications_recipient ON notifications (recipient, at);

CREATE TABLE sla_notifications
(
    id        text PRIMARY KEY,
    recipient uuid        NOT NULL,
    kind      text        NOT NULL,
    reference text        NOT NULL,
    actor     text        NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX sla_notifications_recipient ON sla_notifications (recipient, at);

CREATE VIEW all_notifications AS
    SELECT id, recipient, kind, reference, actor, at FROM notifications
    UNION ALL
    SELECT id, recipient, kind, reference, actor, at FROM sla_notifications;

-- The notifications projector's own record of each complaint: its owner (who hears about it)
-- and when it arrived (files sent with the complaint itself tell nobody).
CREATE TABLE notification_owners
(
    reference text PRIMARY KEY,
    owner_id    uuid,
    received_at timestamptz NOT NULL
);

-- Events up to this position were recorded before notifications existed: they tell nobody
-- (an upgrade does not flood everyone with the past).
CREATE TABLE notification_start
(
    position bigint NOT NULL
);
INSERT INTO notification_start (position) SELECT COALESCE(MAX(global_position), 0) FROM events;

-- What each person has read (kept apart from the derived rows, so rebuilds keep it).
CREATE TABLE notification_reads
(
    recipient       uuid        NOT NULL,
    notification_id text        NOT NULL,
    read_at         timestamptz NOT NULL,
    PRIMARY KEY (recipient, notification_id)
);

-- How each person wants each kind by email: instant, digest or none (no row: instant).
CREATE TABLE notification_preferences
(
    staff_id uuid NOT NULL,
    kind     text NOT NULL,
    delivery text NOT NULL,
    PRIMARY KEY (staff_id, kind)
);

-- Every attempt to send an email, and a copy of each email to a customer as it was sent
-- (headers, text and HTML parts, the files' names), sealed with the customer's key.
CREATE TABLE outbox_attempts
(
    outbox_id text        NOT NULL,
    attempt   bigint      NOT NULL,
    at        timestamptz NOT NULL,
    outcome   text        NOT NULL,
    error     text,
    PRIMARY KEY (outbox_id, attempt)
);

CREATE TABLE sent_emails
(
    outbox_id   text PRIMARY KEY,
    customer_id uuid        NOT NULL,
    content     bytea       NOT NULL,
    sent_at     timestamptz NOT NULL
);
CREATE INDEX sent_emails_customer ON sent_emails (customer_id);

-- Outcomes per point of complaint, by day and dimension (the reports projector).
ALTER TABLE report_days ADD COLUMN points bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN points_upheld bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN points_partly_upheld bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN points_not_upheld bigint NOT NULL DEFAULT 0;
