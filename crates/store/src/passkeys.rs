//! People's passkeys (WebAuthn credentials), as the relying party keeps them. This module is
//! the one writer of `staff_passkeys`.
//!
//! The record itself (`passkey`) is opaque here: the web layer's WebAuthn library writes and
//! reads it (the public key and the signature counter; nothing in it is secret). A credential
//! belongs to one account: registering one that is already known is refused.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// Longest name a passkey can be given.
pub const MAX_NAME_CHARS: usize = 60;

/// One registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// Its id in Redress.
    pub id: Uuid,
    /// Whose it is.
    pub account_id: Uuid,
    /// The credential's id, base64url, as the browser names it.
    pub credential_id: String,
    /// The name its owner gave it ("Laptop", "Phone").
    pub name: String,
    /// The relying party's record (JSON).
    pub passkey: String,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// Last signed in with.
    pub last_used_at: Option<DateTime<Utc>>,
}

type Row = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn from_row(row: Row) -> StoredPasskey {
    let (id, account_id, credential_id, name, passkey, created_at, last_used_at) = row;
    StoredPasskey {
        id,
        account_id,
        credential_id,
        name,
        passkey,
        created_at,
        last_used_at,
    }
}

const SELECT: &str = "SELECT id, account_id, credential_id, name, passkey, created_at, \
                      last_used_at FROM staff_passkeys";

/// Passkeys in `db`.
#[derive(Debug, Clone)]
pub struct Passkeys {
    db: Database,
}

impl Passkeys {
    /// Passkeys in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Registers a passkey for `account`; `Ok(None)` when the credential is already
    /// registered (to this account or another).
    pub async fn add(
        &self,
        account: Uuid,
        credential_id: &str,
        name: &str,
        passkey: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredPasskey>, StoreError> {
        let id = Uuid::new_v4();
        let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO staff_passkeys (id, account_id, credential_id, name, passkey, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
        )
        .bind(id)
        .bind(account)
        .bind(credential_id)
        .bind(&name)
        .bind(passkey)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(StoredPasskey {
            id,
            account_id: account,
            credential_id: credential_id.to_string(),
            name,
            passkey: passkey.to_string(),
            created_at: now,
            last_used_at: None,
        }))
    }

    /// `account`'s passkeys, oldest first.
    pub async fn of(&self, account: Uuid) -> Result<Vec<StoredPasskey>, StoreError> {
        let sql = format!("{SELECT} WHERE account_id = $1 ORDER BY created_at, id");
        let rows: Vec<Row> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(account)
            .fetch_all(pool)
            .await)?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// How many passkeys each account has (accounts without any are left out).
    pub async fn counts(&self) -> Result<std::collections::HashMap<Uuid, i64>, StoreError> {
        let rows: Vec<(Uuid, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT account_id, COUNT(*) FROM staff_passkeys GROUP BY account_id"
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().collect())
    }

    /// Notes a sign-in with the passkey `id`, keeping its updated record (the counter).
    pub async fn used(
        &self,
        id: Uuid,
        passkey: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE staff_passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3"
        )
        .bind(passkey)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Removes `account`'s passkey `id`; whether there was one.
    pub async fn remove(
        &self,
        account: Uuid,
        id: Uuid,
    ) -> Result<Option<StoredPasskey>, StoreError> {
        let found = self.of(account).await?.into_iter().find(|p| p.id == id);
        if found.is_some() {
            on_pool!(&self.db, |pool| sqlx::query(
                "DELETE FROM staff_passkeys WHERE id = $1 AND account_id = $2"
            )
            .bind(id)
            .bind(account)
            .execute(pool)
            .await
            .map(|_| ()))?;
        }
        Ok(found)
    }

    /// Removes all of `account`'s passkeys; how many there were.
    pub async fn remove_all(&self, account: Uuid) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM staff_passkeys WHERE account_id = $1"
        )
        .bind(account)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
