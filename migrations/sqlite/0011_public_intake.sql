-- Complaints filed through the public form, per client address, to slow down floods.
-- Rows older than a day are deleted as new ones arrive.
CREATE TABLE public_intake
(
    client      TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX public_intake_client ON public_intake (client, received_at);
