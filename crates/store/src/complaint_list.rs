//! The complaint list: one row per complaint with what a queue shows. Personal fields are
//! opened from their sealed form when projected, and blanked (NULL) on erasure; a rebuild
//! after erasure cannot open them and gives the same NULLs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redress_domain::{Actor, ComplaintChange, CustomerId, Direction, Progress, Status};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Database, Tx};
use crate::event_log::StoredEvent;
use crate::projection::Projector;
use crate::vault::KeyRing;
use crate::{StoreError, on_db, on_pool};

/// One complaint as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ComplaintListRow {
    /// The reference.
    pub reference: String,
    /// Whose key seals the personal fields.
    pub customer_id: Uuid,
    /// The customer's name; `None` once erased.
    pub customer_name: Option<String>,
    /// The customer's email; `None` once erased.
    pub customer_email: Option<String>,
    /// Their company.
    pub company: Option<String>,
    /// Language code.
    pub language: String,
    /// Channel code.
    pub channel: String,
    /// Category.
    pub category: String,
    /// One-line summary.
    pub summary: String,
    /// Priority code.
    pub priority: String,
    /// Status code.
    pub status: String,
    /// The next step's code.
    pub step: String,
    /// Step 1 done.
    pub acknowledged: bool,
    /// Step 3 done.
    pub investigation_concluded: bool,
    /// Step 4 done.
    pub action_committed: bool,
    /// Step 5 done.
    pub owner_named: bool,
    /// Decided.
    pub resolved: bool,
    /// Closed.
    pub closed: bool,
    /// Waiting on the customer.
    pub waiting_on_customer: bool,
    /// The owner's staff id.
    pub owner_id: Option<Uuid>,
    /// The owner's name.
    pub owner_name: Option<String>,
    /// Outcome code, once resolved.
    pub outcome: Option<String>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The last contact with the customer, either way.
    pub last_contact_at: DateTime<Utc>,
    /// The last time the customer heard from us.
    pub customer_informed_at: Option<DateTime<Utc>>,
    /// The last event's time.
    pub updated_at: DateTime<Utc>,
    /// Personal data erased.
    pub personal_data_erased: bool,
    /// Events applied.
    pub event_count: i64,
    /// The last event's global position.
    pub last_position: i64,
}

impl ComplaintListRow {
    fn progress(&self) -> Progress {
        Progress {
            acknowledged: self.acknowledged,
            investigation_concluded: self.investigation_concluded,
            action_committed: self.action_committed,
            owner_named: self.owner_named,
            resolved: self.resolved,
            closed: self.closed,
        }
    }

    fn set_progress(&mut self, progress: Progress) {
        self.acknowledged = progress.acknowledged;
        self.investigation_concluded = progress.investigation_concluded;
        self.action_committed = progress.action_committed;
        self.owner_named = progress.owner_named;
        self.resolved = progress.resolved;
        self.closed = progress.closed;
        self.step = progress.step().code().to_string();
        let status = if progress.closed {
            Status::Closed
        } else if progress.resolved {
            Status::Resolved
        } else if self.waiting_on_customer {
            Status::WaitingOnCustomer
        } else {
            Status::Open
        };
        self.status = status.code().to_string();
    }
}

const COLUMNS: &str = "reference, customer_id, customer_name, customer_email, company, language, \
    channel, category, summary, priority, status, step, acknowledged, investigation_concluded, \
    action_committed, owner_named, resolved, closed, waiting_on_customer, owner_id, owner_name, \
    outcome, received_at, acknowledged_at, last_contact_at, customer_informed_at, updated_at, \
    personal_data_erased, event_count, last_position";

/// The projector that keeps `complaint_list`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ComplaintListProjector;

impl ComplaintListProjector {
    /// Its name.
    pub const NAME: &'static str = "complaint_list";
}

#[async_trait]
impl Projector for ComplaintListProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["complaint_list"]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        let event = &stored.event;
        let at = event.occurred_at;
        let mut row = if let ComplaintChange::ComplaintReceived {
            reference,
            customer,
            language,
            company,
            channel,
            category,
            summary,
            priority,
            ..
        } = &event.change
        {
            let mut row = ComplaintListRow {
                reference: reference.to_string(),
                customer_id: customer.id.0,
                customer_name: keys.open(tx, customer.id, &customer.name).await?,
                customer_email: keys.open(tx, customer.id, &customer.email).await?,
                company: company.clone(),
                language: language.code().into(),
                channel: channel.code().into(),
                category: category.clone(),
                summary: summary.clone(),
                priority: priority.code().into(),
                status: String::new(),
                step: String::new(),
                acknowledged: false,
                investigation_concluded: false,
                action_committed: false,
                owner_named: false,
                resolved: false,
                closed: false,
                waiting_on_customer: false,
                owner_id: None,
                owner_name: None,
                outcome: None,
                received_at: at,
                acknowledged_at: None,
                last_contact_at: at,
                customer_informed_at: None,
                updated_at: at,
                personal_data_erased: false,
                event_count: 0,
                last_position: 0,
            };
            row.set_progress(Progress::default());
            row
        } else {
            load(tx, stored.reference.as_str()).await?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "event {}#{} arrived before its complaint was received",
                    stored.reference, stored.sequence
                ))
            })?
        };

        let mut progress = row.progress();
        let informed = |row: &mut ComplaintListRow| {
            row.customer_informed_at = Some(at);
            row.last_contact_at = at;
        };
        match &event.change {
            ComplaintChange::ComplaintReceived { .. } => {}
            ComplaintChange::ComplaintAcknowledged { .. } => {
                progress.acknowledged = true;
                row.acknowledged_at = Some(at);
                informed(&mut row);
            }
            ComplaintChange::CustomerStatementRecorded { .. }
            | ComplaintChange::CustomerResponded { .. } => {
                row.last_contact_at = at;
                if matches!(event.change, ComplaintChange::CustomerResponded { .. }) {
                    row.waiting_on_customer = false;
                }
            }
            ComplaintChange::FactRecorded { .. } => {}
            ComplaintChange::InvestigationConcluded { .. } => {
                progress.investigation_concluded = true;
            }
            ComplaintChange::ActionCommitted { .. } => {
                progress.action_committed = true;
                informed(&mut row);
            }
            ComplaintChange::OwnerAssigned { owner, .. } => {
                progress.owner_named = true;
                row.owner_id = Some(owner.id);
                row.owner_name = Some(owner.name.clone());
                informed(&mut row);
            }
            ComplaintChange::ProgressUpdateSent { .. } => informed(&mut row),
            ComplaintChange::WaitingOnCustomer { .. } => {
                row.waiting_on_customer = true;
                informed(&mut row);
            }
            ComplaintChange::ComplaintResolved { outcome, .. } => {
                progress.resolved = true;
                row.waiting_on_customer = false;
                row.outcome = Some(outcome.code().into());
                informed(&mut row);
            }
            ComplaintChange::ComplaintClosed => progress.closed = true,
            ComplaintChange::ComplaintReopened { .. } => {
                progress.resolved = false;
                progress.closed = false;
                progress.investigation_concluded = false;
                progress.action_committed = false;
                row.outcome = None;
            }
            ComplaintChange::SatisfactionRecorded { .. } => {}
            ComplaintChange::PriorityChanged { to, .. } => row.priority = to.code().into(),
            ComplaintChange::CategoryChanged { to, .. } => row.category = to.clone(),
            ComplaintChange::CommunicationRecorded { direction, .. } => match direction {
                Direction::Outbound => informed(&mut row),
                Direction::Inbound => row.last_contact_at = at,
            },
            ComplaintChange::PersonalDataErased { .. } => {
                row.personal_data_erased = true;
                row.customer_name = None;
                row.customer_email = None;
                keys.forget(CustomerId(row.customer_id));
            }
        }
        if let Actor::Customer = event.by {
            row.last_contact_at = row.last_contact_at.max(at);
        }
        row.set_progress(progress);
        row.updated_at = at;
        row.event_count += 1;
        row.last_position = stored.checkpoint.position;
        save(tx, &row).await
    }
}

async fn load(tx: &mut Tx, reference: &str) -> Result<Option<ComplaintListRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM complaint_list WHERE reference = $1");
    Ok(on_db!(tx, |q| sqlx::query_as(&sql)
        .bind(reference)
        .fetch_optional(q)
        .await)?)
}

async fn save(tx: &mut Tx, row: &ComplaintListRow) -> Result<(), StoreError> {
    let updates = COLUMNS
        .split(", ")
        .map(str::trim)
        .filter(|c| *c != "reference")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let placeholders = (1..=30)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO complaint_list ({COLUMNS}) VALUES ({placeholders})
         ON CONFLICT (reference) DO UPDATE SET {updates}"
    );
    on_db!(tx, |q| sqlx::query(&sql)
        .bind(&row.reference)
        .bind(row.customer_id)
        .bind(&row.customer_name)
        .bind(&row.customer_email)
        .bind(&row.company)
        .bind(&row.language)
        .bind(&row.channel)
        .bind(&row.category)
        .bind(&row.summary)
        .bind(&row.priority)
        .bind(&row.status)
        .bind(&row.step)
        .bind(row.acknowledged)
        .bind(row.investigation_concluded)
        .bind(row.action_committed)
        .bind(row.owner_named)
        .bind(row.resolved)
        .bind(row.closed)
        .bind(row.waiting_on_customer)
        .bind(row.owner_id)
        .bind(&row.owner_name)
        .bind(&row.outcome)
        .bind(row.received_at)
        .bind(row.acknowledged_at)
        .bind(row.last_contact_at)
        .bind(row.customer_informed_at)
        .bind(row.updated_at)
        .bind(row.personal_data_erased)
        .bind(row.event_count)
        .bind(row.last_position)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A page of the list, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintListPage {
    /// The rows.
    pub rows: Vec<ComplaintListRow>,
    /// All complaints.
    pub total: i64,
}

/// Queries over the complaint list.
#[derive(Debug, Clone)]
pub struct ComplaintList {
    db: Database,
}

impl ComplaintList {
    /// Queries on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// One page, newest first.
    pub async fn page(&self, offset: i64, limit: i64) -> Result<ComplaintListPage, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM complaint_list ORDER BY received_at DESC, reference LIMIT $1 OFFSET $2"
        );
        let rows: Vec<ComplaintListRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await)?;
        let total: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM complaint_list"
        )
        .fetch_one(pool)
        .await)?;
        Ok(ComplaintListPage { rows, total })
    }

    /// One complaint's row.
    pub async fn get(&self, reference: &str) -> Result<Option<ComplaintListRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM complaint_list WHERE reference = $1");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(reference)
            .fetch_optional(pool)
            .await)?)
    }

    /// Every row, by reference: for comparing a rebuilt projection with the live one.
    pub async fn all(&self) -> Result<Vec<ComplaintListRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM complaint_list ORDER BY reference");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .fetch_all(pool)
            .await)?)
    }

    /// The references of one customer's complaints.
    pub async fn references_of(&self, customer: CustomerId) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT reference FROM complaint_list WHERE customer_id = $1 ORDER BY reference"
        )
        .bind(customer.0)
        .fetch_all(pool)
        .await)?)
    }
}
