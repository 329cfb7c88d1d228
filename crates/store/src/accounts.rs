//! Staff accounts: who may sign in, with which role. Passwords are hashed with argon2id
//! (never stored or logged in the clear); failed sign-ins are counted to slow down guessing.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use redress_domain::{CustomerEmail, StaffMember};
use serde::Serialize;
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// What a member of staff may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works complaints.
    Agent,
    /// Works complaints, sees dashboards and reports.
    Manager,
    /// Everything, including staff accounts.
    Admin,
}

impl Role {
    /// Every role, least powerful first.
    pub const ALL: [Role; 3] = [Role::Agent, Role::Manager, Role::Admin];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Result<Self, AccountError> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == code.trim().to_ascii_lowercase())
            .ok_or_else(|| AccountError::UnknownRole(code.chars().take(30).collect()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The email is taken.
    #[error("An account with the address {0} already exists.")]
    EmailTaken(String),
    /// Not an email address.
    #[error("{0}")]
    InvalidEmail(String),
    /// Empty name.
    #[error("The name must not be empty (at most 100 characters).")]
    InvalidName,
    /// Password too short or too long.
    #[error("The password must have at least 12 characters (and at most 200).")]
    WeakPassword,
    /// Not a role.
    #[error("\"{0}\" is not a role; choose agent, manager or admin.")]
    UnknownRole(String),
    /// No such account.
    #[error("There is no such staff account.")]
    NotFound,
    /// The change would leave no active admin.
    #[error(
        "This is the last active admin account: make someone else an admin first, so the team always keeps someone who can manage staff accounts."
    )]
    LastAdmin,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> Self {
        AccountError::Store(StoreError::Database(error))
    }
}

/// A staff account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffAccount {
    /// Its id (also in events, as the staff member's id).
    pub id: Uuid,
    /// Sign-in address, lower case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Whether they may sign in.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The IANA time zone they read times in, once chosen (or reported by their browser).
    pub time_zone: Option<String>,
    /// Whether their password was set by an admin and must be changed before anything else.
    pub must_change_password: bool,
    /// Marked away: automatic assignment skips them.
    pub away: bool,
    /// The language they read Redress in (a code), once chosen; else their browser's.
    pub language: Option<String>,
    /// They sign in with a second factor.
    pub two_factor: bool,
    /// Their role must sign in with a second factor.
    pub two_factor_required: bool,
    /// They sign in only with single sign-on (their password, if any, does not sign in).
    pub sso_only: bool,
}

impl StaffAccount {
    /// As recorded in events.
    pub fn member(&self) -> StaffMember {
        StaffMember {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

pub(crate) type AccountRow = (
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
);

pub(crate) fn from_row(row: AccountRow) -> Result<(StaffAccount, String), StoreError> {
    let (
        id,
        email,
        name,
        role,
        active,
        created_at,
        hash,
        time_zone,
        must_change_password,
        away,
        language,
        two_factor,
        two_factor_required,
        sso_only,
    ) = row;
    let role = Role::parse(&role)
        .map_err(|_| StoreError::Corrupt(format!("account {id} has the role {role:?}")))?;
    Ok((
        StaffAccount {
            id,
            email,
            name,
            role,
            active,
            created_at,
            time_zone,
            must_change_password,
            away,
            language,
            two_factor,
            two_factor_required,
            sso_only,
        },
        hash,
    ))
}

const SELECT: &str = "SELECT id, email, name, role, active, created_at, password_hash, time_zone, \
                      must_change_password, away, language, \
    EXISTS (SELECT 1 FROM staff_totp t WHERE t.account_id = staff_accounts.id), \
    EXISTS (SELECT 1 FROM two_factor_roles r WHERE r.role = staff_accounts.role), sso_only \
    FROM staff_accounts";

/// Hashes a password with argon2id and a random salt (slow on purpose: call off the async
/// threads, e.g. in `spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let length = password.chars().count();
    if !(12..=200).contains(&length) {
        return Err(AccountError::WeakPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Store(StoreError::Corrupt(format!("hashing failed: {e}"))))
}

/// Checks a password against a stored hash (slow on purpose).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a password nobody has, to spend the same time on unknown addresses.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password("decoy password that matches nothing").expect("a valid decoy password")
    })
}

/// Staff accounts in the database.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Database,
}

impl Accounts {
    /// Accounts in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Creates an account. `password_hash` comes from [`hash_password`].
    pub async fn create(
        &self,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<StaffAccount, AccountError> {
        self.create_with_id(Uuid::new_v4(), email, name, role, password_hash)
            .await
    }

    /// Creates an account with a given id (imports, demo data).
    pub async fn create_with_id(
        &self,
        id: Uuid,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<StaffAccount, AccountError> {
        let email = CustomerEmail::parse(email)
            .map_err(|e| AccountError::InvalidEmail(e.to_string()))?
            .normalised();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AccountError::InvalidName);
        }
        let now = Utc::now();
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO staff_accounts (id, email, name, role, password_hash, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"
        )
        .bind(id)
        .bind(&email)
        .bind(name)
        .bind(role.code())
        .bind(password_hash)
        .bind(true)
        .bind(now)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        if inserted == 0 {
            return Err(AccountError::EmailTaken(email));
        }
        self.get(id).await?.ok_or(AccountError::NotFound)
    }

    /// An account by id.
    pub async fn get(&self, id: Uuid) -> Result<Option<StaffAccount>, StoreError> {
        let sql = format!("{SELECT} WHERE id = $1");
        let row: Option<AccountRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.map(|r| from_row(r).map(|(account, _)| account))
            .transpose()
    }

    /// An account and its password hash, by sign-in address.
    pub async fn credentials(
        &self,
        email: &str,
    ) -> Result<Option<(StaffAccount, String)>, StoreError> {
        let sql = format!("{SELECT} WHERE email = $1");
        let row: Option<AccountRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(pool)
            .await)?;
        row.map(from_row).transpose()
    }

    /// Every account, by name.
    pub async fn list(&self) -> Result<Vec<StaffAccount>, StoreError> {
        let sql = format!("{SELECT} ORDER BY name, email");
        let rows: Vec<AccountRow> =
            on_pool!(&self.db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| from_row(r).map(|(account, _)| account))
            .collect()
    }

    /// The accounts that may sign in (the people work can be given to or mention), by name.
    pub async fn active(&self) -> Result<Vec<StaffAccount>, StoreError> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter(|a| a.active)
            .collect())
    }

    /// Changes an account's role.
    pub async fn set_role(&self, id: Uuid, role: Role) -> Result<(), AccountError> {
        self.guarded_update(
            id,
            "UPDATE staff_accounts SET role = $1, updated_at = $2 WHERE id = $3",
            role.code(),
        )
        .await
    }

    /// Runs `sql` (binding `value`, now, `id`) unless it would leave no active admin. Every
    /// change that could remove an admin goes through here: on PostgreSQL the active admins'
    /// rows are locked first, so two admins demoting each other at the same moment are served
    /// one after the other and the second is refused; on SQLite a first write takes the
    /// database's single write lock.
    async fn guarded_update(&self, id: Uuid, sql: &str, value: &str) -> Result<(), AccountError> {
        let mut tx = self.db.begin().await?;
        match &mut tx {
            crate::db::Tx::Postgres(t) => {
                sqlx::query(
                    "SELECT id FROM staff_accounts WHERE role = 'admin' AND active FOR UPDATE",
                )
                .fetch_all(&mut **t)
                .await?;
            }
            // A write first takes SQLite's write lock before anything is read (a read first
            // would make a second writer fail with SQLITE_BUSY instead of waiting its turn).
            crate::db::Tx::Sqlite(t) => {
                sqlx::query("UPDATE staff_accounts SET updated_at = updated_at WHERE id = $1")
                    .bind(id)
                    .execute(&mut **t)
                    .await?;
            }
        }
        // Only a change to an active admin can take the last one away (a team may well
        // have no admin yet, before its first is created).
        let was_admin: Option<bool> = crate::on_db!(&mut tx, |q| sqlx::query_scalar(
            "SELECT role = 'admin' AND active FROM staff_accounts WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(q)
        .await)?;
        let Some(was_admin) = was_admin else {
            return Err(AccountError::NotFound);
        };
        let updated = crate::on_db!(&mut tx, |q| sqlx::query(sql)
            .bind(value)
            .bind(Utc::now())
            .bind(id)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        if updated == 0 {
            return Err(AccountError::NotFound);
        }
        let admins: i64 = crate::on_db!(&mut tx, |q| sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff_accounts WHERE role = 'admin' AND active"
        )
        .fetch_one(q)
        .await)?;
        if was_admin && admins == 0 {
            // Dropping the transaction rolls the change back.
            return Err(AccountError::LastAdmin);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Activates or deactivates an account. A deactivated account cannot sign in; its past
    /// actions keep its name.
    pub async fn set_active(&self, id: Uuid, active: bool) -> Result<(), AccountError> {
        // `active` travels as text so one guarded statement serves both backends.
        self.guarded_update(
            id,
            "UPDATE staff_accounts SET active = ($1 = 'true'), updated_at = $2 WHERE id = $3",
            if active { "true" } else { "false" },
        )
        .await
    }

    /// Sets the time zone an account reads times in (an IANA name the caller has checked).
    pub async fn set_time_zone(&self, id: Uuid, time_zone: &str) -> Result<(), AccountError> {
        self.update(id, "time_zone", time_zone).await
    }

    /// Sets the language an account reads Redress in (a code the caller has checked), or
    /// clears it (their browser's).
    pub async fn set_language(&self, id: Uuid, language: Option<&str>) -> Result<(), AccountError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE staff_accounts SET language = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(language)
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if updated == 0 {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    /// Marks a person away (automatic assignment skips them) or back.
    pub async fn set_away(&self, id: Uuid, away: bool) -> Result<(), AccountError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE staff_accounts SET away = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(away)
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if updated == 0 {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    /// Limits an account to single sign-on (its password no longer signs in), or lifts that.
    pub async fn set_sso_only(&self, id: Uuid, sso_only: bool) -> Result<(), AccountError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE staff_accounts SET sso_only = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(sso_only)
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if updated == 0 {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    /// Replaces an account's password hash.
    pub async fn set_password_hash(&self, id: Uuid, hash: &str) -> Result<(), AccountError> {
        self.set_password(id, hash, false).await
    }

    /// Replaces an account's password hash; `must_change`: it is a temporary one, set by an
    /// admin, to be changed at the next sign-in.
    pub async fn set_password(
        &self,
        id: Uuid,
        hash: &str,
        must_change: bool,
    ) -> Result<(), AccountError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE staff_accounts SET password_hash = $1, must_change_password = $2,
                    updated_at = $3 WHERE id = $4"
        )
        .bind(hash)
        .bind(must_change)
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if updated == 0 {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    async fn update(&self, id: Uuid, column: &str, value: &str) -> Result<(), AccountError> {
        let sql = format!("UPDATE staff_accounts SET {column} = $1, updated_at = $2 WHERE id = $3");
        let updated = on_pool!(&self.db, |pool| sqlx::query(&sql)
            .bind(value)
            .bind(Utc::now())
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        if updated == 0 {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    /// Records a failed sign-in for an address.
    pub async fn record_failure(&self, email: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO sign_in_failures (email, failed_at) VALUES ($1, $2)"
        )
        .bind(email.trim().to_lowercase())
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Failed sign-ins for an address within `window`.
    pub async fn recent_failures(&self, email: &str, window: Duration) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_failures WHERE email = $1 AND failed_at > $2"
        )
        .bind(email.trim().to_lowercase())
        .bind(Utc::now() - window)
        .fetch_one(pool)
        .await)?)
    }

    /// Forgets failed sign-ins older than `before` (housekeeping).
    pub async fn prune_failures(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM sign_in_failures WHERE failed_at < $1"
        )
        .bind(before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Forgets an address's failures (after a successful sign-in).
    pub async fn clear_failures(&self, email: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM sign_in_failures WHERE email = $1"
        )
        .bind(email.trim().to_lowercase())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery staple"));
        assert!(!verify_password(&hash, "correct horse battery stapl"));
        assert!(!verify_password("not a hash", "anything"));
        assert!(!verify_password(decoy_hash(), "anything at all here"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            hash_password("short"),
            Err(AccountError::WeakPassword)
        ));
    }

    #[test]
    fn roles_parse_from_their_codes() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()).unwrap(), role);
        }
        assert_eq!(
            Role::parse("root").unwrap_err().to_string(),
            "\"root\" is not a role; choose agent, manager or admin."
        );
    }
}
