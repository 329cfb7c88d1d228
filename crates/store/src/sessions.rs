//! Staff sessions, kept on the server: the cookie carries a random token, the table its
//! SHA-256, so signing out, a deactivation or an admin ends a session for every copy of the
//! cookie. Their owner sees where they are (`SessionInfo`) and ends any of them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::accounts::{AccountRow, StaffAccount, from_row};
use crate::db::Database;
use crate::{StoreError, on_pool};

/// Staff sessions (see the module's documentation).
#[derive(Clone, Debug)]
pub struct StaffSessions {
    db: Database,
}

/// A live session, with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// Whose.
    pub account: StaffAccount,
    /// When it began (at sign-in).
    pub started_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
}

/// A session as its owner (and their admins) see it: where and when, never its token.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SessionInfo {
    /// Its id: the SHA-256 of its token ([`session_id`]), which opens nothing.
    pub id: String,
    /// When it began (at sign-in).
    pub started_at: DateTime<Utc>,
    /// When it was last used (to the minute: see the web layer's touch interval).
    pub last_seen_at: DateTime<Utc>,
    /// The client's address at sign-in.
    pub address: String,
    /// The browser's `User-Agent` at sign-in.
    pub user_agent: String,
}

/// The id of the session a token opens (what [`StaffSessions::of_staff`] lists).
pub fn session_id(token: &str) -> String {
    token_hash(token)
}

/// The SHA-256 of a session token, as stored (a leaked table opens no session).
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl StaffSessions {
    /// The sessions over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Starts a session for `staff`; returns its token (for the cookie only).
    pub async fn start(
        &self,
        staff: Uuid,
        now: DateTime<Utc>,
        address: &str,
        user_agent: &str,
    ) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO staff_sessions (token_hash, staff_id, started_at, last_seen_at, address,
                                         user_agent)
             VALUES ($1, $2, $3, $3, $4, $5)"
        )
        .bind(token_hash(&token))
        .bind(staff)
        .bind(now)
        .bind(address.chars().take(100).collect::<String>())
        .bind(user_agent.chars().take(300).collect::<String>())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(token)
    }

    /// The session with this token, and its account, if it exists.
    pub async fn find(&self, token: &str) -> Result<Option<LiveSession>, StoreError> {
        let row: Option<SessionRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT a.id, a.email, a.name, a.role, a.active, a.created_at, a.password_hash,
                    a.time_zone, a.must_change_password, a.away, a.language,
                    EXISTS (SELECT 1 FROM staff_totp t WHERE t.account_id = a.id),
                    EXISTS (SELECT 1 FROM two_factor_roles r WHERE r.role = a.role),
                    a.sso_only, s.started_at, s.last_seen_at
               FROM staff_sessions s JOIN staff_accounts a ON a.id = s.staff_id
              WHERE s.token_hash = $1",
            )
            .bind(token_hash(token))
            .fetch_optional(pool)
            .await
        })?;
        row.map(
            |(
                id,
                email,
                name,
                role,
                active,
                created_at,
                hash,
                zone,
                must_change,
                away,
                language,
                two_factor,
                two_factor_required,
                sso_only,
                started,
                seen,
            )| {
                let account: AccountRow = (
                    id,
                    email,
                    name,
                    role,
                    active,
                    created_at,
                    hash,
                    zone,
                    must_change,
                    away,
                    language,
                    two_factor,
                    two_factor_required,
                    sso_only,
                );
                from_row(account).map(|(account, _)| LiveSession {
                    account,
                    started_at: started,
                    last_seen_at: seen,
                })
            },
        )
        .transpose()
    }

    /// Notes that the session was used at `now`.
    pub async fn touch(&self, token: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1"
        )
        .bind(token_hash(token))
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends the session with this token (sign-out, timeout).
    pub async fn end(&self, token: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM staff_sessions WHERE token_hash = $1"
        )
        .bind(token_hash(token))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The sessions of `staff` still in the table, the last used first (some may have run
    /// out of time and wait to be pruned: the caller knows the limits).
    pub async fn of_staff(&self, staff: Uuid) -> Result<Vec<SessionInfo>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT token_hash AS id, started_at, last_seen_at, address, user_agent
               FROM staff_sessions WHERE staff_id = $1
              ORDER BY last_seen_at DESC, started_at DESC"
        )
        .bind(staff)
        .fetch_all(pool)
        .await)?)
    }

    /// Ends the session `id` ([`session_id`]) if it is one of `staff`'s; whether it was.
    pub async fn end_one(&self, staff: Uuid, id: &str) -> Result<bool, StoreError> {
        let ended = on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM staff_sessions WHERE token_hash = $1 AND staff_id = $2"
        )
        .bind(id)
        .bind(staff)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(ended == 1)
    }

    /// Ends every session of `staff` but `keep` ([`session_id`]); returns how many.
    pub async fn end_others(&self, staff: Uuid, keep: &str) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM staff_sessions WHERE staff_id = $1 AND token_hash <> $2"
        )
        .bind(staff)
        .bind(keep)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Ends every session of `staff` (deactivated, role changed); returns how many.
    pub async fn end_all(&self, staff: Uuid) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM staff_sessions WHERE staff_id = $1"
        )
        .bind(staff)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Deletes sessions started before `started_before` or idle since `seen_before` (expired
    /// either way); returns how many.
    pub async fn prune(
        &self,
        started_before: DateTime<Utc>,
        seen_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM staff_sessions WHERE started_at < $1 OR last_seen_at < $2"
        )
        .bind(started_before)
        .bind(seen_before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// How many sessions `staff` has.
    pub async fn count(&self, staff: Uuid) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff_sessions WHERE staff_id = $1"
        )
        .bind(staff)
        .fetch_one(pool)
        .await)?)
    }
}

/// An account row and the session's start and last use.
type SessionRow = (
    Uuid,
    String,
    String,
    String,
    bool,
    DateTime<Utc>,
    String,
    Option<String>,
    bool,
    bool,
    Option<String>,
    bool,
    bool,
    bool,
    DateTime<Utc>,
    DateTime<Utc>,
);
