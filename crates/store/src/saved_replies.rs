//! Saved replies (canned responses): the library admins keep, each reply in the four
//! languages customers are written to in. Their placeholders are checked when saved
//! ([`redress_domain::placeholders`]); filling them is the web layer's, from the complaint.

use chrono::{DateTime, Utc};
use redress_domain::Language;
use redress_domain::placeholders::{self, PlaceholderError};
use serde::Serialize;
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// Longest title.
pub const MAX_TITLE: usize = 120;
/// Longest body, in each language.
pub const MAX_BODY: usize = 10_000;

/// One saved reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedReply {
    /// Its id.
    pub id: Uuid,
    /// What agents pick it by.
    pub title: String,
    /// Its text in English.
    pub en: String,
    /// In Spanish.
    pub es: String,
    /// In Romanian.
    pub ro: String,
    /// In Chinese.
    pub zh: String,
    /// No longer offered (kept for the replies that used it).
    pub archived: bool,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
    /// By whom.
    pub updated_by: String,
}

impl SavedReply {
    /// Its text in `language`.
    pub fn body(&self, language: Language) -> &str {
        match language {
            Language::En => &self.en,
            Language::Es => &self.es,
            Language::Ro => &self.ro,
            Language::Zh => &self.zh,
        }
    }
}

/// Why a saved reply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedReplyError {
    /// No title.
    #[error("Give the saved reply a title agents will recognise.")]
    NoTitle,
    /// Too long.
    #[error("{0} is too long: at most {1} characters.")]
    TooLong(&'static str, usize),
    /// A language left empty.
    #[error("Write the reply in {0} too: customers are written to in their own language.")]
    Missing(&'static str),
    /// A bad placeholder, in one language.
    #[error("In {language}: {error}")]
    Placeholder {
        /// Which language.
        language: &'static str,
        /// What is wrong.
        error: PlaceholderError,
    },
}

/// What an admin typed, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct SavedReplyDraft {
    /// The title.
    pub title: String,
    /// The text per language, in [`Language::ALL`] order.
    pub bodies: [String; 4],
}

impl SavedReplyDraft {
    /// Checks it: a title, every language written, every placeholder known.
    pub fn check(&self) -> Result<(), SavedReplyError> {
        if self.title.trim().is_empty() {
            return Err(SavedReplyError::NoTitle);
        }
        if self.title.trim().chars().count() > MAX_TITLE {
            return Err(SavedReplyError::TooLong("The title", MAX_TITLE));
        }
        for (language, body) in Language::ALL.iter().zip(&self.bodies) {
            let name = language.label();
            if body.trim().is_empty() {
                return Err(SavedReplyError::Missing(name));
            }
            if body.chars().count() > MAX_BODY {
                return Err(SavedReplyError::TooLong(name, MAX_BODY));
            }
            placeholders::check(body).map_err(|error| SavedReplyError::Placeholder {
                language: name,
                error,
            })?;
        }
        Ok(())
    }
}

type Row = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    bool,
    DateTime<Utc>,
    String,
);

const COLUMNS: &str =
    "id, title, body_en, body_es, body_ro, body_zh, archived, updated_at, updated_by";

fn from_row((id, title, en, es, ro, zh, archived, updated_at, updated_by): Row) -> SavedReply {
    SavedReply {
        id,
        title,
        en,
        es,
        ro,
        zh,
        archived,
        updated_at,
        updated_by,
    }
}

/// The library.
#[derive(Clone)]
pub struct SavedReplies {
    db: Database,
}

impl SavedReplies {
    /// The library in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Every saved reply, offered ones first, by title.
    pub async fn list(&self) -> Result<Vec<SavedReply>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM saved_replies ORDER BY archived, title, id");
        let rows: Vec<Row> = on_pool!(&self.db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// One saved reply.
    pub async fn get(&self, id: Uuid) -> Result<Option<SavedReply>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM saved_replies WHERE id = $1");
        let row: Option<Row> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(from_row))
    }

    /// Saves a checked draft as `id` (new, or replacing it), by `by`. Returns whether it was
    /// saved (`Ok(Err(..))`: refused, nothing written).
    pub async fn save(
        &self,
        id: Uuid,
        draft: &SavedReplyDraft,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(), SavedReplyError>, StoreError> {
        if let Err(refused) = draft.check() {
            return Ok(Err(refused));
        }
        let [en, es, ro, zh] = &draft.bodies;
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO saved_replies (id, title, body_en, body_es, body_ro, body_zh, archived,
                                        updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $8)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, body_en = excluded.body_en,
                 body_es = excluded.body_es, body_ro = excluded.body_ro,
                 body_zh = excluded.body_zh, updated_at = excluded.updated_at,
                 updated_by = excluded.updated_by"
        )
        .bind(id)
        .bind(draft.title.trim())
        .bind(en.trim())
        .bind(es.trim())
        .bind(ro.trim())
        .bind(zh.trim())
        .bind(now)
        .bind(by)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(Ok(()))
    }

    /// Stops (or starts again) offering a saved reply. Returns whether it exists.
    pub async fn set_archived(&self, id: Uuid, archived: bool) -> Result<bool, StoreError> {
        let changed = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE saved_replies SET archived = $1 WHERE id = $2"
        )
        .bind(archived)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(changed == 1)
    }
}
