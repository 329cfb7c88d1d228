-- Who the periodic surveys ask and how often, as an admin set them at /admin/surveys (one
-- row; none: the REDRESS_SURVEY_* settings apply). Every instance reads it before each wave.
CREATE TABLE survey_rules
(
    id                 integer PRIMARY KEY CHECK (id = 1),
    every_months       bigint      NOT NULL,
    key_every_months   bigint      NOT NULL,
    min_days           bigint      NOT NULL,
    per_hour           bigint      NOT NULL,
    updated_at         timestamptz NOT NULL,
    updated_by         text        NOT NULL
);
