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
