//! The list of root causes admins keep (each named in the four languages, grouped under a
//! managed category or none), and the corrective actions managers open against a cause. This
//! module is the one writer of `root_causes` and `corrective_actions`.
//!
//! What each complaint's causes are is in its events (`RootCausesRecorded`); the complaint
//! list's projector keeps them in `complaint_root_causes`, which the causes report reads.

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::Language;
use serde::Serialize;
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

/// Longest code.
pub const MAX_CODE: usize = 40;
/// Longest name.
pub const MAX_NAME: usize = 120;
/// Longest description of a corrective action.
pub const MAX_ACTION: usize = 2000;

/// One root cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootCause {
    /// Its code, as complaints record it (`courier-late`).
    pub code: String,
    /// The managed category it is grouped under, if any.
    pub category: Option<String>,
    /// Its name in English, Spanish, Romanian and Chinese ([`Language::ALL`]'s order).
    pub names: Vec<String>,
    /// No longer offered (complaints that named it keep it).
    pub retired: bool,
}

impl RootCause {
    /// Its name in `language`.
    pub fn name(&self, language: Language) -> &str {
        crate::categories::name_in(&self.names, language, &self.code)
    }
}

/// A root cause or a corrective action refused.
#[derive(Debug, thiserror::Error)]
pub enum CauseError {
    /// A code that is not lower-case letters, digits, `-` or `_`, or too long.
    #[error(
        "A code is 1 to 40 lower-case letters, digits, '-' or '_' (like courier-late or wrong-tariff)."
    )]
    BadCode,
    /// A name missing, too long or on several lines.
    #[error("Give the root cause's name in {0}, on one line, at most 120 characters.")]
    BadName(&'static str),
    /// The code is taken.
    #[error("There is already a root cause {0:?}; choose another code.")]
    Taken(String),
    /// No such cause.
    #[error("There is no root cause {0:?}.")]
    Unknown(String),
    /// No such category.
    #[error("There is no category {0:?} to group the cause under.")]
    UnknownCategory(String),
    /// An action's words missing or too long.
    #[error("Say what will change, in at most 2,000 characters.")]
    BadAction,
    /// No such corrective action.
    #[error("There is no such corrective action.")]
    UnknownAction,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an admin types for a root cause.
#[derive(Debug, Clone, Default)]
pub struct CauseDraft {
    /// The category it is grouped under (a code), if any.
    pub category: Option<String>,
    /// The names in English, Spanish, Romanian and Chinese.
    pub names: Vec<String>,
    /// Retired.
    pub retired: bool,
}

/// A corrective action: what will change so that a cause brings fewer complaints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorrectiveAction {
    /// Its id.
    pub id: Uuid,
    /// The cause it addresses.
    pub cause: String,
    /// What will change.
    pub what: String,
    /// Who owns it (a staff account), and their name.
    pub owner_id: Uuid,
    /// Their name.
    pub owner_name: String,
    /// By when.
    pub due_on: NaiveDate,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Who opened it.
    pub opened_by: String,
    /// When it was done, if it is.
    pub done_at: Option<DateTime<Utc>>,
}

/// One root cause named by one complaint, with what the causes report filters by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedCause {
    /// The complaint.
    pub reference: String,
    /// The cause's code.
    pub cause: String,
    /// The complaint's category, as recorded (the category list maps it).
    pub category: String,
    /// Its team, if any.
    pub team_id: Option<Uuid>,
    /// Its company's tier (`key_account` or `standard`).
    pub tier: String,
    /// Its owner's name, if it has one.
    pub owner: Option<String>,
    /// How it came in.
    pub channel: String,
    /// Its priority.
    pub priority: String,
    /// Its company, if any.
    pub company: Option<String>,
}

impl NamedCause {
    /// Its value for a report's breakdown `by` (`category` as recorded; `team` as an id).
    pub fn value(&self, by: &str) -> String {
        match by {
            "category" => self.category.clone(),
            "team" => self.team_id.map(|t| t.to_string()).unwrap_or_default(),
            "tier" => self.tier.clone(),
            "owner" => self.owner.clone().unwrap_or_default(),
            "channel" => self.channel.clone(),
            "priority" => self.priority.clone(),
            "company" => self.company.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// One line of a Pareto analysis: a cause, how often it was named, its share of all the
/// namings, and the share of it and every cause above it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParetoRow {
    /// The cause's code.
    pub cause: String,
    /// How many complaints named it.
    pub complaints: i64,
    /// Its share of all namings, 0 to 1.
    pub share: f64,
    /// The share of it and every cause before it, 0 to 1.
    pub cumulative: f64,
}

/// The Pareto analysis of `counts` (cause → complaints naming it): the causes from the one
/// named most (ties by code), each with its share and the cumulative share. A complaint that
/// names two causes counts for both, so the shares are of namings and add up to 1.
pub fn pareto(counts: &std::collections::BTreeMap<String, i64>) -> Vec<ParetoRow> {
    let total: i64 = counts.values().sum();
    let mut rows: Vec<(&String, i64)> = counts.iter().map(|(c, n)| (c, *n)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut running = 0;
    rows.into_iter()
        .map(|(cause, complaints)| {
            running += complaints;
            let of_total = |n: i64| {
                if total > 0 {
                    n as f64 / total as f64
                } else {
                    0.0
                }
            };
            ParetoRow {
                cause: cause.clone(),
                complaints,
                share: of_total(complaints),
                cumulative: of_total(running),
            }
        })
        .collect()
}

type CauseRow = (String, Option<String>, String, String, String, String, bool);
type ActionRow = (
    Uuid,
    String,
    String,
    Uuid,
    String,
    NaiveDate,
    DateTime<Utc>,
    String,
    Option<DateTime<Utc>>,
);

/// The root causes and corrective actions.
#[derive(Debug, Clone)]
pub struct RootCauses {
    db: Database,
}

impl RootCauses {
    /// Kept in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Every root cause, by category and code.
    pub async fn list(&self) -> Result<Vec<RootCause>, StoreError> {
        let rows: Vec<CauseRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT code, category, name_en, name_es, name_ro, name_zh, retired
               FROM root_causes ORDER BY COALESCE(category, ''), code"
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(code, category, en, es, ro, zh, retired)| RootCause {
                code,
                category,
                names: vec![en, es, ro, zh],
                retired,
            })
            .collect())
    }

    /// Adds a root cause (`known_categories`: the managed categories' codes).
    pub async fn create(
        &self,
        code: &str,
        draft: &CauseDraft,
        known_categories: &[String],
        now: DateTime<Utc>,
    ) -> Result<String, CauseError> {
        let code = checked_code(code)?;
        let (names, category) = checked(draft, known_categories)?;
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO root_causes (code, category, name_en, name_es, name_ro, name_zh, retired,
                                      created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING"
        )
        .bind(&code)
        .bind(&category)
        .bind(&names[0])
        .bind(&names[1])
        .bind(&names[2])
        .bind(&names[3])
        .bind(draft.retired)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })
        .map_err(StoreError::from)?;
        if inserted == 0 {
            return Err(CauseError::Taken(code));
        }
        Ok(code)
    }

    /// Changes a root cause's names, category, or whether it is retired (its code stays: the
    /// events name it).
    pub async fn update(
        &self,
        code: &str,
        draft: &CauseDraft,
        known_categories: &[String],
    ) -> Result<(), CauseError> {
        let (names, category) = checked(draft, known_categories)?;
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE root_causes SET category = $1, name_en = $2, name_es = $3, name_ro = $4,
                    name_zh = $5, retired = $6 WHERE code = $7"
        )
        .bind(&category)
        .bind(&names[0])
        .bind(&names[1])
        .bind(&names[2])
        .bind(&names[3])
        .bind(draft.retired)
        .bind(code)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from)?;
        if updated == 0 {
            return Err(CauseError::Unknown(code.to_string()));
        }
        Ok(())
    }

    /// The causes a complaint names now (the complaint list's read model), sorted.
    pub async fn of_complaint(&self, reference: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT cause FROM complaint_root_causes WHERE reference = $1 ORDER BY cause"
        )
        .bind(reference)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }

    /// Every cause named by a complaint received in `[from, to)`.
    pub async fn named(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<NamedCause>, StoreError> {
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let rows: Vec<(
            String,
            String,
            String,
            Option<Uuid>,
            String,
            Option<String>,
            String,
            String,
            Option<String>,
        )> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT c.reference, c.cause, l.category, l.team_id, l.tier, l.owner_name,
                        l.channel, l.priority, l.company
                   FROM complaint_root_causes c
                   JOIN complaint_list l ON l.reference = c.reference
                  WHERE l.received_at >= $1 AND l.received_at < $2
                  ORDER BY c.cause, c.reference"
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(reference, cause, category, team_id, tier, owner, channel, priority, company)| {
                    NamedCause {
                        reference,
                        cause,
                        category,
                        team_id,
                        tier,
                        owner,
                        channel,
                        priority,
                        company,
                    }
                },
            )
            .collect())
    }

    /// How many complaints received in `[from, to)` name `cause`.
    pub async fn complaints_with(
        &self,
        cause: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (count,): (i64,) = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT COUNT(*) FROM complaint_root_causes c
               JOIN complaint_list l ON l.reference = c.reference
              WHERE c.cause = $1 AND l.received_at >= $2 AND l.received_at < $3"
        )
        .bind(cause)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await)?;
        Ok(count)
    }

    /// Opens a corrective action against `cause`.
    pub async fn open_action(
        &self,
        cause: &str,
        what: &str,
        owner: (Uuid, &str),
        due_on: NaiveDate,
        opened_by: &str,
        now: DateTime<Utc>,
    ) -> Result<Uuid, CauseError> {
        if !self.list().await?.iter().any(|c| c.code == cause) {
            return Err(CauseError::Unknown(cause.to_string()));
        }
        let what = what.trim();
        if what.is_empty() || what.chars().count() > MAX_ACTION || what.contains('\0') {
            return Err(CauseError::BadAction);
        }
        let id = Uuid::new_v4();
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO corrective_actions (id, cause, what, owner_id, owner_name, due_on,
                                             opened_at, opened_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(id)
        .bind(cause)
        .bind(what)
        .bind(owner.0)
        .bind(owner.1)
        .bind(due_on)
        .bind(now)
        .bind(opened_by)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(StoreError::from)?;
        Ok(id)
    }

    /// Marks a corrective action done (once; again changes nothing); whether it was open.
    pub async fn finish_action(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, CauseError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE corrective_actions SET done_at = $1 WHERE id = $2 AND done_at IS NULL"
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from)?;
        if updated == 0 && !self.actions().await?.iter().any(|a| a.id == id) {
            return Err(CauseError::UnknownAction);
        }
        Ok(updated > 0)
    }

    /// Every corrective action, open ones first, then by due date.
    pub async fn actions(&self) -> Result<Vec<CorrectiveAction>, StoreError> {
        let rows: Vec<ActionRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
            "SELECT id, cause, what, owner_id, owner_name, due_on, opened_at, opened_by, done_at
               FROM corrective_actions
              ORDER BY done_at IS NOT NULL, due_on, opened_at"
        )
        .fetch_all(pool)
        .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, cause, what, owner_id, owner_name, due_on, opened_at, opened_by, done_at)| {
                    CorrectiveAction {
                        id,
                        cause,
                        what,
                        owner_id,
                        owner_name,
                        due_on,
                        opened_at,
                        opened_by,
                        done_at,
                    }
                },
            )
            .collect())
    }
}

fn checked_code(code: &str) -> Result<String, CauseError> {
    let code = code.trim().to_lowercase();
    let fine = !code.is_empty()
        && code.chars().count() <= MAX_CODE
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    // "actions" is a page of its own (`/causes/actions`).
    if fine && code != "actions" {
        Ok(code)
    } else {
        Err(CauseError::BadCode)
    }
}

fn checked(
    draft: &CauseDraft,
    known_categories: &[String],
) -> Result<(Vec<String>, Option<String>), CauseError> {
    const LANGUAGES: [&str; 4] = ["English", "Spanish", "Romanian", "Chinese"];
    let mut names = Vec::with_capacity(4);
    for (index, language) in LANGUAGES.iter().enumerate() {
        let name = draft.names.get(index).map_or("", |n| n.trim());
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            return Err(CauseError::BadName(language));
        }
        names.push(name.to_string());
    }
    let category = match draft.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) if known_categories.iter().any(|c| c == code) => Some(code.to_string()),
        Some(code) => return Err(CauseError::UnknownCategory(code.to_string())),
    };
    Ok((names, category))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pareto_puts_the_few_causes_that_bring_most_first_with_their_running_share() {
        // 20 namings: 10 + 6 + 3 + 1.
        let counts = [
            ("wrong-tariff", 6),
            ("courier-late", 10),
            ("app-crash", 1),
            ("rude", 3),
        ]
        .into_iter()
        .map(|(c, n)| (c.to_string(), n))
        .collect();
        let rows = pareto(&counts);
        let seen: Vec<(&str, i64, f64, f64)> = rows
            .iter()
            .map(|r| (r.cause.as_str(), r.complaints, r.share, r.cumulative))
            .collect();
        assert_eq!(
            seen,
            [
                ("courier-late", 10, 0.5, 0.5),
                ("wrong-tariff", 6, 0.3, 0.8),
                ("rude", 3, 0.15, 0.95),
                ("app-crash", 1, 0.05, 1.0),
            ]
        );
        assert!(pareto(&Default::default()).is_empty());
    }

    #[test]
    fn codes_and_names_are_checked() {
        assert!(matches!(
            checked_code("Courier Late"),
            Err(CauseError::BadCode)
        ));
        assert_eq!(checked_code(" Courier-Late ").unwrap(), "courier-late");
        let draft = CauseDraft {
            category: Some("billing".into()),
            names: vec![
                "Late".into(),
                "Tarde".into(),
                "Târziu".into(),
                "迟到".into(),
            ],
            retired: false,
        };
        assert!(matches!(
            checked(&draft, &[]),
            Err(CauseError::UnknownCategory(_))
        ));
        assert!(checked(&draft, &["billing".to_string()]).is_ok());
        let unnamed = CauseDraft {
            names: vec!["Late".into(), "".into(), "x".into(), "y".into()],
            ..draft
        };
        assert!(matches!(
            checked(&unnamed, &["billing".to_string()]),
            Err(CauseError::BadName("Spanish"))
        ));
    }
}
