-- Staff sessions kept on the server: the cookie carries a random token, the database its
-- SHA-256, so signing out (or an admin deactivating the account) ends the session for every
-- copy of the cookie, and idle and absolute timeouts are enforced here.
CREATE TABLE staff_sessions
(
    token_hash   text        PRIMARY KEY,
    staff_id     uuid        NOT NULL REFERENCES staff_accounts (id),
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    address      text        NOT NULL,
    user_agent   text        NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Who did what to whom, when, from where: sign-ins (and failures), account and role changes,
-- API tokens made, revoked and used, customer data exported and erased, retention runs.
CREATE TABLE audit_log
(
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    action     text        NOT NULL,
    actor      text        NOT NULL,
    actor_name text        NOT NULL,
    target     text        NOT NULL,
    detail     text        NOT NULL,
    address    text        NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, at);

-- Requests counted per key (sign-in per address, API per token, ...) and fixed window.
CREATE TABLE rate_limit_hits
(
    key          text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_hits_window ON rate_limit_hits (window_start);
