-- Text search in the queue on SQLite: an FTS5 trigram index over complaint_list.search_text,
-- kept by triggers in the projector's own transaction (the PostgreSQL twin is 0006's pg_trgm
-- index). A search of three characters or more reads the index; shorter ones scan.
CREATE VIRTUAL TABLE complaint_search USING fts5(
    search_text,
    content = 'complaint_list',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);

CREATE TRIGGER complaint_search_insert AFTER INSERT ON complaint_list
BEGIN
    INSERT INTO complaint_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaint_list
BEGIN
    INSERT INTO complaint_search (complaint_search, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
END;

CREATE TRIGGER complaint_search_update AFTER UPDATE OF search_text ON complaint_list
    WHEN old.search_text IS NOT new.search_text
BEGIN
    INSERT INTO complaint_search (complaint_search, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO complaint_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

INSERT INTO complaint_search (complaint_search) VALUES ('rebuild');
