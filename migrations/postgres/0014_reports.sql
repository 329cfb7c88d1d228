-- The managers' reports, kept by the `reports` projector: per-day aggregates by dimension
-- (mergeable histograms for percentiles), so a year's report reads a few thousand rows and
-- never a complaint or an event.

-- The projector's working state per complaint (its clocks and what it counted), and the
-- columns the backlog-age table filters by.
CREATE TABLE report_complaints
(
    reference   text PRIMARY KEY,
    customer    text NOT NULL,
    received_at timestamptz NOT NULL,
    open        boolean NOT NULL,   -- not closed
    closed_at   timestamptz,            -- the latest closure
    owner       text NOT NULL,      -- the owner's name, '' for none
    category    text NOT NULL,
    channel     text NOT NULL,
    priority    text NOT NULL,
    tier        text NOT NULL,
    company     text,
    state       text NOT NULL       -- JSON: the projector's state of this complaint
);
CREATE INDEX report_complaints_open ON report_complaints (open, received_at);
-- The complaints open at a past moment: received before it, and open now or closed after.
CREATE INDEX report_complaints_received ON report_complaints (received_at);

-- Response speed: every met run of an SLA clock, by the local day it was met (in the
-- complaint's policy calendar), clock and one dimension. dim is one of all, owner, category,
-- channel, priority, tier; business/calendar are histograms (redress_domain::Histogram).
CREATE TABLE report_speed
(
    day      text NOT NULL,          -- YYYY-MM-DD
    clock    text NOT NULL,
    dim      text NOT NULL,
    value    text NOT NULL,
    runs     bigint NOT NULL,        -- runs met
    tracked  bigint NOT NULL,        -- of which had a target
    met_within bigint NOT NULL,        -- of which were met within it
    business text NOT NULL,
    calendar text NOT NULL,
    PRIMARY KEY (day, dim, clock, value)
);

-- Volumes, outcomes, the FCA return's columns, backlog movements and satisfaction, by local
-- day and one dimension (the above, and company).
CREATE TABLE report_days
(
    day             text NOT NULL,
    dim             text NOT NULL,
    value           text NOT NULL,
    received        bigint NOT NULL DEFAULT 0,
    repeat_received bigint NOT NULL DEFAULT 0,  -- from a customer who had complained before
    closed          bigint NOT NULL DEFAULT 0,
    closed_3d       bigint NOT NULL DEFAULT 0,  -- within 3 business days of receipt
    closed_8w       bigint NOT NULL DEFAULT 0,  -- after that, within 8 weeks
    closed_later    bigint NOT NULL DEFAULT 0,
    reopened        bigint NOT NULL DEFAULT 0,
    resolved        bigint NOT NULL DEFAULT 0,
    upheld          bigint NOT NULL DEFAULT 0,
    partly_upheld   bigint NOT NULL DEFAULT 0,
    not_upheld      bigint NOT NULL DEFAULT 0,
    redress_cents   bigint NOT NULL DEFAULT 0,
    backlog_delta   bigint NOT NULL DEFAULT 0,  -- open complaints gained (lost) this day
    open_received   bigint NOT NULL DEFAULT 0,  -- of those received this day, how many are open
    sat_n           bigint NOT NULL DEFAULT 0,
    sat_sum         bigint NOT NULL DEFAULT 0,
    sat_1           bigint NOT NULL DEFAULT 0,
    sat_2           bigint NOT NULL DEFAULT 0,
    sat_3           bigint NOT NULL DEFAULT 0,
    sat_4           bigint NOT NULL DEFAULT 0,
    sat_5           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, dim, value)
);
CREATE INDEX report_days_dim ON report_days (dim, day);

-- Every satisfaction answer, with the customer's "what would you change?" (blanked when
-- their data is erased).
CREATE TABLE report_feedback
(
    reference    text NOT NULL,
    sequence     bigint NOT NULL,
    answered_at  timestamptz NOT NULL,
    day          text NOT NULL,
    score        bigint NOT NULL,
    owner        text NOT NULL,
    category     text NOT NULL,
    tier         text NOT NULL,
    would_change text,
    comment      text,
    search_text  text,           -- both, lowercased (Unicode) for the search
    PRIMARY KEY (reference, sequence)
);
CREATE INDEX report_feedback_day ON report_feedback (day);

-- Complaints per customer: repeat complainants.
CREATE TABLE report_customers
(
    customer       text PRIMARY KEY,
    complaints     bigint NOT NULL,
    first_at       timestamptz NOT NULL,
    last_at        timestamptz NOT NULL,
    last_reference text NOT NULL,
    company        text
);
CREATE INDEX report_customers_most ON report_customers (complaints DESC, last_at DESC);

-- The reports list the causes recorded for breaches (a few) among all breaches (many).
CREATE INDEX sla_breaches_caused ON sla_breaches (due_at) WHERE cause IS NOT NULL;
