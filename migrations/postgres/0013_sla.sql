-- SLA policies (versioned) and the clocks derived from the event stream.

-- Every saved version of the team's SLA policy (calendar and targets), never changed once
-- written. A complaint keeps the version in effect when it arrived.
CREATE TABLE sla_policy_versions
(
    version    bigint PRIMARY KEY,
    definition text NOT NULL,      -- the policy as JSON (redress_domain::SlaPolicy)
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    created_by text NOT NULL
);

-- One row per complaint with what the SLA dashboard counts, filters and sorts by; kept by
-- the `sla` projector and its scheduler. States at a moment `now`: breached when
-- breached_since is set or next_due_at <= now; at risk when at_risk_from <= now; paused;
-- on track.
CREATE TABLE sla_complaints
(
    reference      text PRIMARY KEY,
    policy_version bigint NOT NULL,
    tier           text NOT NULL,
    priority       text NOT NULL,
    category       text NOT NULL,
    owner_id       uuid,
    owner_name     text,
    open           boolean NOT NULL,   -- some clock still runs or is paused
    paused         boolean NOT NULL,   -- every open clock is paused
    breached_since timestamptz,            -- the due time of the oldest breach not yet made good
    next_due_at    timestamptz,            -- the first due time of a running, unbreached clock
    next_due_clock text,
    at_risk_from   timestamptz,            -- the first at-risk moment of a running, unbreached clock
    urgent_at      timestamptz,            -- breached_since, else next_due_at: breached when <= now
    urgent_clock   text,                   -- the clock urgent_at belongs to
    next_check_at  timestamptz             -- when the scheduler must next look (at risk or due)
);
CREATE INDEX sla_complaints_check ON sla_complaints (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX sla_complaints_due ON sla_complaints (next_due_at) WHERE next_due_at IS NOT NULL;
-- The dashboard's counts read this index alone; its lists walk it in order of urgency.
CREATE INDEX sla_complaints_state ON sla_complaints (open, urgent_at, at_risk_from, paused);
CREATE INDEX sla_complaints_urgent ON sla_complaints (urgent_at, reference);

-- Each complaint's clocks in full (JSON, redress_domain::ComplaintSla), kept apart so the
-- dashboard's scans stay narrow.
CREATE TABLE sla_clock_states
(
    reference text PRIMARY KEY,
    state     text NOT NULL
);

-- Every breach: a run of a clock that passed its due time unmet. The cause, once recorded
-- (a BreachCauseRecorded event), appears in reports.
CREATE TABLE sla_breaches
(
    reference      text NOT NULL,
    clock          text NOT NULL,
    cycle          bigint NOT NULL,
    due_at         timestamptz NOT NULL,
    met_at         timestamptz,
    policy_version bigint NOT NULL,
    tier           text NOT NULL,
    priority       text NOT NULL,
    category       text NOT NULL,
    owner_id       uuid,
    owner_name     text,
    cause          text,
    cause_by       text,
    cause_at       timestamptz,
    PRIMARY KEY (reference, clock, cycle)
);
CREATE INDEX sla_breaches_due ON sla_breaches (due_at);

-- Breaches counted per day (of their due time, UTC) and dimension, so the dashboard's
-- "breaches by step, owner, category and tier" read a few thousand rows, not every breach.
CREATE TABLE sla_breach_days
(
    day        text NOT NULL,    -- YYYY-MM-DD
    clock      text NOT NULL,
    owner_key  text NOT NULL,    -- the owner's id, or '' for none
    owner_name text NOT NULL,
    category   text NOT NULL,
    tier       text NOT NULL,
    priority   text NOT NULL,
    breaches   bigint NOT NULL,
    PRIMARY KEY (day, clock, owner_key, owner_name, category, tier, priority)
);

-- sla_complaints is updated on every event and by every scheduler pass; the dashboard counts
-- it with an index-only scan, which needs a fresh visibility map. Vacuum it far more often
-- than the default (every 20% of the table).
ALTER TABLE sla_complaints SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 500,
    autovacuum_analyze_scale_factor = 0.02
);
