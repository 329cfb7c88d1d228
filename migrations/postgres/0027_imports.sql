-- Importing complaints from another help desk (December 2026): each imported row's id in its
-- source (`external_id`, unique per source), and the complaint it became, so running the same
-- file again imports nothing twice.
CREATE TABLE imported_complaints
(
    source      text        NOT NULL,
    external_id text        NOT NULL,
    reference   text        NOT NULL,
    imported_at timestamptz NOT NULL,
    PRIMARY KEY (source, external_id)
);
