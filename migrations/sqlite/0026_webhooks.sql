-- Webhooks: see migrations/postgres/0026_webhooks.sql.
CREATE TABLE webhook_endpoints
(
    id             BLOB PRIMARY KEY,
    url            TEXT    NOT NULL,
    secret         TEXT    NOT NULL,
    kinds          TEXT    NOT NULL,
    personal_data  BOOLEAN NOT NULL DEFAULT FALSE,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    failures       INTEGER NOT NULL DEFAULT 0,
    switched_off   TEXT,
    starts_after   INTEGER NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);

CREATE TABLE webhook_deliveries
(
    id              TEXT PRIMARY KEY,
    endpoint_id     BLOB    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    reference       TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    claimed_until   TEXT,
    delivered_at    TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    last_ms         INTEGER,
    event_at        TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, reference, position);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts
(
    delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    status      INTEGER,
    error       TEXT,
    ms          INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
