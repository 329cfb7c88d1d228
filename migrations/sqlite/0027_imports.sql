-- Importing complaints: see migrations/postgres/0027_imports.sql.
CREATE TABLE imported_complaints
(
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    reference   TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (source, external_id)
);
