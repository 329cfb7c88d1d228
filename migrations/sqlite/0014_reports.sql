-- The managers' reports, kept by the `reports` projector: per-day aggregates by dimension
-- (mergeable histograms for percentiles), so a year's report reads a few thousand rows and
-- never a complaint or an event.

-- The projector's working state per complaint (its clocks and what it counted), and the
-- columns the backlog-age table filters by.
CREATE TABLE report_complaints
(
    reference   TEXT PRIMARY KEY,
    customer    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    open        INTEGER NOT NULL,   -- not closed
    closed_at   TEXT,            -- the latest closure
    owner       TEXT NOT NULL,      -- the owner's name, '' for none
    category    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    priority    TEXT NOT NULL,
    tier        TEXT NOT NULL,
    company     TEXT,
    state       TEXT NOT NULL       -- JSON: the projector's state of this complaint
);
CREATE INDEX report_complaints_open ON report_complaints (open, received_at);
-- The complaints open at a past moment: received before it, and open now or closed after.
CREATE INDEX report_complaints_received ON report_complaints (received_at);

-- Response speed: every met run of an SLA clock, by the local day it was met (in the
-- complaint's policy calendar), clock and one dimension. dim is one of all, owner, category,
-- channel, priority, tier; business/calendar are histograms (redress_domain::Histogram).
CREATE TABLE report_speed
(
    day      TEXT NOT NULL,          -- YYYY-MM-DD
    clock    TEXT NOT NULL,
    dim      TEXT NOT NULL,
    value    TEXT NOT NULL,
    runs     INTEGER NOT NULL,        -- runs met
    tracked  INTEGER NOT NULL,        -- of which had a target
    met_within INTEGER NOT NULL,        -- of which were met within it
    business TEXT NOT NULL,
    calendar TEXT NOT NULL,
    PRIMARY KEY (day, dim, clock, value)
);

-- Volumes, outcomes, the FCA return's columns, backlog movements and satisfaction, by local
-- day and one dimension (the above, and company).
CREATE TABLE report_days
(
    day             TEXT NOT NULL,
    dim             TEXT NOT NULL,
    value           TEXT NOT NULL,
    received        INTEGER NOT NULL DEFAULT 0,
    repeat_received INTEGER NOT NULL DEFAULT 0,  -- from a customer who had complained before
    closed          INTEGER NOT NULL DEFAULT 0,
    closed_3d       INTEGER NOT NULL DEFAULT 0,  -- within 3 business days of receipt
    closed_8w       INTEGER NOT NULL DEFAULT 0,  -- after that, within 8 weeks
    closed_later    INTEGER NOT NULL DEFAULT 0,
    reopened        INTEGER NOT NULL DEFAULT 0,
    resolved        INTEGER NOT NULL DEFAULT 0,
    upheld          INTEGER NOT NULL DEFAULT 0,
    partly_upheld   INTEGER NOT NULL DEFAULT 0,
    not_upheld      INTEGER NOT NULL DEFAULT 0,
    redress_cents   INTEGER NOT NULL DEFAULT 0,
    backlog_delta   INTEGER NOT NULL DEFAULT 0,  -- open complaints gained (lost) this day
    open_received   INTEGER NOT NULL DEFAULT 0,  -- of those received this day, how many are open
    sat_n           INTEGER NOT NULL DEFAULT 0,
    sat_sum         INTEGER NOT NULL DEFAULT 0,
    sat_1           INTEGER NOT NULL DEFAULT 0,
    sat_2           INTEGER NOT NULL DEFAULT 0,
    sat_3           INTEGER NOT NULL DEFAULT 0,
    sat_4           INTEGER NOT NULL DEFAULT 0,
    sat_5           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, dim, value)
);
CREATE INDEX report_days_dim ON report_days (dim, day);

-- Every satisfaction answer, with the customer's "what would you change?" (blanked when
-- their data is erased).
CREATE TABLE report_feedback
(
    reference    TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    answered_at  TEXT NOT NULL,
    day          TEXT NOT NULL,
    score        INTEGER NOT NULL,
    owner        TEXT NOT NULL,
    category     TEXT NOT NULL,
    tier         TEXT NOT NULL,
    would_change TEXT,
    comment      TEXT,
    search_text  TEXT,           -- both, lowercased (Unicode) for the search
    PRIMARY KEY (reference, sequence)
);
CREATE INDEX report_feedback_day ON report_feedback (day);

-- Complaints per customer: repeat complainants.
CREATE TABLE report_customers
(
    customer       TEXT PRIMARY KEY,
    complaints     INTEGER NOT NULL,
    first_at       TEXT NOT NULL,
    last_at        TEXT NOT NULL,
    last_reference TEXT NOT NULL,
    company        TEXT
);
CREATE INDEX report_customers_most ON report_customers (complaints DESC, last_at DESC);

-- The reports list the causes recorded for breaches (a few) among all breaches (many).
CREATE INDEX sla_breaches_caused ON sla_breaches (due_at) WHERE cause IS NOT NULL;
