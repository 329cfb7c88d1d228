//! Company and contact files: "a file for each company and each of its major figures".
//!
//! A company is known by the name complaints give it ([`CompanyId::for_name`]); its file is
//! opened the first time a complaint names it (by the complaint list projector) or by staff.
//! Staff keep its tier and notes here, outside the event stream: they describe the customer,
//! not something that happened to a complaint. A complaint records the tier its company had
//! when it arrived, so SLA targets and reports never depend on a later change.
//!
//! A contact is a customer (one [`CustomerId`], recognised by their email address); staff may
//! mark them as one of their company's major contacts and keep a title and notes. That is
//! personal data: it is deleted when the customer is erased.

use chrono::{DateTime, Utc};
use redress_domain::{CompanyId, CustomerId, Tier};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Database, Tx, values};
use crate::{StoreError, on_db, on_pool};

/// Longest company name (as for complaints).
pub const MAX_NAME: usize = redress_domain::aggregate::MAX_NAME;
/// Longest notes on a company or contact.
pub const MAX_NOTES: usize = 10_000;
/// Longest contact title.
pub const MAX_TITLE: usize = 200;
/// The most complaints a file lists (newest first).
pub const HISTORY_LIMIT: i64 = 500;

/// A company's file, with its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompanyFile {
    /// Its id.
    pub id: Uuid,
    /// Its name, as first written.
    pub name: String,
    /// Standard or key account.
    pub tier: Tier,
    /// Staff's notes.
    pub notes: String,
    /// When the file was opened.
    pub created_at: DateTime<Utc>,
    /// When staff last changed it.
    pub updated_at: Option<DateTime<Utc>>,
    /// Who last changed it.
    pub updated_by: Option<String>,
    /// Complaints received from it.
    pub complaints: i64,
    /// Of which not closed.
    pub open_complaints: i64,
    /// The latest complaint's arrival.
    pub last_received_at: Option<DateTime<Utc>>,
    /// Mean satisfaction score (1-5) over rated complaints.
    pub satisfaction: Option<f64>,
    /// Rated complaints.
    pub satisfaction_count: i64,
}

/// What staff keep about a contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContactNotes {
    /// One of their company's major contacts.
    pub major: bool,
    /// Their title or role at the company.
    pub title: String,
    /// Staff's notes.
    pub notes: String,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// By whom.
    pub updated_by: Option<String>,
}

/// One contact of a company, summarised from their complaints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactSummary {
    /// The customer.
    pub customer_id: Uuid,
    /// Their name, from their latest complaint; `None` once erased.
    pub name: Option<String>,
    /// Their email, likewise.
    pub email: Option<String>,
    /// Complaints from them for this company.
    pub complaints: usize,
    /// Of which open.
    pub open_complaints: usize,
    /// Mean satisfaction over their rated complaints.
    pub satisfaction: Option<f64>,
    /// Their latest complaint's arrival.
    pub last_received_at: DateTime<Utc>,
    /// What staff keep about them.
    pub notes: ContactNotes,
}

/// Why a change to a file was refused.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// No such file.
    #[error("There is no such file.")]
    NotFound,
    /// Bad input, said in words for the form.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for FileError {
    fn from(error: sqlx::Error) -> Self {
        FileError::Store(error.into())
    }
}

fn checked(label: &str, text: &str, max: usize) -> Result<String, FileError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(FileError::Invalid(format!(
            "{label} is too long: at most {max} characters."
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FileError::Invalid(format!(
            "{label} contains control characters; remove them."
        )));
    }
    Ok(text.to_string())
}

pub(crate) fn mean(total: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| total as f64 / count as f64)
}

type CompanyRow = (
    Uuid,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<i64>,
);

const COMPANY_SELECT: &str =
    "SELECT c.company_id, c.name, c.tier, c.notes, c.created_at, c.updated_at, c.updated_by,
            a.complaints, a.open_complaints, a.last_received_at, a.satisfaction_total,
            a.satisfaction_count
       FROM companies c LEFT JOIN company_activity a ON a.company_id = c.company_id";

fn company_from_row(row: CompanyRow) -> Result<CompanyFile, StoreError> {
    let (id, name, tier, notes, created_at, updated_at, updated_by, n, open, last, total, count) =
        row;
    let tier = Tier::parse(&tier)
        .map_err(|_| StoreError::Corrupt(format!("company {id} has the tier {tier:?}")))?;
    Ok(CompanyFile {
        id,
        name,
        tier,
        notes,
        created_at,
        updated_at,
        updated_by,
        complaints: n.unwrap_or(0),
        open_complaints: open.unwrap_or(0),
        last_received_at: last,
        satisfaction: mean(total.unwrap_or(0), count.unwrap_or(0)),
        satisfaction_count: count.unwrap_or(0),
    })
}

/// Company and contact files.
#[derive(Clone)]
pub struct Companies {
    db: Database,
}

impl Companies {
    /// The files in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The tier of the company called `name` today (standard when it has no file).
    pub async fn tier_of(&self, name: &str) -> Result<Tier, StoreError> {
        let tier: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT tier FROM companies WHERE company_id = $1"
        )
        .bind(CompanyId::for_name(name).0)
        .fetch_optional(pool)
        .await)?;
        Ok(tier
            .and_then(|t| Tier::parse(&t).ok())
            .unwrap_or(Tier::Standard))
    }

    /// Companies whose name contains `search` (all when empty), most complaints first.
    pub async fn list(&self, search: &str, limit: i64) -> Result<Vec<CompanyFile>, StoreError> {
        let pattern = format!("%{}%", search.trim().to_lowercase().replace(['%', '_'], ""));
        let sql = format!(
            "{COMPANY_SELECT} WHERE LOWER(c.name) LIKE $1
             ORDER BY COALESCE(a.complaints, 0) DESC, LOWER(c.name) LIMIT $2"
        );
        let rows: Vec<CompanyRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(&pattern)
            .bind(limit.clamp(1, 1000))
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(company_from_row).collect()
    }

    /// One company's file.
    pub async fn get(&self, id: Uuid) -> Result<Option<CompanyFile>, StoreError> {
        let sql = format!("{COMPANY_SELECT} WHERE c.company_id = $1");
        let row: Option<CompanyRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.map(company_from_row).transpose()
    }

    /// Opens a file for a company no complaint has named yet (or returns the existing one's
    /// id). `tier` is applied only to a new file.
    pub async fn open_file(
        &self,
        name: &str,
        tier: Tier,
        notes: &str,
        by: &str,
    ) -> Result<(Uuid, bool), FileError> {
        let name = checked("The company's name", name, MAX_NAME)?;
        if name.is_empty() {
            return Err(FileError::Invalid("Give the company's name.".into()));
        }
        if name.contains(['\n', '\r']) {
            return Err(FileError::Invalid(
                "The company's name must fit on one line.".into(),
            ));
        }
        let notes = checked("The notes", notes, MAX_NOTES)?;
        let id = CompanyId::for_name(&name).0;
        let now = Utc::now();
        let created = on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO companies (company_id, name, tier, notes, created_at, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (company_id) DO NOTHING"
        )
        .bind(id)
        .bind(&name)
        .bind(tier.code())
        .bind(&notes)
        .bind(now)
        .bind(by)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok((id, created == 1))
    }

    /// Changes a company's tier and notes.
    pub async fn update(
        &self,
        id: Uuid,
        tier: Tier,
        notes: &str,
        by: &str,
    ) -> Result<(), FileError> {
        let notes = checked("The notes", notes, MAX_NOTES)?;
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE companies SET tier = $1, notes = $2, updated_at = $3, updated_by = $4
              WHERE company_id = $5"
        )
        .bind(tier.code())
        .bind(&notes)
        .bind(Utc::now())
        .bind(by)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if updated == 0 {
            return Err(FileError::NotFound);
        }
        Ok(())
    }

    /// What staff keep about a contact (empty when nothing yet).
    pub async fn contact(&self, customer: CustomerId) -> Result<ContactNotes, StoreError> {
        let row: Option<(bool, String, String, DateTime<Utc>, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT major, title, notes, updated_at, updated_by FROM contacts
                  WHERE customer_id = $1"
            )
            .bind(customer.0)
            .fetch_optional(pool)
            .await)?;
        Ok(row
            .map(|(major, title, notes, at, by)| ContactNotes {
                major,
                title,
                notes,
                updated_at: Some(at),
                updated_by: Some(by),
            })
            .unwrap_or_default())
    }

    /// Records what staff keep about a contact.
    pub async fn update_contact(
        &self,
        customer: CustomerId,
        major: bool,
        title: &str,
        notes: &str,
        by: &str,
    ) -> Result<(), FileError> {
        let title = checked("The title", title, MAX_TITLE)?;
        if title.contains(['\n', '\r']) {
            return Err(FileError::Invalid("The title must fit on one line.".into()));
        }
        let notes = checked("The notes", notes, MAX_NOTES)?;
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO contacts (customer_id, major, title, notes, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (customer_id) DO UPDATE SET major = excluded.major,
                 title = excluded.title, notes = excluded.notes,
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by"
        )
        .bind(customer.0)
        .bind(major)
        .bind(&title)
        .bind(&notes)
        .bind(Utc::now())
        .bind(by)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes what staff kept about a contact (erasure).
    pub async fn forget_contact(&self, customer: CustomerId) -> Result<bool, StoreError> {
        let deleted = on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM contacts WHERE customer_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(deleted > 0)
    }
}

/// Opens a file, in `tx`, for each company a complaint has named (its id, its name as first
/// written, and when); a company that has one already keeps it as it is. The complaint-list
/// projector calls it as complaints arrive; staff open files with [`Companies::open_file`].
pub(crate) async fn open_files_named(
    tx: &mut Tx,
    companies: &[(Uuid, (String, DateTime<Utc>))],
) -> Result<(), StoreError> {
    for chunk in companies.chunks(500) {
        let sql = format!(
            "INSERT INTO companies (company_id, name, created_at) VALUES {}
             ON CONFLICT (company_id) DO NOTHING",
            values(tx.backend(), chunk.len(), 3)
        );
        on_db!(tx, |q| {
            let mut query = sqlx::query(&sql);
            for (id, (name, at)) in chunk {
                query = query.bind(*id).bind(name).bind(*at);
            }
            query.execute(q).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}
