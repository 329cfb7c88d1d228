//! The complaint list: one row per complaint with what a queue shows. Personal fields are
//! opened from their sealed form when projected, and blanked (NULL) on erasure; a rebuild
//! after erasure cannot open them and gives the same NULLs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redress_domain::{
    Actor, CompanyId, ComplaintChange, CustomerId, Direction, Priority, Progress, Status,
};
use serde::Serialize;
use uuid::Uuid;

use crate::db::values;
use crate::db::{Database, Tx};
use crate::event_log::StoredEvent;
use crate::projection::Projector;
use crate::vault::KeyRing;
use crate::{StoreError, on_db, on_pool};

mod history;
mod projector;
mod queue;
mod side;

pub use projector::*;
pub use queue::*;

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
    /// Step 2 done: the points of complaint are recorded.
    pub listened: bool,
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
    /// When the customer last heard from us (or when they complained, if never since).
    pub last_heard_at: Option<DateTime<Utc>>,
    /// Priority as a number for sorting: low 0, normal 1, high 2, urgent 3.
    pub priority_rank: i32,
    /// What the queue's search looks in, lower-cased.
    #[serde(skip)]
    pub search_text: String,
    /// The company's file, when a company is named.
    pub company_id: Option<Uuid>,
    /// The company's tier when the complaint arrived (code).
    pub tier: String,
    /// The customer's phone; `None` when not given or erased.
    pub customer_phone: Option<String>,
    /// The customer's latest satisfaction score (1-5), once recorded.
    pub satisfaction_score: Option<i32>,
    /// The team it belongs to (none for complaints received before teams).
    pub team_id: Option<Uuid>,
    /// The complaint it was merged into, as a duplicate.
    pub merged_into: Option<String>,
}

fn priority_rank(priority: Priority) -> i32 {
    match priority {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

impl ComplaintListRow {
    fn progress(&self) -> Progress {
        Progress {
            acknowledged: self.acknowledged,
            listened: self.listened,
            investigation_concluded: self.investigation_concluded,
            action_committed: self.action_committed,
            owner_named: self.owner_named,
            resolved: self.resolved,
            closed: self.closed,
        }
    }

    fn set_progress(&mut self, progress: Progress) {
        self.acknowledged = progress.acknowledged;
        self.listened = progress.listened;
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

pub(crate) const COLUMNS: &str = "reference, customer_id, customer_name, customer_email, company, language, \
    channel, category, summary, priority, status, step, acknowledged, investigation_concluded, \
    action_committed, owner_named, resolved, closed, waiting_on_customer, owner_id, owner_name, \
    outcome, received_at, acknowledged_at, last_contact_at, customer_informed_at, updated_at, \
    personal_data_erased, event_count, last_position, last_heard_at, priority_rank, search_text, \
    company_id, tier, customer_phone, satisfaction_score, listened, team_id, merged_into";

fn bool_literal(db: &Database, value: bool) -> &'static str {
    match (db, value) {
        (Database::Sqlite(_), true) => "1",
        (Database::Sqlite(_), false) => "0",
        (Database::Postgres(_), true) => "TRUE",
        (Database::Postgres(_), false) => "FALSE",
    }
}
