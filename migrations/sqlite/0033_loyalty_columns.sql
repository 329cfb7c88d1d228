-- The loyalty report adds up in SQL: see migrations/postgres/0033_loyalty_columns.sql.
ALTER TABLE report_complaints ADD COLUMN acknowledge_secs INTEGER;
ALTER TABLE report_complaints ADD COLUMN resolve_secs INTEGER;
ALTER TABLE report_complaints ADD COLUMN team TEXT NOT NULL DEFAULT '';
ALTER TABLE report_complaints ADD COLUMN score INTEGER;

DELETE FROM report_complaints;
DELETE FROM report_speed;
DELETE FROM report_days;
DELETE FROM report_feedback;
DELETE FROM report_customers;
DELETE FROM projector_checkpoints WHERE name = 'reports';
