-- Single sign-on with OpenID Connect and passkeys (WebAuthn), December 2026.
--
-- An account limited to single sign-on: its password (if it has one) no longer signs in, and
-- no link to choose one is sent. Accounts created by a first single sign-on are.
ALTER TABLE staff_accounts ADD COLUMN sso_only boolean NOT NULL DEFAULT false;

-- A person's passkeys: `credential_id` as the browser names it (base64url), `passkey` the
-- relying party's record of it (webauthn-rs' JSON: the public key and the signature counter,
-- nothing secret), the name its owner gave it, and when it last signed in.
CREATE TABLE staff_passkeys
(
    id            uuid PRIMARY KEY,
    account_id    uuid        NOT NULL REFERENCES staff_accounts (id),
    credential_id text        NOT NULL UNIQUE,
    name          text        NOT NULL,
    passkey       text        NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);
CREATE INDEX staff_passkeys_account ON staff_passkeys (account_id);
