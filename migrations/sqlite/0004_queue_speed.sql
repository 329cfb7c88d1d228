-- The queue's category filter reads this small table instead of scanning every complaint.
CREATE TABLE complaint_categories
(
    category TEXT PRIMARY KEY
);
INSERT INTO complaint_categories (category) SELECT DISTINCT category FROM complaint_list;

-- One lower-cased column to search instead of five (kept by the complaint list projector).
ALTER TABLE complaint_list ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE complaint_list
   SET search_text = LOWER(reference || ' ' || COALESCE(customer_name, '') || ' ' ||
                           COALESCE(customer_email, '') || ' ' || COALESCE(company, '') || ' ' || summary);

-- "Mine" in every order.
CREATE INDEX complaint_list_owner_heard ON complaint_list (owner_id, closed, last_heard_at, reference);
CREATE INDEX complaint_list_owner_priority ON complaint_list (owner_id, closed, priority_rank DESC, received_at, reference);
