//! Forgotten passwords: each request is a row (`password_resets`), and its link goes out
//! through the outbox. The link carries the row's random id and an HMAC of it under an
//! instance secret, so the outbox row holds no secret of its own and the sender can make the
//! link again when it sends. A link works once, within its time, for an active account.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use uuid::Uuid;

use crate::accounts::StaffAccount;
use crate::db::Database;
use crate::outbox::Outbox;
use crate::{Accounts, StoreError, on_pool};

/// How long a reset link works.
pub const LINK_LIFETIME: Duration = Duration::minutes(30);

/// Forgotten-password requests and their links.
#[derive(Clone)]
pub struct PasswordResets {
    db: Database,
    key: Vec<u8>,
}

impl std::fmt::Debug for PasswordResets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordResets").finish_non_exhaustive()
    }
}

/// The outbox id of the email carrying reset `id`.
pub fn outbox_id(id: &str) -> String {
    format!("reset.{id}")
}

/// The reset an outbox id ([`outbox_id`]) carries, if it is one.
pub fn parse_outbox_id(id: &str) -> Option<&str> {
    id.strip_prefix("reset.")
}

impl PasswordResets {
    /// The resets over `db`, their links signed with `key` (at least 32 bytes).
    pub fn new(db: Database, key: Vec<u8>) -> Self {
        Self { db, key }
    }

    /// The MAC of reset `id`, fed and ready to finish or verify.
    fn mac(&self, id: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(format!("password-reset:{id}").as_bytes());
        mac
    }

    /// The token of reset `id`'s link (`/reset-password/{token}`).
    pub fn token(&self, id: &str) -> String {
        format!(
            "{id}.{}",
            URL_SAFE_NO_PAD.encode(self.mac(id).finalize().into_bytes())
        )
    }

    /// The reset a token names, if the token is one of ours exactly as issued.
    fn id_of<'t>(&self, token: &'t str) -> Option<&'t str> {
        let (id, signature) = token.split_once('.')?;
        let given = URL_SAFE_NO_PAD.decode(signature).ok()?;
        if URL_SAFE_NO_PAD.encode(&given) != signature {
            return None;
        }
        // Constant-time comparison.
        self.mac(id).verify_slice(&given).ok()?;
        Some(id)
    }

    /// A reset for the active account `account`, at `now`, its email queued in the outbox.
    pub async fn request(
        &self,
        account: &StaffAccount,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut bytes = [0u8; 18];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let id = URL_SAFE_NO_PAD.encode(bytes);
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO password_resets (id, staff_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)"
        )
        .bind(&id)
        .bind(account.id)
        .bind(now)
        .bind(now + LINK_LIFETIME)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Outbox::enqueue_password_reset(&self.db, &outbox_id(&id), account.id, now).await
    }

    /// Whether reset `id` can still be used at `now` (not used, not expired), and whose.
    pub async fn usable(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Uuid>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT staff_id FROM password_resets
              WHERE id = $1 AND used_at IS NULL AND expires_at > $2"
        )
        .bind(id)
        .bind(now)
        .fetch_optional(pool)
        .await)?)
    }

    /// The active account a link opens at `now`, if it still works.
    pub async fn open(
        &self,
        accounts: &Accounts,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffAccount>, StoreError> {
        let Some(id) = self.id_of(token) else {
            return Ok(None);
        };
        let Some(staff) = self.usable(id, now).await? else {
            return Ok(None);
        };
        Ok(accounts.get(staff).await?.filter(|a| a.active))
    }

    /// Uses the link once at `now`: the account it was for, if it still worked (a second use,
    /// a late one, or a forged one gets `None`). The caller then sets the password.
    pub async fn consume(
        &self,
        accounts: &Accounts,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffAccount>, StoreError> {
        let Some(id) = self.id_of(token) else {
            return Ok(None);
        };
        let staff: Option<Uuid> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $2
              WHERE id = $1 AND used_at IS NULL AND expires_at > $2
              RETURNING staff_id"
        )
        .bind(id)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        let Some(staff) = staff else {
            return Ok(None);
        };
        // Any other link of theirs is spent too: one new password per request.
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE staff_id = $1 AND used_at IS NULL"
        )
        .bind(staff)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(accounts.get(staff).await?.filter(|a| a.active))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_token_names_its_reset_only_as_issued() {
        let db = Database::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .connect_lazy("sqlite::memory:")
                .unwrap(),
        );
        let resets = PasswordResets::new(db.clone(), vec![7; 32]);
        let token = resets.token("abc");
        assert_eq!(resets.id_of(&token), Some("abc"));
        let other = PasswordResets::new(db, vec![8; 32]);
        assert_eq!(other.id_of(&token), None, "another installation's secret");
        for forged in [
            "abc".to_string(),
            format!("abd.{}", token.split_once('.').unwrap().1),
            format!("{token}x"),
            format!("{token}="),
            String::new(),
        ] {
            assert_eq!(resets.id_of(&forged), None, "{forged}");
        }
    }
}
