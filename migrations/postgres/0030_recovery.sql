-- Service recovery (the voice of the customer), December 2026.
--
-- Every score of 4 or less the `recovery` projector sees, once: the complaint scored, the
-- event's number in it, the score and when it was given, and the reference the follow-up
-- complaint is received under (derived from the event, so a retry after a crash finds the
-- follow-up already there instead of opening a second). The recovery worker opens the
-- follow-ups of scores at or below the configured limit (`opened`) and marks the rest
-- (`skipped`: not low enough, recovery turned off, or the customer erased). Rows survive a
-- rebuild, as the outbox's do: they are what was done.
CREATE TABLE recovery_queue
(
    source     text PRIMARY KEY,
    sequence   bigint      NOT NULL,
    score      integer     NOT NULL,
    scored_at  timestamptz NOT NULL,
    follow_up  text        NOT NULL UNIQUE,
    state      text        NOT NULL DEFAULT 'pending',
    reason     text,
    opened_at  timestamptz
);
CREATE INDEX recovery_queue_pending ON recovery_queue (scored_at) WHERE state = 'pending';
