-- PostgreSQL gets a trigram index for the queue's text search here; SQLite keeps scanning
-- search_text (an FTS5 trigram table is the planned equivalent). This file keeps the two
-- migration histories numbered alike.
SELECT 1;
