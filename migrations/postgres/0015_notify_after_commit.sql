-- Other instances are told of new events by a NOTIFY sent after the command commits, outside
-- its transaction (redress-store's Announcer), no longer by a trigger inside it: PostgreSQL
-- serialises the commits of all transactions that notify, one disk flush at a time.
DROP TRIGGER events_notify ON events;
DROP FUNCTION redress_notify_events();
