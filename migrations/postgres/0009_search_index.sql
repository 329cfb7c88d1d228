-- SQLite gets an FTS5 trigram index for the queue's text search here; PostgreSQL has had its
-- pg_trgm index since 0006. This file keeps the two migration histories numbered alike.
SELECT 1;
