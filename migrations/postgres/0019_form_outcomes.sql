-- What a one-time form token's submission led to (the public form: the complaint's
-- reference), so that a replay can say where the first submission went.
ALTER TABLE form_submissions ADD COLUMN outcome TEXT;
