//! The answers to API requests sent with an `Idempotency-Key`: the one writer of
//! `api_idempotency`. A key belongs to one token; the first request with it is answered and its
//! answer kept for a day, and the same key with the same request gets that answer again
//! without anything being done twice. The same key with another request is refused, as is a
//! second request while the first is still being answered.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// How long an answer is kept.
pub const KEPT_FOR: Duration = Duration::hours(24);

/// A kept answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// Its HTTP status.
    pub status: u16,
    /// Its JSON body.
    pub body: String,
    /// Its `Location` header, if it had one.
    pub location: Option<String>,
}

/// What a request with a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is new: answer the request, then [`Idempotency::keep`] or
    /// [`Idempotency::release`].
    Fresh,
    /// The same request was answered before: give this answer again.
    Answered(KeptAnswer),
    /// The key was used with another request.
    OtherRequest,
    /// The first request with this key is still being answered (or was cut off; the key
    /// then stays taken until it expires, since whether it was done is not known).
    InFlight,
}

#[derive(sqlx::FromRow)]
struct Row {
    fingerprint: String,
    status: Option<i32>,
    body: Option<String>,
    location: Option<String>,
    created_at: DateTime<Utc>,
}

/// The kept answers.
#[derive(Debug, Clone)]
pub struct Idempotency {
    db: Database,
}

impl Idempotency {
    /// The answers in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Takes `key` for `token`'s request `fingerprint` (a digest of its method, path and
    /// body), or says what was done with it before. A key older than [`KEPT_FOR`] is free
    /// again.
    pub async fn claim(
        &self,
        token: Uuid,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyClaim, StoreError> {
        // Two tries: the second after forgetting an expired answer under the same key.
        for _ in 0..2 {
            let inserted = on_pool!(&self.db, |pool| sqlx::query(
                "INSERT INTO api_idempotency (token_id, key, fingerprint, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
            )
            .bind(token)
            .bind(key)
            .bind(fingerprint)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
            if inserted == 1 {
                return Ok(KeyClaim::Fresh);
            }
            let row: Option<Row> = on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT fingerprint, status, body, location, created_at FROM api_idempotency
                  WHERE token_id = $1 AND key = $2"
            )
            .bind(token)
            .bind(key)
            .fetch_optional(pool)
            .await)?;
            let Some(row) = row else {
                // Released between the two statements: try again.
                continue;
            };
            if row.created_at <= now - KEPT_FOR {
                self.forget(token, key, row.created_at).await?;
                continue;
            }
            if row.fingerprint != fingerprint {
                return Ok(KeyClaim::OtherRequest);
            }
            return Ok(match (row.status, row.body) {
                (Some(status), Some(body)) => KeyClaim::Answered(KeptAnswer {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                    location: row.location,
                }),
                _ => KeyClaim::InFlight,
            });
        }
        Ok(KeyClaim::InFlight)
    }

    /// Keeps the answer given to the request that claimed `key`.
    pub async fn keep(
        &self,
        token: Uuid,
        key: &str,
        answer: &KeptAnswer,
    ) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE api_idempotency SET status = $3, body = $4, location = $5
              WHERE token_id = $1 AND key = $2"
        )
        .bind(token)
        .bind(key)
        .bind(i32::from(answer.status))
        .bind(&answer.body)
        .bind(&answer.location)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Frees `key` after its request was refused or failed (it wrote nothing, so sending it
    /// again, corrected or not, is safe).
    pub async fn release(&self, token: Uuid, key: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM api_idempotency WHERE token_id = $1 AND key = $2 AND status IS NULL"
        )
        .bind(token)
        .bind(key)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn forget(
        &self,
        token: Uuid,
        key: &str,
        created_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM api_idempotency WHERE token_id = $1 AND key = $2 AND created_at = $3"
        )
        .bind(token)
        .bind(key)
        .bind(created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets the answers kept since before `before`; returns how many.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM api_idempotency WHERE created_at < $1"
        )
        .bind(before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
