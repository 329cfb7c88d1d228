-- Who the periodic surveys ask and how often: see migrations/postgres/0035_survey_rules.sql.
CREATE TABLE survey_rules
(
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    every_months       INTEGER NOT NULL,
    key_every_months   INTEGER NOT NULL,
    min_days           INTEGER NOT NULL,
    per_hour           INTEGER NOT NULL,
    updated_at         TEXT    NOT NULL,
    updated_by         TEXT    NOT NULL
);
