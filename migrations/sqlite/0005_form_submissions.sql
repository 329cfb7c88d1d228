-- One-time tokens of submitted staff forms: a replayed form (double click, back button,
-- resent request) is recognised and does nothing twice.
CREATE TABLE form_submissions
(
    token        TEXT PRIMARY KEY,
    submitted_at TEXT NOT NULL
);
