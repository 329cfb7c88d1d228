//! API tokens for integrations: `rdr_` and 43 random characters, shown once; only their
//! SHA-256 is stored. Admins create and revoke them; a revoked token stops working at once.
//! Each token carries the scopes chosen when it was made ([`Scope`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// An API token as admins see it (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    /// Its id.
    pub id: Uuid,
    /// What it is for ("order system").
    pub name: String,
    /// The admin who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// What it may do: scope codes, space-separated (see [`ApiToken::allows`]).
    pub scopes: String,
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read complaints (the list and each complaint's status).
    Read,
    /// File new complaints.
    File,
    /// Take staff's actions on complaints (acknowledge, reply, resolve, close …).
    Act,
    /// Everything the other scopes allow.
    Admin,
}

impl Scope {
    /// Every scope, in the order admins see them.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::File, Scope::Act, Scope::Admin];

    /// Its code, as stored and as the API names it.
    pub fn code(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::File => "file",
            Scope::Act => "act",
            Scope::Admin => "admin",
        }
    }

    /// The scope `code` names.
    pub fn parse(code: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl ApiToken {
    /// Its scopes.
    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes
            .split_whitespace()
            .filter_map(Scope::parse)
            .collect()
    }

    /// Whether it may do what `scope` allows (`admin` allows everything).
    pub fn allows(&self, scope: Scope) -> bool {
        let scopes = self.scopes();
        scopes.contains(&scope) || scopes.contains(&Scope::Admin)
    }
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The tokens in the database.
#[derive(Clone)]
pub struct ApiTokens {
    db: Database,
}

impl ApiTokens {
    /// The tokens in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Creates a token named `name` that may do what `scopes` allow; returns it (the only time
    /// it is seen) and its record.
    pub async fn create(
        &self,
        name: &str,
        scopes: &[Scope],
        by: &str,
    ) -> Result<(String, ApiToken), StoreError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = format!("rdr_{}", URL_SAFE_NO_PAD.encode(bytes));
        let record = ApiToken {
            id: Uuid::new_v4(),
            name: name.trim().to_string(),
            created_by: by.to_string(),
            created_at: Utc::now(),
            revoked_at: None,
            last_used_at: None,
            scopes: Scope::ALL
                .into_iter()
                .filter(|s| scopes.contains(s))
                .map(Scope::code)
                .collect::<Vec<_>>()
                .join(" "),
        };
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, created_by, created_at, scopes)
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(record.id)
        .bind(&record.name)
        .bind(digest(&token))
        .bind(&record.created_by)
        .bind(record.created_at)
        .bind(&record.scopes)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok((token, record))
    }

    /// The live token `token` is, if any (and notes its use).
    pub async fn authenticate(&self, token: &str) -> Result<Option<ApiToken>, StoreError> {
        if !token.starts_with("rdr_") || token.len() > 100 {
            return Ok(None);
        }
        let found: Option<ApiToken> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
            "SELECT id, name, created_by, created_at, revoked_at, last_used_at, scopes FROM api_tokens
              WHERE token_hash = $1 AND revoked_at IS NULL"
        )
        .bind(digest(token))
        .fetch_optional(pool)
        .await
        })?;
        if let Some(found) = &found {
            on_pool!(&self.db, |pool| sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2"
            )
            .bind(Utc::now())
            .bind(found.id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(found)
    }

    /// Every token, newest first.
    pub async fn list(&self) -> Result<Vec<ApiToken>, StoreError> {
        Ok(on_pool!(&self.db, |pool| {
            sqlx::query_as(
            "SELECT id, name, created_by, created_at, revoked_at, last_used_at, scopes FROM api_tokens
              ORDER BY created_at DESC"
        )
        .fetch_all(pool)
        .await
        })?)
    }

    /// Revokes a token; false when there is no such live token.
    pub async fn revoke(&self, id: Uuid) -> Result<bool, StoreError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
        )
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }
}
