//! The records the web layer's security keeps: staff sessions on the server, the audit trail,
//! and request counts for rate limits. None of them is event-sourced: they are about who
//! used Redress, not about what happened to a complaint.

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
        let row: Option<SessionRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT a.id, a.email, a.name, a.role, a.active, a.created_at, a.password_hash,
                    a.time_zone, a.must_change_password, s.started_at, s.last_seen_at
               FROM staff_sessions s JOIN staff_accounts a ON a.id = s.staff_id
              WHERE s.token_hash = $1"
        )
        .bind(token_hash(token))
        .fetch_optional(pool)
        .await)?;
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
    DateTime<Utc>,
    DateTime<Utc>,
);

/// What the audit trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A member of staff signed in.
    SignIn,
    /// A sign-in was refused (wrong password, unknown address, deactivated, locked).
    SignInFailed,
    /// A member of staff signed out.
    SignOut,
    /// A staff account was created.
    AccountCreated,
    /// A staff account's role was changed.
    RoleChanged,
    /// A staff account was deactivated or reactivated.
    AccountActivity,
    /// An API token was created.
    TokenCreated,
    /// An API token was revoked.
    TokenRevoked,
    /// An API token was used.
    TokenUsed,
    /// Everything held about a customer was exported.
    CustomerExported,
    /// A customer's personal data was erased.
    CustomerErased,
    /// The retention job ran.
    RetentionRun,
    /// Someone changed their own password.
    PasswordChanged,
    /// An admin set a temporary password for someone.
    PasswordReset,
    /// A session was ended by its owner (from another) or all of someone's by an admin.
    SessionsEnded,
    /// Someone asked for a link to choose a new password (sent or not, and why).
    PasswordResetAsked,
    /// Someone chose a new password with a link.
    PasswordResetUsed,
}

impl AuditAction {
    /// Every action, in the order the audit page offers them.
    pub const ALL: [AuditAction; 17] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::AccountCreated,
        AuditAction::RoleChanged,
        AuditAction::AccountActivity,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::TokenUsed,
        AuditAction::CustomerExported,
        AuditAction::CustomerErased,
        AuditAction::RetentionRun,
        AuditAction::PasswordChanged,
        AuditAction::PasswordReset,
        AuditAction::SessionsEnded,
        AuditAction::PasswordResetAsked,
        AuditAction::PasswordResetUsed,
    ];

    /// Its code in the table.
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::AccountCreated => "account_created",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::AccountActivity => "account_activity",
            AuditAction::TokenCreated => "token_created",
            AuditAction::TokenRevoked => "token_revoked",
            AuditAction::TokenUsed => "token_used",
            AuditAction::CustomerExported => "customer_exported",
            AuditAction::CustomerErased => "customer_erased",
            AuditAction::RetentionRun => "retention_run",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::SessionsEnded => "sessions_ended",
            AuditAction::PasswordResetAsked => "password_reset_asked",
            AuditAction::PasswordResetUsed => "password_reset_used",
        }
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Signed in",
            AuditAction::SignInFailed => "Sign-in refused",
            AuditAction::SignOut => "Signed out",
            AuditAction::AccountCreated => "Account created",
            AuditAction::RoleChanged => "Role changed",
            AuditAction::AccountActivity => "Account (de)activated",
            AuditAction::TokenCreated => "API token created",
            AuditAction::TokenRevoked => "API token revoked",
            AuditAction::TokenUsed => "API token used",
            AuditAction::CustomerExported => "Customer data exported",
            AuditAction::CustomerErased => "Customer data erased",
            AuditAction::RetentionRun => "Retention run",
            AuditAction::PasswordChanged => "Password changed",
            AuditAction::PasswordReset => "Temporary password set",
            AuditAction::SessionsEnded => "Sessions ended",
            AuditAction::PasswordResetAsked => "Password reset link asked for",
            AuditAction::PasswordResetUsed => "Password chosen with a reset link",
        }
    }

    /// The action with this code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// Who acted, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditActor {
    /// `staff:<id>`, `api:<token id>`, `system` or `anonymous`.
    pub key: String,
    /// Their name (or the address tried, for a refused sign-in).
    pub name: String,
}

impl AuditActor {
    /// A member of staff.
    pub fn staff(account: &StaffAccount) -> Self {
        Self {
            key: format!("staff:{}", account.id),
            name: account.name.clone(),
        }
    }

    /// An integration, by its token.
    pub fn token(id: Uuid, name: &str) -> Self {
        Self {
            key: format!("api:{id}"),
            name: name.to_string(),
        }
    }

    /// Redress itself (a scheduled job), or a command on the server.
    pub fn system(name: &str) -> Self {
        Self {
            key: "system".into(),
            name: name.to_string(),
        }
    }

    /// Someone not signed in (a refused sign-in names the address tried).
    pub fn anonymous(name: &str) -> Self {
        Self {
            key: "anonymous".into(),
            name: name.to_string(),
        }
    }
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its number, in order of recording.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub action: String,
    /// What, in words.
    pub label: String,
    /// Who (key).
    pub actor: String,
    /// Who (name).
    pub actor_name: String,
    /// To whom or what.
    pub target: String,
    /// More about it.
    pub detail: String,
    /// From where (the client's address).
    pub address: String,
}

/// The audit trail.
#[derive(Clone, Debug)]
pub struct AuditTrail {
    db: Database,
}

impl AuditTrail {
    /// The trail over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Records an entry.
    pub async fn record(
        &self,
        at: DateTime<Utc>,
        action: AuditAction,
        actor: &AuditActor,
        target: &str,
        detail: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        // Whatever a visitor typed (a sign-in address) is kept, but never a NUL, which
        // PostgreSQL cannot store.
        let clip = |text: &str, max: usize| {
            text.chars()
                .take(max)
                .map(|c| if c == '\0' { '\u{fffd}' } else { c })
                .collect::<String>()
        };
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO audit_log (at, action, actor, actor_name, target, detail, address)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(at)
        .bind(action.code())
        .bind(&actor.key)
        .bind(clip(&actor.name, 200))
        .bind(clip(target, 300))
        .bind(clip(detail, 1000))
        .bind(clip(address, 100))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Entries newest first, of one action or all, before entry `before` (for the next
    /// page), at most `limit`.
    pub async fn list(
        &self,
        action: Option<AuditAction>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, at, action, actor, actor_name, target, detail, address FROM audit_log
              WHERE ($1 = '' OR action = $1) AND id < $2
              ORDER BY id DESC LIMIT $3"
        )
        .bind(action.map_or("", AuditAction::code))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at, action, actor, actor_name, target, detail, address)| AuditEntry {
                    id,
                    at,
                    label: AuditAction::parse(&action)
                        .map_or_else(|| action.clone(), |a| a.label().to_string()),
                    action,
                    actor,
                    actor_name,
                    target,
                    detail,
                    address,
                },
            )
            .collect())
    }
}

impl AuditTrail {
    /// Forgets entries older than `before` (the trail is kept for a set time, then goes);
    /// returns how many.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM audit_log WHERE at < $1"
        )
        .bind(before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }
}

/// id, at, action, actor, actor name, target, detail, address.
type AuditRow = (
    i64,
    DateTime<Utc>,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// Request counts for rate limits, in fixed windows, shared by every instance.
#[derive(Clone, Debug)]
pub struct RateLimits {
    db: Database,
}

impl RateLimits {
    /// The counts over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The window of `window_seconds` holding `now`.
    fn window(now: DateTime<Utc>, window_seconds: i64) -> DateTime<Utc> {
        let window_seconds = window_seconds.max(1);
        let start = now.timestamp() - now.timestamp().rem_euclid(window_seconds);
        DateTime::from_timestamp(start, 0).unwrap_or(now)
    }

    /// The requests counted for `key` in the window holding `now`, without counting one.
    pub async fn count(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_seconds: i64,
    ) -> Result<i64, StoreError> {
        let window = Self::window(now, window_seconds);
        let hits: Option<i64> = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(
            "SELECT CAST(hits AS BIGINT) FROM rate_limit_hits WHERE key = $1 AND window_start = $2"
        )
        .bind(key)
        .bind(window)
        .fetch_optional(pool)
        .await
        })?;
        Ok(hits.unwrap_or(0))
    }

    /// Counts one request for `key` in the window holding `now`; returns the count now.
    pub async fn count_hit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_seconds: i64,
    ) -> Result<i64, StoreError> {
        let window = Self::window(now, window_seconds);
        let hits: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "INSERT INTO rate_limit_hits (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1
             RETURNING CAST(hits AS BIGINT)"
        )
        .bind(key)
        .bind(window)
        .fetch_one(pool)
        .await)?;
        Ok(hits)
    }

    /// Forgets windows that ended before `before`; returns how many.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM rate_limit_hits WHERE window_start < $1"
        )
        .bind(before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
