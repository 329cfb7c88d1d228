-- Webhooks (December 2026): other systems told of each event of the kinds they want, by a
-- signed JSON POST, through a delivery queue filled by the `webhooks` projector.
--
-- An endpoint: where to POST, the secret that signs each request (HMAC-SHA256), the event
-- kinds wanted (space-separated event names, or `*`), whether payloads may carry the
-- customer's personal data, and whether it is on. It is told of events after `starts_after`
-- (the global position when it was registered): never of the past, even by a rebuild.
-- `failures` counts failed attempts in a row; at the installation's limit the endpoint is
-- switched off and the admins are told.
CREATE TABLE webhook_endpoints
(
    id             uuid PRIMARY KEY,
    url            text        NOT NULL,
    secret         text        NOT NULL,
    kinds          text        NOT NULL,
    personal_data  boolean     NOT NULL DEFAULT FALSE,
    active         boolean     NOT NULL DEFAULT TRUE,
    failures       integer     NOT NULL DEFAULT 0,
    switched_off   text,
    starts_after   bigint      NOT NULL,
    created_by     text        NOT NULL,
    created_at     timestamptz NOT NULL
);

-- One delivery per endpoint and event. `state`: pending (to send, or being retried),
-- delivered. A complaint's deliveries to one endpoint go in the order of its events: a
-- delivery waits while an earlier one of the same complaint is pending.
CREATE TABLE webhook_deliveries
(
    id              text PRIMARY KEY,
    endpoint_id     uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    position        bigint      NOT NULL,
    reference       text        NOT NULL,
    sequence        bigint      NOT NULL,
    kind            text        NOT NULL,
    state           text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,
    delivered_at    timestamptz,
    last_status     integer,
    last_error      text,
    last_ms         bigint,
    event_at        timestamptz NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, reference, position);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);

-- Every attempt at a delivery: when, the HTTP status (none when the endpoint could not be
-- reached), what went wrong, and how long the answer took.
CREATE TABLE webhook_attempts
(
    delivery_id text        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer     NOT NULL,
    at          timestamptz NOT NULL,
    status      integer,
    error       text,
    ms          bigint      NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
