-- The time zone each member of staff reads times in (an IANA name such as Europe/London);
-- NULL until they choose one or their browser tells us at sign-in.
ALTER TABLE staff_accounts ADD COLUMN time_zone text;
