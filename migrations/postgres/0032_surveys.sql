-- Periodic surveys (the voice of the customer), December 2026: "If you ran this company and
-- wanted more customers and more business, what would you change?", asked of every contact
-- now and then, and of key accounts' major contacts more often.
--
-- One row per invitation: whom it asks (a customer: their key seals the answer's words), in
-- which language, for which company, whether as a major contact, when it was planned and when
-- its email goes (a wave is spread over time), and the answer once given. Erasing the
-- customer deletes their key, so the words can no longer be opened, and blanks them here.
CREATE TABLE survey_invitations
(
    id            uuid PRIMARY KEY,
    customer_id   uuid        NOT NULL,
    company       text,
    language      text        NOT NULL,
    major         boolean     NOT NULL,
    asked_at      timestamptz NOT NULL,
    send_at       timestamptz NOT NULL,
    answered_at   timestamptz,
    score         bigint,
    would_change  text,
    wants_contact boolean     NOT NULL DEFAULT false
);
CREATE INDEX survey_invitations_customer ON survey_invitations (customer_id, asked_at DESC);
CREATE INDEX survey_invitations_answered ON survey_invitations (answered_at) WHERE answered_at IS NOT NULL;

-- The customers who asked never to be surveyed again, and when.
CREATE TABLE survey_opt_outs
(
    customer_id uuid PRIMARY KEY,
    at          timestamptz NOT NULL
);

-- The follow-ups of periodic survey answers that scored low or asked to be contacted: the
-- complaint opened for each (service recovery; the recovery worker is its only writer).
CREATE TABLE survey_follow_ups
(
    invitation uuid PRIMARY KEY,
    follow_up  text        NOT NULL,
    state      text        NOT NULL,
    opened_at  timestamptz NOT NULL
);
