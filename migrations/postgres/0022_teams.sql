-- Working as a team (December 2026): teams with members and managers, the routing rules that
-- give each new complaint its team, people away, and the team and tags of each complaint in
-- the list (from the TeamChanged, TagAdded and TagRemoved events).

-- A team. `assignment`: manual, round_robin or fewest_open; `last_assigned`: the member given
-- the last complaint round robin. One team is the default, for complaints no rule routes.
CREATE TABLE teams
(
    id            uuid PRIMARY KEY,
    name          text        NOT NULL UNIQUE,
    assignment    text        NOT NULL DEFAULT 'manual'
        CHECK (assignment IN ('manual', 'round_robin', 'fewest_open')),
    is_default    boolean     NOT NULL DEFAULT false,
    last_assigned uuid,
    created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX teams_one_default ON teams (is_default) WHERE is_default;

CREATE TABLE team_members
(
    team_id    uuid    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    account_id uuid    NOT NULL REFERENCES staff_accounts (id),
    manager    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (team_id, account_id)
);
CREATE INDEX team_members_account ON team_members (account_id);

-- Tried in `position` order; the first whose field has the value routes the complaint.
CREATE TABLE routing_rules
(
    id       uuid PRIMARY KEY,
    position integer NOT NULL,
    field    text    NOT NULL CHECK (field IN ('category', 'channel', 'language', 'tier', 'company')),
    value    text    NOT NULL,
    team_id  uuid    NOT NULL REFERENCES teams (id) ON DELETE CASCADE
);

-- A person away is skipped by automatic assignment.
ALTER TABLE staff_accounts ADD COLUMN away boolean NOT NULL DEFAULT false;

-- Complaints received before teams existed have none (NULL).
ALTER TABLE complaint_list ADD COLUMN team_id uuid;
CREATE INDEX complaint_list_team ON complaint_list (team_id, closed, received_at DESC, reference DESC);

CREATE TABLE complaint_tags
(
    reference text NOT NULL,
    tag       text NOT NULL,
    PRIMARY KEY (reference, tag)
);
CREATE INDEX complaint_tags_tag ON complaint_tags (tag, reference);

-- The notifications projector keeps each complaint's team beside its owner: a complaint
-- nobody owns tells its team. Complaints from before teams have none.
ALTER TABLE notification_owners ADD COLUMN team_id uuid;

-- The reports gain a team breakdown: they are built again from the events on the next start
-- (readers see empty reports until the replay has caught up, as after a `redress rebuild`).
DELETE FROM report_complaints;
DELETE FROM report_speed;
DELETE FROM report_days;
DELETE FROM report_feedback;
DELETE FROM report_customers;
DELETE FROM projector_checkpoints WHERE name = 'reports';

-- A duplicate merged into another complaint names it (from the MergedInto event).
ALTER TABLE complaint_list ADD COLUMN merged_into text;

-- The SLA dashboard narrows to a team and counts each team's open complaints by state.
ALTER TABLE sla_complaints ADD COLUMN team_id uuid;
CREATE INDEX sla_complaints_team ON sla_complaints (team_id, open);

-- How many complaints carry each tag, kept with the tags (the queue lists the tags in use).
CREATE TABLE complaint_tag_counts
(
    tag        text PRIMARY KEY,
    complaints bigint NOT NULL
);
