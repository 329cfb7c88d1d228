-- Working as a team (December 2026): see migrations/postgres/0022_teams.sql.
CREATE TABLE teams
(
    id            BLOB PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    assignment    TEXT    NOT NULL DEFAULT 'manual'
        CHECK (assignment IN ('manual', 'round_robin', 'fewest_open')),
    is_default    INTEGER NOT NULL DEFAULT 0,
    last_assigned BLOB,
    created_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX teams_one_default ON teams (is_default) WHERE is_default;

CREATE TABLE team_members
(
    team_id    BLOB    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    account_id BLOB    NOT NULL REFERENCES staff_accounts (id),
    manager    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, account_id)
);
CREATE INDEX team_members_account ON team_members (account_id);

CREATE TABLE routing_rules
(
    id       BLOB PRIMARY KEY,
    position INTEGER NOT NULL,
    field    TEXT    NOT NULL CHECK (field IN ('category', 'channel', 'language', 'tier', 'company')),
    value    TEXT    NOT NULL,
    team_id  BLOB    NOT NULL REFERENCES teams (id) ON DELETE CASCADE
);

ALTER TABLE staff_accounts ADD COLUMN away INTEGER NOT NULL DEFAULT 0;

ALTER TABLE complaint_list ADD COLUMN team_id BLOB;
CREATE INDEX complaint_list_team ON complaint_list (team_id, closed, received_at DESC, reference DESC);

CREATE TABLE complaint_tags
(
    reference TEXT NOT NULL,
    tag       TEXT NOT NULL,
    PRIMARY KEY (reference, tag)
);
CREATE INDEX complaint_tags_tag ON complaint_tags (tag, reference);

-- The notifications projector keeps each complaint's team beside its owner: a complaint
-- nobody owns tells its team. Complaints from before teams have none.
ALTER TABLE notification_owners ADD COLUMN team_id BLOB;

-- The reports gain a team breakdown: they are built again from the events on the next start
-- (readers see empty reports until the replay has caught up, as after a `redress rebuild`).
DELETE FROM report_complaints;
DELETE FROM report_speed;
DELETE FROM report_days;
DELETE FROM report_feedback;
DELETE FROM report_customers;
DELETE FROM projector_checkpoints WHERE name = 'reports';

-- A duplicate merged into another complaint names it (from the MergedInto event).
ALTER TABLE complaint_list ADD COLUMN merged_into TEXT;

-- The SLA dashboard narrows to a team and counts each team's open complaints by state.
ALTER TABLE sla_complaints ADD COLUMN team_id BLOB;
CREATE INDEX sla_complaints_team ON sla_complaints (team_id, open);

-- How many complaints carry each tag, kept with the tags (the queue lists the tags in use).
CREATE TABLE complaint_tag_counts
(
    tag        TEXT PRIMARY KEY,
    complaints INTEGER NOT NULL
);
