-- Nothing to do on SQLite (PostgreSQL's events trigger sent NOTIFY; SQLite has one writer and
-- wakes its projectors in process). Kept so both backends number their migrations alike.
SELECT 1;
