-- Text search in the queue (`search_text LIKE '%words%'`) uses a trigram index instead of
-- reading every complaint. pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX complaint_list_search ON complaint_list USING gin (search_text gin_trgm_ops);
