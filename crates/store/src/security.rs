//! The records the web layer's security keeps besides sessions ([`crate::sessions`]): the
//! audit trail and request counts for rate limits. Neither is event-sourced: they are about
//! who used Redress, not about what happened to a complaint.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::accounts::StaffAccount;
use crate::db::Database;
use crate::{StoreError, on_pool};

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
    /// A category was added, renamed, given an FCA group, retired or offered again.
    CategoryChanged,
    /// A recorded free-text category was mapped to a category (or no longer).
    CategoryMapped,
    /// Someone turned two-factor sign-in on.
    TwoFactorEnabled,
    /// Someone turned two-factor sign-in off, or an admin reset someone's.
    TwoFactorRemoved,
    /// An admin changed which roles must sign in with a second factor.
    TwoFactorRoles,
    /// An admin registered a webhook endpoint, or switched one on or off.
    WebhookChanged,
    /// A webhook endpoint failed too often in a row and was switched off.
    WebhookSwitchedOff,
    /// Someone registered a passkey.
    PasskeyAdded,
    /// Someone removed one of their passkeys, or an admin removed all of someone's.
    PasskeyRemoved,
    /// An admin limited an account to single sign-on, or lifted that.
    SsoOnlyChanged,
    /// An admin added, renamed or retired a root cause.
    RootCauseChanged,
    /// A manager opened a corrective action, or marked one done.
    CorrectiveActionChanged,
    /// An admin changed who the periodic surveys ask and how often.
    SurveyRulesChanged,
}

impl AuditAction {
    /// Every action, in the order the audit page offers them.
    pub const ALL: [AuditAction; 30] = [
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
        AuditAction::CategoryChanged,
        AuditAction::CategoryMapped,
        AuditAction::TwoFactorEnabled,
        AuditAction::TwoFactorRemoved,
        AuditAction::TwoFactorRoles,
        AuditAction::WebhookChanged,
        AuditAction::WebhookSwitchedOff,
        AuditAction::PasskeyAdded,
        AuditAction::PasskeyRemoved,
        AuditAction::SsoOnlyChanged,
        AuditAction::RootCauseChanged,
        AuditAction::CorrectiveActionChanged,
        AuditAction::SurveyRulesChanged,
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
            AuditAction::CategoryChanged => "category_changed",
            AuditAction::CategoryMapped => "category_mapped",
            AuditAction::TwoFactorEnabled => "two_factor_enabled",
            AuditAction::TwoFactorRemoved => "two_factor_removed",
            AuditAction::TwoFactorRoles => "two_factor_roles",
            AuditAction::WebhookChanged => "webhook_changed",
            AuditAction::WebhookSwitchedOff => "webhook_switched_off",
            AuditAction::PasskeyAdded => "passkey_added",
            AuditAction::PasskeyRemoved => "passkey_removed",
            AuditAction::SsoOnlyChanged => "sso_only_changed",
            AuditAction::RootCauseChanged => "root_cause_changed",
            AuditAction::CorrectiveActionChanged => "corrective_action_changed",
            AuditAction::SurveyRulesChanged => "survey_rules_changed",
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
            AuditAction::CategoryChanged => "Category changed",
            AuditAction::CategoryMapped => "Recorded category mapped",
            AuditAction::TwoFactorEnabled => "Two-factor sign-in turned on",
            AuditAction::TwoFactorRemoved => "Two-factor sign-in turned off or reset",
            AuditAction::TwoFactorRoles => "Two-factor sign-in required of roles",
            AuditAction::WebhookChanged => "Webhook endpoint registered or switched",
            AuditAction::WebhookSwitchedOff => "Webhook endpoint switched off by failures",
            AuditAction::PasskeyAdded => "Passkey added",
            AuditAction::PasskeyRemoved => "Passkey removed",
            AuditAction::SsoOnlyChanged => "Single sign-on only (set or lifted)",
            AuditAction::RootCauseChanged => "Root cause added or changed",
            AuditAction::CorrectiveActionChanged => "Corrective action opened or done",
            AuditAction::SurveyRulesChanged => "Survey rules changed",
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
