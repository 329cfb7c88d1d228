-- One-time tokens of submitted staff forms: a replayed form (double click, back button,
-- resent request) is recognised and does nothing twice.
CREATE TABLE form_submissions
(
    token        text PRIMARY KEY,
    submitted_at timestamptz NOT NULL
);
