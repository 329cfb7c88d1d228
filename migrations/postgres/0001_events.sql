-- The event stream, as postgres-es expects it, plus the global order.
-- Positions come from an identity column, handed out at insert time, so they do NOT follow
-- commit order: readers use (transaction_id, global_position) and only read below the
-- oldest transaction still in flight (see redress-store's event log).
CREATE TABLE events
(
    aggregate_type  text      NOT NULL,
    aggregate_id    text      NOT NULL,
    sequence        bigint    NOT NULL CHECK (sequence >= 0),
    event_type      text      NOT NULL,
    event_version   text      NOT NULL,
    payload         json      NOT NULL,
    metadata        json      NOT NULL,
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE INDEX events_global_order ON events (transaction_id, global_position);

-- A wake-up hint for projectors; they also poll, so a lost notification only delays them.
CREATE FUNCTION redress_notify_events() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('redress_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify
    AFTER INSERT ON events
    FOR EACH STATEMENT
EXECUTE FUNCTION redress_notify_events();

-- Only needed by cqrs-es snapshot mode, which Redress does not use.
CREATE TABLE snapshots
(
    aggregate_type   text   NOT NULL,
    aggregate_id     text   NOT NULL,
    last_sequence    bigint NOT NULL CHECK (last_sequence >= 0),
    current_snapshot bigint NOT NULL CHECK (current_snapshot >= 0),
    payload          json   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- One key per customer seals their personal data; deleting the row erases it for good.
CREATE TABLE customer_keys
(
    customer_id  uuid PRIMARY KEY,
    email_digest bytea       NOT NULL UNIQUE,
    sealing_key  bytea       NOT NULL,
    created_at   timestamptz NOT NULL
);

-- Secrets this installation generates for itself on first start.
CREATE TABLE instance_secrets
(
    name  text PRIMARY KEY,
    value bytea NOT NULL
);

-- Where each catch-up projector has got to in the global order.
CREATE TABLE projector_checkpoints
(
    name           text PRIMARY KEY,
    position       bigint NOT NULL DEFAULT 0,
    transaction_id bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz
);

CREATE TABLE complaint_list
(
    reference               text PRIMARY KEY,
    customer_id             uuid        NOT NULL,
    customer_name           text,
    customer_email          text,
    company                 text,
    language                text        NOT NULL,
    channel                 text        NOT NULL,
    category                text        NOT NULL,
    summary                 text        NOT NULL,
    priority                text        NOT NULL,
    status                  text        NOT NULL,
    step                    text        NOT NULL,
    acknowledged            boolean     NOT NULL,
    investigation_concluded boolean     NOT NULL,
    action_committed        boolean     NOT NULL,
    owner_named             boolean     NOT NULL,
    resolved                boolean     NOT NULL,
    closed                  boolean     NOT NULL,
    waiting_on_customer     boolean     NOT NULL,
    owner_id                uuid,
    owner_name              text,
    outcome                 text,
    received_at             timestamptz NOT NULL,
    acknowledged_at         timestamptz,
    last_contact_at         timestamptz NOT NULL,
    customer_informed_at    timestamptz,
    updated_at              timestamptz NOT NULL,
    personal_data_erased    boolean     NOT NULL,
    event_count             bigint      NOT NULL,
    last_position           bigint      NOT NULL
);

CREATE INDEX complaint_list_received_at ON complaint_list (received_at DESC, reference);
CREATE INDEX complaint_list_customer ON complaint_list (customer_id);
CREATE INDEX complaint_list_status ON complaint_list (status, received_at DESC);
