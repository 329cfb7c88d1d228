//! Two-factor sign-in with an authenticator app (TOTP, RFC 6238: SHA-1, six digits, 30-second
//! steps, one step of clock drift either way), with ten single-use recovery codes, and the
//! roles whose people must use it. This module is the one writer of `staff_totp`,
//! `staff_recovery_codes` and `two_factor_roles`.
//!
//! A code is accepted once: the step of the last code accepted is kept, and a code of that
//! step or an earlier one is refused (a compare-and-set, so two requests racing with the same
//! code cannot both pass). Recovery codes are kept as SHA-256 hashes and are marked used.

use chrono::{DateTime, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use crate::accounts::Role;
use crate::db::Database;
use crate::{StoreError, on_db, on_pool};

/// Seconds per code.
pub const STEP: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Recovery codes given when two-factor sign-in is turned on.
pub const RECOVERY_CODES: usize = 10;

/// What a code given at sign-in turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// A code from the app, for the current time step (or one either side).
    Code,
    /// One of the recovery codes, now used up.
    RecoveryCode,
    /// A code from the app that was already used (the same step, or an earlier one).
    Reused,
    /// Neither.
    Wrong,
}

/// A fresh shared secret, base32 (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::thread_rng().r#gen();
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret: &str) -> Result<TOTP, StoreError> {
    let bytes = Secret::Encoded(secret.to_string())
        .to_bytes()
        .map_err(|e| StoreError::Corrupt(format!("a two-factor secret is not base32: {e:?}")))?;
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP, bytes)
        .map_err(|e| StoreError::Corrupt(format!("a two-factor secret is refused: {e:?}")))
}

/// The time step `code` belongs to, if it is the code of `secret` within one step of `now`.
pub fn step_of(secret: &str, code: &str, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
    let totp = totp(secret)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let now = u64::try_from(now.timestamp()).unwrap_or(0);
    let current = now / STEP;
    for step in [current, current.saturating_sub(1), current + 1] {
        if totp.generate(step * STEP) == code {
            return Ok(i64::try_from(step).ok());
        }
    }
    Ok(None)
}

/// The `otpauth://` address an app reads from the QR code.
pub fn otpauth_url(secret: &str, issuer: &str, account: &str) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        encode(issuer),
        encode(account),
        encode(issuer)
    )
}

fn hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Sha256::digest(normal.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn recovery_code() -> String {
    // Ten characters of an alphabet without look-alikes (0/O, 1/I/L): about 50 bits.
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Deletes a person's secret and recovery codes in `tx`; whether they had a secret.
async fn forget(tx: &mut crate::db::Tx, account: Uuid) -> Result<bool, StoreError> {
    on_db!(tx, |q| sqlx::query(
        "DELETE FROM staff_recovery_codes WHERE account_id = $1"
    )
    .bind(account)
    .execute(q)
    .await
    .map(|_| ()))?;
    let removed = on_db!(tx, |q| sqlx::query(
        "DELETE FROM staff_totp WHERE account_id = $1"
    )
    .bind(account)
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(removed > 0)
}

/// Two-factor sign-in, per person.
#[derive(Clone)]
pub struct TwoFactor {
    db: Database,
}

impl TwoFactor {
    /// Over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Whether `account` signs in with a second factor.
    pub async fn enabled(&self, account: Uuid) -> Result<bool, StoreError> {
        let found: Option<i64> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT last_step FROM staff_totp WHERE account_id = $1"
        )
        .bind(account)
        .fetch_optional(pool)
        .await)?;
        Ok(found.is_some())
    }

    /// Turns it on with `secret` (whose code the person has just given, at `step`), replacing
    /// any earlier secret and recovery codes; returns the new recovery codes (shown once).
    pub async fn enable(
        &self,
        account: Uuid,
        secret: &str,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        totp(secret)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let mut tx = self.db.begin().await?;
        forget(&mut tx, account).await?;
        on_db!(&mut tx, |q| sqlx::query(
            "INSERT INTO staff_totp (account_id, secret, enabled_at, last_step)
             VALUES ($1, $2, $3, $4)"
        )
        .bind(account)
        .bind(secret)
        .bind(now)
        .bind(step)
        .execute(q)
        .await
        .map(|_| ()))?;
        for code in &codes {
            on_db!(&mut tx, |q| sqlx::query(
                "INSERT INTO staff_recovery_codes (account_id, code_hash) VALUES ($1, $2)"
            )
            .bind(account)
            .bind(hash(code))
            .execute(q)
            .await
            .map(|_| ()))?;
        }
        tx.commit().await?;
        Ok(codes)
    }

    /// Checks a code given at sign-in (or to turn the second factor off): a code from the app
    /// is accepted once; a recovery code is used up.
    pub async fn verify(
        &self,
        account: Uuid,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, StoreError> {
        let secret: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT secret FROM staff_totp WHERE account_id = $1"
        )
        .bind(account)
        .fetch_optional(pool)
        .await)?;
        let Some(secret) = secret else {
            return Ok(Verified::Wrong);
        };
        if let Some(step) = step_of(&secret, code, now)? {
            let moved = on_pool!(&self.db, |pool| sqlx::query(
                "UPDATE staff_totp SET last_step = $1 WHERE account_id = $2 AND last_step < $1"
            )
            .bind(step)
            .bind(account)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
            return Ok(if moved == 1 {
                Verified::Code
            } else {
                Verified::Reused
            });
        }
        let used = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE staff_recovery_codes SET used_at = $1
              WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL"
        )
        .bind(now)
        .bind(account)
        .bind(hash(code))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(if used == 1 {
            Verified::RecoveryCode
        } else {
            Verified::Wrong
        })
    }

    /// Recovery codes not yet used.
    pub async fn recovery_codes_left(&self, account: Uuid) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff_recovery_codes WHERE account_id = $1 AND used_at IS NULL"
        )
        .bind(account)
        .fetch_one(pool)
        .await)?)
    }

    /// Turns it off (the person, with a code; or an admin resetting it): the secret and the
    /// recovery codes are deleted. Returns whether it was on.
    pub async fn remove(&self, account: Uuid) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let removed = forget(&mut tx, account).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// The roles whose people must sign in with a second factor.
    pub async fn required_roles(&self) -> Result<Vec<Role>, StoreError> {
        let codes: Vec<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT role FROM two_factor_roles ORDER BY role"
        )
        .fetch_all(pool)
        .await)?;
        Ok(codes.iter().filter_map(|c| Role::parse(c).ok()).collect())
    }

    /// Requires it of `role`'s people, or no longer.
    pub async fn require(&self, role: Role, required: bool) -> Result<(), StoreError> {
        if required {
            on_pool!(&self.db, |pool| sqlx::query(
                "INSERT INTO two_factor_roles (role) VALUES ($1) ON CONFLICT (role) DO NOTHING"
            )
            .bind(role.code())
            .execute(pool)
            .await
            .map(|_| ()))?;
        } else {
            on_pool!(&self.db, |pool| sqlx::query(
                "DELETE FROM two_factor_roles WHERE role = $1"
            )
            .bind(role.code())
            .execute(pool)
            .await
            .map(|_| ()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_found_in_its_step_or_one_either_side_and_nowhere_else() {
        let secret = new_secret();
        let totp = totp(&secret).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:10Z")
            .unwrap()
            .to_utc();
        let t = u64::try_from(now.timestamp()).unwrap();
        let step = i64::try_from(t / STEP).unwrap();
        let code = totp.generate(t);
        assert_eq!(step_of(&secret, &code, now).unwrap(), Some(step));
        let previous = totp.generate(t - STEP);
        assert_eq!(step_of(&secret, &previous, now).unwrap(), Some(step - 1));
        let stale = totp.generate(t - 3 * STEP);
        assert_eq!(step_of(&secret, &stale, now).unwrap(), None);
        assert!(
            otpauth_url(&secret, "Redress (Example Ltd)", "ana@example.com").starts_with(
                "otpauth://totp/Redress%20%28Example%20Ltd%29:ana@example.com?secret="
            )
        );
        let code = recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(hash(&code), hash(&code.to_lowercase().replace('-', " ")));
    }
}
