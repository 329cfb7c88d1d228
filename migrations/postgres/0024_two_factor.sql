-- Two-factor sign-in with an authenticator app (RFC 6238), December 2026.
--
-- A person's shared secret (base32), once they confirmed a code from it; `last_step`: the
-- time step of the last code accepted, so a code is never accepted twice.
CREATE TABLE staff_totp
(
    account_id uuid PRIMARY KEY REFERENCES staff_accounts (id),
    secret     text        NOT NULL,
    enabled_at timestamptz NOT NULL,
    last_step  bigint      NOT NULL DEFAULT 0
);

-- Ten single-use recovery codes per person, kept as SHA-256 hashes (the codes are shown once).
CREATE TABLE staff_recovery_codes
(
    account_id uuid NOT NULL REFERENCES staff_accounts (id),
    code_hash  text NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (account_id, code_hash)
);

-- The roles whose people must sign in with a second factor.
CREATE TABLE two_factor_roles
(
    role text PRIMARY KEY CHECK (role IN ('agent', 'manager', 'admin'))
);
