-- A password an admin set (a temporary one) must be changed at the next sign-in.
ALTER TABLE staff_accounts ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
