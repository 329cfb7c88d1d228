//! One-time form tokens: each staff page carries a fresh token in its forms; the first
//! submission claims it, and a replay of the same form finds it taken.

use chrono::Utc;
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// Claimed form tokens.
#[derive(Debug, Clone)]
pub struct FormTokens {
    db: Database,
}

impl FormTokens {
    /// Tokens in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// A fresh token for a page's forms.
    pub fn issue() -> String {
        Uuid::new_v4().simple().to_string()
    }

    /// Claims a token: true the first time, false for a replay.
    pub async fn claim(&self, token: &str) -> Result<bool, StoreError> {
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO form_submissions (token, submitted_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        .bind(token)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(inserted == 1)
    }

    /// Records what the token's submission led to (e.g. the complaint's reference).
    pub async fn settle(&self, token: &str, outcome: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE form_submissions SET outcome = $2 WHERE token = $1"
        )
        .bind(token)
        .bind(outcome)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// What a claimed token's submission led to, if it has been recorded.
    pub async fn outcome(&self, token: &str) -> Result<Option<String>, StoreError> {
        let outcome: Option<Option<String>> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT outcome FROM form_submissions WHERE token = $1"
        )
        .bind(token)
        .fetch_optional(pool)
        .await)?;
        Ok(outcome.flatten())
    }

    /// Gives a token back after its form was refused, so the corrected form can be sent.
    pub async fn release(&self, token: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM form_submissions WHERE token = $1"
        )
        .bind(token)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

/// How often each client address has used the public complaint form lately.
#[derive(Debug, Clone)]
pub struct PublicIntake {
    db: Database,
}

impl PublicIntake {
    /// The counts in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Complaints from `client` since `since`.
    pub async fn recent(
        &self,
        client: &str,
        since: chrono::DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM public_intake WHERE client = $1 AND received_at > $2"
        )
        .bind(client)
        .bind(since)
        .fetch_one(pool)
        .await)?)
    }

    /// Counts one complaint from `client`, and forgets those older than a day.
    pub async fn record(&self, client: &str) -> Result<(), StoreError> {
        let now = Utc::now();
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM public_intake WHERE received_at < $1"
        )
        .bind(now - chrono::Duration::days(1))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO public_intake (client, received_at) VALUES ($1, $2)"
        )
        .bind(client)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
