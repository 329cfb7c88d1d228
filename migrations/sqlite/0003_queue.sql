-- The queue sorts by how long the customer has not heard from us, and by priority.
ALTER TABLE complaint_list ADD COLUMN last_heard_at TEXT;
ALTER TABLE complaint_list ADD COLUMN priority_rank INTEGER NOT NULL DEFAULT 1;
UPDATE complaint_list
   SET last_heard_at = COALESCE(customer_informed_at, received_at),
       priority_rank = CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END;

CREATE INDEX complaint_list_active_received ON complaint_list (closed, received_at DESC, reference DESC);
CREATE INDEX complaint_list_active_heard ON complaint_list (closed, last_heard_at, reference);
CREATE INDEX complaint_list_active_priority ON complaint_list (closed, priority_rank DESC, received_at, reference);
CREATE INDEX complaint_list_owner ON complaint_list (owner_id, closed, received_at DESC);
