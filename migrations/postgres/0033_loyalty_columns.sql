-- The loyalty report adds up in SQL (December 2026): each complaint's row in the reports keeps
-- the working seconds its latest acknowledgement and resolution took, its team's name and the
-- customer's latest score, so the report reads narrow columns and returns one row per band
-- instead of parsing every complaint's state. The reports are built again from the events on
-- the next start (readers see empty reports until the replay has caught up, as after a
-- `redress rebuild`).
ALTER TABLE report_complaints ADD COLUMN acknowledge_secs bigint;
ALTER TABLE report_complaints ADD COLUMN resolve_secs bigint;
ALTER TABLE report_complaints ADD COLUMN team text NOT NULL DEFAULT '';
ALTER TABLE report_complaints ADD COLUMN score bigint;

DELETE FROM report_complaints;
DELETE FROM report_speed;
DELETE FROM report_days;
DELETE FROM report_feedback;
DELETE FROM report_customers;
DELETE FROM projector_checkpoints WHERE name = 'reports';
