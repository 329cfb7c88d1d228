//! Managed categories: the list admins keep (a code, a name in each of the four languages,
//! the FCA product group it reports under), and the mapping of free-text categories onto it.
//! This module is the one writer of `categories` and `category_aliases`.
//!
//! A new complaint records a category's code. Complaints filed before the list (or by any
//! other way that carried free text) keep what they were filed under; an admin maps each such
//! value once to a category (`category_aliases`), and every read that filters or counts by
//! category applies the mapping ([`CategoryMap::key`], [`matches_sql`]). The mapping is not
//! written into the read models, so a rebuild from the events gives the same rows, and a
//! corrected mapping shows in the queue, the reports, the SLA dashboard and the FCA return at
//! once. Who mapped what, and when, is kept on the row and in the audit trail.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redress_domain::{ComplaintError, Language};
use serde::Serialize;
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// Longest code.
pub const MAX_CODE: usize = 40;
/// Longest name (as a category's free text in a complaint).
pub const MAX_NAME: usize = 200;

/// One managed category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Its code, as new complaints record it (`billing`).
    pub code: String,
    /// Its name in English, Spanish, Romanian and Chinese (in [`Language::ALL`]'s order).
    pub names: Vec<String>,
    /// The FCA product group it reports under, if any.
    pub fca_group: Option<String>,
    /// Where it stands in lists.
    pub position: i32,
    /// No longer offered for new complaints (complaints filed under it keep it).
    pub retired: bool,
}

impl Category {
    /// Its name in `language`.
    pub fn name(&self, language: Language) -> &str {
        name_in(&self.names, language, &self.code)
    }
}

/// The name in `language` of something named in [`Language::ALL`]'s order (a category, a root
/// cause): else the first name, else `code`.
pub(crate) fn name_in<'a>(names: &'a [String], language: Language, code: &'a str) -> &'a str {
    let index = Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0);
    names
        .get(index)
        .or_else(|| names.first())
        .map_or(code, String::as_str)
}

/// What an admin types for a category.
#[derive(Debug, Clone, Default)]
pub struct CategoryDraft {
    /// The names in English, Spanish, Romanian and Chinese.
    pub names: Vec<String>,
    /// The FCA product group, if any.
    pub fca_group: Option<String>,
    /// Retired.
    pub retired: bool,
}

/// A category refused.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    /// A code that is not lower-case letters, digits, `-` or `_`, or too long.
    #[error(
        "A code is 1 to 40 lower-case letters, digits, '-' or '_' (like billing or late-delivery)."
    )]
    BadCode,
    /// A name missing, too long or on several lines.
    #[error("Give the category's name in {0}, on one line, at most 200 characters.")]
    BadName(&'static str),
    /// The code is taken.
    #[error("There is already a category {0:?}; choose another code.")]
    Taken(String),
    /// No such category.
    #[error("There is no category {0:?}.")]
    Unknown(String),
    /// The FCA group is too long or on several lines.
    #[error("The FCA product group is one line of at most 200 characters.")]
    BadGroup,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The list and the mapping, as read at one moment.
#[derive(Debug, Clone, Default)]
pub struct CategoryMap {
    categories: Vec<Category>,
    aliases: HashMap<String, String>,
}

impl CategoryMap {
    /// A map of `categories` with `aliases` (value → code).
    pub fn new(categories: Vec<Category>, aliases: HashMap<String, String>) -> Self {
        Self {
            categories,
            aliases,
        }
    }

    /// Every category, retired ones too, in list order.
    pub fn all(&self) -> &[Category] {
        &self.categories
    }

    /// The categories offered for new complaints, in list order.
    pub fn offered(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| !c.retired)
    }

    /// The category with this code.
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The category a complaint's recorded category counts under: its code, or a mapped value.
    pub fn resolve(&self, recorded: &str) -> Option<&Category> {
        self.get(recorded)
            .or_else(|| self.aliases.get(recorded).and_then(|code| self.get(code)))
    }

    /// What reports and tallies group a recorded category under: its category's code, or the
    /// recorded text itself while it is not mapped.
    pub fn key<'a>(&'a self, recorded: &'a str) -> &'a str {
        self.resolve(recorded).map_or(recorded, |c| c.code.as_str())
    }

    /// A recorded category in words, in `language`: its category's name, or the text itself.
    pub fn label(&self, recorded: &str, language: Language) -> String {
        self.resolve(recorded)
            .map_or_else(|| recorded.to_string(), |c| c.name(language).to_string())
    }

    /// The mapped values, with the code each maps to.
    pub fn aliases(&self) -> &HashMap<String, String> {
        &self.aliases
    }

    /// The category a new complaint (or a change of category) names, as its code: a code, a
    /// mapped value, or a category's name in any language (any case). Retired categories are
    /// not offered; anything else is refused with the codes that are.
    pub fn accept(&self, given: &str) -> Result<String, ComplaintError> {
        let given = given.trim();
        let lower = given.to_lowercase();
        let found = self.resolve(given).or_else(|| {
            self.categories.iter().find(|c| {
                c.code == lower || c.names.iter().any(|name| name.to_lowercase() == lower)
            })
        });
        match found {
            Some(category) if !category.retired => Ok(category.code.clone()),
            _ => Err(ComplaintError::UnknownCategory {
                given: given.to_string(),
                known: self
                    .offered()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

/// The SQL condition "`column` counts under the category whose code is in parameter `p`": the
/// code itself, or a value mapped to it.
pub fn matches_sql(column: &str, p: &str) -> String {
    format!(
        "({column} = {p} OR {column} IN (SELECT a.value FROM category_aliases a WHERE a.code = {p}))"
    )
}

/// A category as a complaint records it that no category claims, with how many complaints
/// were filed under it; or a mapped one, with its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedValue {
    /// The text complaints recorded.
    pub value: String,
    /// How many complaints carry it now.
    pub complaints: i64,
    /// The category it is mapped to, if it is.
    pub mapped_to: Option<String>,
}

type CategoryRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i32,
    bool,
);

/// The managed categories.
#[derive(Clone)]
pub struct Categories {
    db: Database,
}

impl Categories {
    /// The categories kept in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The list and the mapping, now.
    pub async fn map(&self) -> Result<CategoryMap, StoreError> {
        let rows: Vec<CategoryRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT code, name_en, name_es, name_ro, name_zh, fca_group, position, retired
               FROM categories ORDER BY position, code"
        )
        .fetch_all(pool)
        .await)?;
        let aliases: Vec<(String, String)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT value, code FROM category_aliases"
        )
        .fetch_all(pool)
        .await)?;
        let categories = rows
            .into_iter()
            .map(
                |(code, en, es, ro, zh, fca_group, position, retired)| Category {
                    code,
                    names: vec![en, es, ro, zh],
                    fca_group,
                    position,
                    retired,
                },
            )
            .collect();
        Ok(CategoryMap::new(categories, aliases.into_iter().collect()))
    }

    /// Adds a category at the end of the list.
    pub async fn create(
        &self,
        code: &str,
        draft: &CategoryDraft,
        now: DateTime<Utc>,
    ) -> Result<(), CategoryError> {
        let code = checked_code(code)?;
        let (names, group) = checked(draft)?;
        if self.map().await?.get(&code).is_some() {
            return Err(CategoryError::Taken(code));
        }
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO categories (code, name_en, name_es, name_ro, name_zh, fca_group, position,
                                     retired, created_at)
             SELECT $1, $2, $3, $4, $5, $6, COALESCE(MAX(position), 0) + 1, $7, $8 FROM categories
              WHERE true
             ON CONFLICT (code) DO NOTHING"
        )
        .bind(&code)
        .bind(&names[0])
        .bind(&names[1])
        .bind(&names[2])
        .bind(&names[3])
        .bind(&group)
        .bind(draft.retired)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })
        .map_err(StoreError::from)?;
        if inserted == 0 {
            return Err(CategoryError::Taken(code));
        }
        Ok(())
    }

    /// Changes a category's names, FCA group, or whether it is retired (its code stays: the
    /// events name it).
    pub async fn update(&self, code: &str, draft: &CategoryDraft) -> Result<(), CategoryError> {
        let (names, group) = checked(draft)?;
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE categories SET name_en = $1, name_es = $2, name_ro = $3, name_zh = $4,
                    fca_group = $5, retired = $6 WHERE code = $7"
        )
        .bind(&names[0])
        .bind(&names[1])
        .bind(&names[2])
        .bind(&names[3])
        .bind(&group)
        .bind(draft.retired)
        .bind(code)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from)?;
        if updated == 0 {
            return Err(CategoryError::Unknown(code.to_string()));
        }
        Ok(())
    }

    /// Maps a recorded value to a category (or maps it again to another), by `by`.
    pub async fn map_value(
        &self,
        value: &str,
        code: &str,
        by: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), CategoryError> {
        let map = self.map().await?;
        if map.get(code).is_none() {
            return Err(CategoryError::Unknown(code.to_string()));
        }
        if value.is_empty() || map.get(value).is_some() {
            // A code counts as itself; it cannot be mapped elsewhere.
            return Err(CategoryError::Unknown(value.to_string()));
        }
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO category_aliases (value, code, mapped_by, mapped_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (value) DO UPDATE SET code = excluded.code,
                 mapped_by = excluded.mapped_by, mapped_at = excluded.mapped_at"
        )
        .bind(value)
        .bind(code)
        .bind(by)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(StoreError::from)?;
        Ok(())
    }

    /// Takes a value's mapping away (its complaints count under the text again).
    pub async fn unmap(&self, value: &str) -> Result<bool, StoreError> {
        let removed = on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM category_aliases WHERE value = $1"
        )
        .bind(value)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(removed > 0)
    }

    /// Every category complaints recorded that is not a code, with its count and mapping:
    /// what the mapping page shows. Unmapped values first, then by count.
    pub async fn recorded_values(&self) -> Result<Vec<RecordedValue>, StoreError> {
        let rows: Vec<(String, i64, Option<String>)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT l.category, COUNT(*), a.code
               FROM complaint_list l
               LEFT JOIN category_aliases a ON a.value = l.category
              WHERE l.category NOT IN (SELECT code FROM categories)
              GROUP BY l.category, a.code"
        )
        .fetch_all(pool)
        .await)?;
        let mut values: Vec<RecordedValue> = rows
            .into_iter()
            .map(|(value, complaints, mapped_to)| RecordedValue {
                value,
                complaints,
                mapped_to,
            })
            .collect();
        values.sort_by(|a, b| {
            a.mapped_to
                .is_some()
                .cmp(&b.mapped_to.is_some())
                .then(b.complaints.cmp(&a.complaints))
                .then(a.value.cmp(&b.value))
        });
        Ok(values)
    }
}

fn checked_code(code: &str) -> Result<String, CategoryError> {
    let code = code.trim().to_lowercase();
    let fine = !code.is_empty()
        && code.chars().count() <= MAX_CODE
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if fine {
        Ok(code)
    } else {
        Err(CategoryError::BadCode)
    }
}

fn one_line(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= MAX_NAME && !text.chars().any(char::is_control))
        .then(|| text.to_string())
}

fn checked(draft: &CategoryDraft) -> Result<(Vec<String>, Option<String>), CategoryError> {
    const LANGUAGES: [&str; 4] = ["English", "Spanish", "Romanian", "Chinese"];
    let mut names = Vec::with_capacity(4);
    for (index, language) in LANGUAGES.iter().enumerate() {
        let name = draft.names.get(index).map(String::as_str).unwrap_or("");
        names.push(one_line(name).ok_or(CategoryError::BadName(language))?);
    }
    let group = match draft.fca_group.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(group) => Some(one_line(group).ok_or(CategoryError::BadGroup)?),
    };
    Ok((names, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> CategoryMap {
        let category = |code: &str, names: [&str; 4], retired| Category {
            code: code.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            fca_group: None,
            position: 1,
            retired,
        };
        CategoryMap::new(
            vec![
                category(
                    "billing",
                    ["Billing", "Facturación", "Facturare", "账单"],
                    false,
                ),
                category("fax", ["Fax", "Fax", "Fax", "传真"], true),
            ],
            [("Bills".to_string(), "billing".to_string())].into(),
        )
    }

    #[test]
    fn a_code_a_mapped_value_or_a_name_in_any_language_is_accepted_as_the_code() {
        let map = map();
        for given in ["billing", "Bills", "FACTURACIÓN", " facturare ", "账单"] {
            assert_eq!(map.accept(given).unwrap(), "billing", "{given}");
        }
        let refused = map.accept("Aliens").unwrap_err();
        assert_eq!(
            refused.to_string(),
            "There is no category \"Aliens\"; choose one of: billing."
        );
        assert!(
            map.accept("fax").is_err(),
            "a retired category is not offered"
        );
    }

    #[test]
    fn recorded_text_counts_under_its_category_once_mapped() {
        let map = map();
        assert_eq!(map.key("Bills"), "billing");
        assert_eq!(map.key("billing"), "billing");
        assert_eq!(map.key("Facturación"), "Facturación", "not mapped: itself");
        assert_eq!(map.label("Bills", Language::Zh), "账单");
        assert_eq!(map.label("Misc", Language::Es), "Misc");
        assert_eq!(checked_code("Late-Delivery").unwrap(), "late-delivery");
        assert!(checked_code("late delivery").is_err());
    }
}
