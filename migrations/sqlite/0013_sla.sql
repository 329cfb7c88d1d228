-- SLA policies (versioned) and the clocks derived from the event stream.

-- Every saved version of the team's SLA policy (calendar and targets), never changed once
-- written. A complaint keeps the version in effect when it arrived.
CREATE TABLE sla_policy_versions
(
    version    INTEGER PRIMARY KEY,
    definition TEXT NOT NULL,      -- the policy as JSON (redress_domain::SlaPolicy)
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- One row per complaint with what the SLA dashboard counts, filters and sorts by; kept by
-- the `sla` projector and its scheduler. States at a moment `now`: breached when
-- breached_since is set or next_due_at <= now; at risk when at_risk_from <= now; paused;
-- on track.
CREATE TABLE sla_complaints
(
    reference      TEXT PRIMARY KEY,
    policy_version INTEGER NOT NULL,
    tier           TEXT NOT NULL,
    priority       TEXT NOT NULL,
    category       TEXT NOT NULL,
    owner_id       BLOB,
    owner_name     TEXT,
    open           INTEGER NOT NULL,   -- some clock still runs or is paused
    paused         INTEGER NOT NULL,   -- every open clock is paused
    breached_since TEXT,            -- the due time of the oldest breach not yet made good
    next_due_at    TEXT,            -- the first due time of a running, unbreached clock
    next_due_clock TEXT,
    at_risk_from   TEXT,            -- the first at-risk moment of a running, unbreached clock
    urgent_at      TEXT,            -- breached_since, else next_due_at: breached when <= now
    urgent_clock   TEXT,                   -- the clock urgent_at belongs to
    next_check_at  TEXT             -- when the scheduler must next look (at risk or due)
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
    reference TEXT PRIMARY KEY,
    state     TEXT NOT NULL
);

-- Every breach: a run of a clock that passed its due time unmet. The cause, once recorded
-- (a BreachCauseRecorded event), appears in reports.
CREATE TABLE sla_breaches
(
    reference      TEXT NOT NULL,
    clock          TEXT NOT NULL,
    cycle          INTEGER NOT NULL,
    due_at         TEXT NOT NULL,
    met_at         TEXT,
    policy_version INTEGER NOT NULL,
    tier           TEXT NOT NULL,
    priority       TEXT NOT NULL,
    category       TEXT NOT NULL,
    owner_id       BLOB,
    owner_name     TEXT,
    cause          TEXT,
    cause_by       TEXT,
    cause_at       TEXT,
    PRIMARY KEY (reference, clock, cycle)
);
CREATE INDEX sla_breaches_due ON sla_breaches (due_at);

-- Breaches counted per day (of their due time, UTC) and dimension, so the dashboard's
-- "breaches by step, owner, category and tier" read a few thousand rows, not every breach.
CREATE TABLE sla_breach_days
(
    day        TEXT NOT NULL,    -- YYYY-MM-DD
    clock      TEXT NOT NULL,
    owner_key  TEXT NOT NULL,    -- the owner's id, or '' for none
    owner_name TEXT NOT NULL,
    category   TEXT NOT NULL,
    tier       TEXT NOT NULL,
    priority   TEXT NOT NULL,
    breaches   INTEGER NOT NULL,
    PRIMARY KEY (day, clock, owner_key, owner_name, category, tier, priority)
);
