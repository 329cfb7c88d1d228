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
    company_id, tier, customer_phone, satisfaction_score, listened";

/// The triggers that keep SQLite's search index (as migration 0009 creates them).
const SQLITE_SEARCH_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER complaint_search_insert AFTER INSERT ON complaint_list
     BEGIN
         INSERT INTO complaint_search (rowid, search_text) VALUES (new.rowid, new.search_text);
     END",
    "CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaint_list
     BEGIN
         INSERT INTO complaint_search (complaint_search, rowid, search_text)
         VALUES ('delete', old.rowid, old.search_text);
     END",
    "CREATE TRIGGER complaint_search_update AFTER UPDATE OF search_text ON complaint_list
         WHEN old.search_text IS NOT new.search_text
     BEGIN
         INSERT INTO complaint_search (complaint_search, rowid, search_text)
         VALUES ('delete', old.rowid, old.search_text);
         INSERT INTO complaint_search (rowid, search_text) VALUES (new.rowid, new.search_text);
     END",
];

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
        &["complaint_list", "complaint_categories", "company_activity"]
    }

    /// On SQLite the search index's triggers are set aside for the replay (they would index
    /// every row one at a time, and unindex every old row on the way) and the index is built
    /// in one pass at the end, in the same transaction: readers never see it half-made.
    async fn before_rebuild(&self, tx: &mut Tx) -> Result<(), StoreError> {
        if let Tx::Sqlite(_) = tx {
            for statement in [
                "DROP TRIGGER IF EXISTS complaint_search_insert",
                "DROP TRIGGER IF EXISTS complaint_search_delete",
                "DROP TRIGGER IF EXISTS complaint_search_update",
                "INSERT INTO complaint_search (complaint_search) VALUES ('delete-all')",
            ] {
                tx.execute_plain(statement).await?;
            }
        }
        Ok(())
    }

    async fn after_rebuild(&self, tx: &mut Tx) -> Result<(), StoreError> {
        if let Tx::Sqlite(_) = tx {
            for statement in SQLITE_SEARCH_TRIGGERS {
                tx.execute_plain(statement).await?;
            }
            tx.execute_plain("INSERT INTO complaint_search (complaint_search) VALUES ('rebuild')")
                .await?;
        }
        Ok(())
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        let existing = match stored.event.change {
            ComplaintChange::ComplaintReceived { .. } => None,
            _ => load(tx, stored.reference.as_str()).await?,
        };
        let mut side = Side::default();
        let row = apply_to(tx, keys, stored, existing, &mut side).await?;
        side.write(tx).await?;
        save(tx, &row).await
    }

    /// The batch's rows are read in one query, changed in memory event by event, and each
    /// written once at the end.
    async fn apply_batch(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let wanted = crate::event_log::received_before(events);
        let mut rows = load_many(tx, &wanted).await?;
        let customers: Vec<CustomerId> = events
            .iter()
            .filter_map(|e| match &e.event.change {
                ComplaintChange::ComplaintReceived { customer, .. } => Some(customer.id),
                _ => None,
            })
            .collect();
        keys.preload(tx, &customers).await?;
        let mut side = Side::default();
        // Written in the order first touched: the same statements, in the same order, on
        // every run.
        let mut order: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for stored in events {
            let existing = match stored.event.change {
                ComplaintChange::ComplaintReceived { .. } => None,
                _ => rows.remove(stored.reference.as_str()),
            };
            let row = apply_to(tx, keys, stored, existing, &mut side).await?;
            if seen.insert(row.reference.clone()) {
                order.push(row.reference.clone());
            }
            rows.insert(row.reference.clone(), row);
        }
        side.write(tx).await?;
        let touched: Vec<&ComplaintListRow> = order
            .iter()
            .filter_map(|reference| rows.get(reference))
            .collect();
        save_many(tx, &touched).await
    }
}

/// Applies one event to a complaint's row (`existing`: its row before, `None` for a receipt),
/// keeping the categories and the company's counts; returns the row after.
async fn apply_to(
    tx: &mut Tx,
    keys: &mut KeyRing,
    stored: &StoredEvent,
    existing: Option<ComplaintListRow>,
    side: &mut Side,
) -> Result<ComplaintListRow, StoreError> {
    {
        let event = &stored.event;
        let at = event.occurred_at;
        let mut row = if let ComplaintChange::ComplaintReceived {
            reference,
            customer,
            language,
            company,
            tier,
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
                customer_email: match &customer.email {
                    Some(email) => keys.open(tx, customer.id, email).await?,
                    None => None,
                },
                company: company.clone(),
                language: language.code().into(),
                channel: channel.code().into(),
                category: category.clone(),
                summary: summary.clone(),
                priority: priority.code().into(),
                status: String::new(),
                step: String::new(),
                acknowledged: false,
                listened: false,
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
                last_heard_at: Some(at),
                priority_rank: priority_rank(*priority),
                search_text: String::new(),
                company_id: company.as_deref().map(|c| CompanyId::for_name(c).0),
                tier: tier.code().into(),
                customer_phone: match &customer.phone {
                    Some(phone) => keys.open(tx, customer.id, phone).await?,
                    None => None,
                },
                satisfaction_score: None,
            };
            row.set_progress(Progress::default());
            row
        } else {
            existing.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "event {}#{} arrived before its complaint was received",
                    stored.reference, stored.sequence
                ))
            })?
        };

        // What the company's counts knew of this complaint before this event.
        let before = if matches!(event.change, ComplaintChange::ComplaintReceived { .. }) {
            None
        } else {
            Some((row.closed, row.satisfaction_score))
        };
        let mut progress = row.progress();
        let informed = |row: &mut ComplaintListRow| {
            row.customer_informed_at = Some(at);
            row.last_contact_at = at;
        };
        match &event.change {
            // An email's words come in the event before it, which counts the contact.
            ComplaintChange::ComplaintReceived { .. }
            | ComplaintChange::BreachCauseRecorded { .. }
            | ComplaintChange::EmailReceived { .. } => {}
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
            ComplaintChange::FactRecorded { .. }
            | ComplaintChange::InternalNoteAdded { .. }
            | ComplaintChange::FilesAttached { .. } => {}
            ComplaintChange::PointsOfComplaintRecorded { sent, .. } => {
                progress.listened = true;
                if *sent {
                    informed(&mut row);
                }
            }
            ComplaintChange::ReplySent { .. } => informed(&mut row),
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
            ComplaintChange::SatisfactionRecorded { score, .. } => {
                row.satisfaction_score = Some(i32::from(*score));
            }
            ComplaintChange::PriorityChanged { to, .. } => {
                row.priority = to.code().into();
                row.priority_rank = priority_rank(*to);
            }
            ComplaintChange::CategoryChanged { to, .. } => row.category = to.clone(),
            ComplaintChange::CommunicationRecorded { direction, .. } => match direction {
                Direction::Outbound => informed(&mut row),
                Direction::Inbound => row.last_contact_at = at,
            },
            ComplaintChange::PersonalDataErased { .. } => {
                row.personal_data_erased = true;
                row.customer_name = None;
                row.customer_email = None;
                row.customer_phone = None;
                keys.forget(CustomerId(row.customer_id));
            }
        }
        if let Actor::Customer = event.by {
            row.last_contact_at = row.last_contact_at.max(at);
        }
        row.set_progress(progress);
        row.last_heard_at = Some(row.customer_informed_at.unwrap_or(row.received_at));
        row.search_text = [
            Some(row.reference.as_str()),
            row.customer_name.as_deref(),
            row.customer_email.as_deref(),
            row.company.as_deref(),
            Some(row.summary.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
        if let ComplaintChange::ComplaintReceived { category, .. }
        | ComplaintChange::CategoryChanged { to: category, .. } = &event.change
        {
            side.categories.insert(category.clone());
        }
        if let Some(company_id) = row.company_id {
            side.count_for_company(company_id, &row, before, &event.change);
        }
        row.updated_at = at;
        row.event_count += 1;
        row.last_position = stored.checkpoint.position;
        Ok(row)
    }
}

/// What a batch changes beside the complaints' rows, summed in memory and written once at
/// the end: the categories seen, the companies' files opened, and `company_activity`.
#[derive(Default)]
struct Side {
    categories: std::collections::BTreeSet<String>,
    /// Companies named for the first time: id → (name, first receipt).
    companies: std::collections::BTreeMap<Uuid, (String, DateTime<Utc>)>,
    activity: std::collections::BTreeMap<Uuid, Activity>,
}

/// Changes to one company's counts.
struct Activity {
    complaints: i64,
    open: i64,
    satisfaction_total: i64,
    satisfaction_count: i64,
    /// The latest receipt's time among those counted here (when `complaints` > 0): the
    /// latest by date, not the last applied — complaints can arrive with earlier dates after
    /// later ones (imports, back-dated intake).
    last_received_at: DateTime<Utc>,
    /// Whether `last_received_at` is a counted receipt's yet.
    received_any: bool,
}

impl Side {
    /// Counts an event in its company's activity (and opens the company's file the first time
    /// a complaint names it): counts change only when a complaint arrives, closes or reopens,
    /// or is rated.
    fn count_for_company(
        &mut self,
        company_id: Uuid,
        row: &ComplaintListRow,
        before: Option<(bool, Option<i32>)>,
        change: &ComplaintChange,
    ) {
        let after = (row.closed, row.satisfaction_score);
        let (complaints, open, total, count) = match before {
            None => {
                if let ComplaintChange::ComplaintReceived {
                    company: Some(name),
                    ..
                } = change
                {
                    self.companies
                        .entry(company_id)
                        .or_insert_with(|| (name.clone(), row.received_at));
                }
                (1, 1, 0, 0)
            }
            Some(before) if before == after => return,
            Some((was_closed, old_score)) => (
                0,
                i64::from(was_closed) - i64::from(row.closed),
                i64::from(after.1.unwrap_or(0) - old_score.unwrap_or(0)),
                i64::from(old_score.is_none() && after.1.is_some()),
            ),
        };
        let activity = self.activity.entry(company_id).or_insert(Activity {
            complaints: 0,
            open: 0,
            satisfaction_total: 0,
            satisfaction_count: 0,
            last_received_at: row.received_at,
            received_any: false,
        });
        activity.complaints += complaints;
        activity.open += open;
        activity.satisfaction_total += total;
        activity.satisfaction_count += count;
        if complaints > 0 {
            activity.last_received_at = if activity.received_any {
                activity.last_received_at.max(row.received_at)
            } else {
                row.received_at
            };
            activity.received_any = true;
        }
    }

    async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
        let categories: Vec<String> = self.categories.into_iter().collect();
        for chunk in categories.chunks(500) {
            let sql = format!(
                "INSERT INTO complaint_categories (category) VALUES {} ON CONFLICT DO NOTHING",
                values(tx.backend(), chunk.len(), 1)
            );
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for category in chunk {
                    query = query.bind(category);
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
        let companies: Vec<_> = self.companies.into_iter().collect();
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
        let activity: Vec<_> = self.activity.into_iter().collect();
        // The later of the two receipts, in each database's words.
        let latest = match tx.backend() {
            crate::db::Backend::Postgres => {
                "GREATEST(company_activity.last_received_at, excluded.last_received_at)"
            }
            crate::db::Backend::Sqlite => {
                "MAX(company_activity.last_received_at, excluded.last_received_at)"
            }
        };
        for chunk in activity.chunks(300) {
            let sql = format!(
                "INSERT INTO company_activity (company_id, complaints, open_complaints,
                        last_received_at, satisfaction_total, satisfaction_count)
                 VALUES {}
                 ON CONFLICT (company_id) DO UPDATE SET
                     complaints = company_activity.complaints + excluded.complaints,
                     open_complaints = company_activity.open_complaints + excluded.open_complaints,
                     last_received_at = CASE WHEN excluded.complaints > 0
                                             THEN {latest}
                                             ELSE company_activity.last_received_at END,
                     satisfaction_total =
                         company_activity.satisfaction_total + excluded.satisfaction_total,
                     satisfaction_count =
                         company_activity.satisfaction_count + excluded.satisfaction_count",
                values(tx.backend(), chunk.len(), 6),
            );
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for (id, a) in chunk {
                    query = query
                        .bind(*id)
                        .bind(a.complaints)
                        .bind(a.open)
                        .bind(a.last_received_at)
                        .bind(a.satisfaction_total)
                        .bind(a.satisfaction_count);
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }
}

/// The rows of `references` (those that exist), by reference: one query per 500.
async fn load_many(
    tx: &mut Tx,
    references: &[&str],
) -> Result<std::collections::HashMap<String, ComplaintListRow>, StoreError> {
    let mut unique: Vec<&str> = references.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut rows = std::collections::HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(500) {
        let placeholders = crate::db::placeholders(tx.backend(), 1, chunk.len());
        let sql =
            format!("SELECT {COLUMNS} FROM complaint_list WHERE reference IN ({placeholders})");
        let found: Vec<ComplaintListRow> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for reference in chunk {
                query = query.bind(*reference);
            }
            query.fetch_all(q).await
        })?;
        rows.extend(found.into_iter().map(|row| (row.reference.clone(), row)));
    }
    Ok(rows)
}

async fn load(tx: &mut Tx, reference: &str) -> Result<Option<ComplaintListRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM complaint_list WHERE reference = $1");
    Ok(on_db!(tx, |q| sqlx::query_as(&sql)
        .bind(reference)
        .fetch_optional(q)
        .await)?)
}

async fn save(tx: &mut Tx, row: &ComplaintListRow) -> Result<(), StoreError> {
    save_many(tx, &[row]).await
}

/// Writes rows, many per statement (up to ~2,000 parameters each).
async fn save_many(tx: &mut Tx, rows: &[&ComplaintListRow]) -> Result<(), StoreError> {
    let columns = COLUMNS.split(',').count();
    let updates = COLUMNS
        .split(", ")
        .map(str::trim)
        .filter(|c| *c != "reference")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    for chunk in rows.chunks((2_000 / columns).max(1)) {
        let values = values(tx.backend(), chunk.len(), columns);
        let sql = format!(
            "INSERT INTO complaint_list ({COLUMNS}) VALUES {values}
             ON CONFLICT (reference) DO UPDATE SET {updates}"
        );
        on_db!(tx, |q| {
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query.bind(&row.reference);
                query = query.bind(row.customer_id);
                query = query.bind(&row.customer_name);
                query = query.bind(&row.customer_email);
                query = query.bind(&row.company);
                query = query.bind(&row.language);
                query = query.bind(&row.channel);
                query = query.bind(&row.category);
                query = query.bind(&row.summary);
                query = query.bind(&row.priority);
                query = query.bind(&row.status);
                query = query.bind(&row.step);
                query = query.bind(row.acknowledged);
                query = query.bind(row.investigation_concluded);
                query = query.bind(row.action_committed);
                query = query.bind(row.owner_named);
                query = query.bind(row.resolved);
                query = query.bind(row.closed);
                query = query.bind(row.waiting_on_customer);
                query = query.bind(row.owner_id);
                query = query.bind(&row.owner_name);
                query = query.bind(&row.outcome);
                query = query.bind(row.received_at);
                query = query.bind(row.acknowledged_at);
                query = query.bind(row.last_contact_at);
                query = query.bind(row.customer_informed_at);
                query = query.bind(row.updated_at);
                query = query.bind(row.personal_data_erased);
                query = query.bind(row.event_count);
                query = query.bind(row.last_position);
                query = query.bind(row.last_heard_at);
                query = query.bind(row.priority_rank);
                query = query.bind(&row.search_text);
                query = query.bind(row.company_id);
                query = query.bind(&row.tier);
                query = query.bind(&row.customer_phone);
                query = query.bind(row.satisfaction_score);
                query = query.bind(row.listened);
            }
            query.execute(q).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

fn bool_literal(db: &Database, value: bool) -> &'static str {
    match (db, value) {
        (Database::Sqlite(_), true) => "1",
        (Database::Sqlite(_), false) => "0",
        (Database::Postgres(_), true) => "TRUE",
        (Database::Postgres(_), false) => "FALSE",
    }
}

/// A page of the list, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintListPage {
    /// The rows.
    pub rows: Vec<ComplaintListRow>,
    /// All complaints.
    pub total: i64,
}

/// Which complaints the queue shows. Every field is optional; all given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Status codes to include; empty means every status but closed.
    pub statuses: Vec<String>,
    /// The next step's code.
    pub step: Option<String>,
    /// Owned by this staff member.
    pub owner: Option<Uuid>,
    /// Only complaints nobody owns.
    pub unassigned: bool,
    /// Priority code.
    pub priority: Option<String>,
    /// Category, exactly.
    pub category: Option<String>,
    /// Channel code.
    pub channel: Option<String>,
    /// Text to find in the reference, customer name or email, company or summary.
    pub search: Option<String>,
    /// Only those breached (or at risk) at this moment, by the SLA read model.
    pub sla: Option<(SlaState, DateTime<Utc>)>,
}

/// An SLA state the queue can be narrowed to (as the SLA dashboard counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// A clock is past due.
    Breached,
    /// Not breached, and less than the at-risk share of a clock's time is left.
    AtRisk,
}

impl SlaState {
    /// Reads `breached` or `at_risk`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "breached" => Some(SlaState::Breached),
            "at_risk" => Some(SlaState::AtRisk),
            _ => None,
        }
    }
}

/// The queue's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// Newest complaints first.
    #[default]
    Newest,
    /// Oldest complaints first.
    Oldest,
    /// Those who have waited longest to hear from us first.
    LongestSilence,
    /// Most urgent first, then oldest.
    Priority,
}

impl QueueSort {
    /// Every order, with its code.
    pub const ALL: [QueueSort; 4] = [
        QueueSort::Newest,
        QueueSort::Oldest,
        QueueSort::LongestSilence,
        QueueSort::Priority,
    ];

    /// The code used in URLs.
    pub fn code(self) -> &'static str {
        match self {
            QueueSort::Newest => "newest",
            QueueSort::Oldest => "oldest",
            QueueSort::LongestSilence => "silence",
            QueueSort::Priority => "priority",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            QueueSort::Newest => "Newest first",
            QueueSort::Oldest => "Oldest first",
            QueueSort::LongestSilence => "Longest without news first",
            QueueSort::Priority => "Most urgent first",
        }
    }

    /// The order with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// (ORDER BY, the keyset comparison after a cursor.)
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            QueueSort::Newest => (
                "received_at DESC, reference DESC",
                "(received_at, reference) < ({t}, {r})",
            ),
            QueueSort::Oldest => (
                "received_at ASC, reference ASC",
                "(received_at, reference) > ({t}, {r})",
            ),
            QueueSort::LongestSilence => (
                "last_heard_at ASC, reference ASC",
                "(last_heard_at, reference) > ({t}, {r})",
            ),
            QueueSort::Priority => (
                "priority_rank DESC, received_at ASC, reference ASC",
                "(priority_rank < {p} OR (priority_rank = {p} AND (received_at, reference) > ({t}, {r})))",
            ),
        }
    }
}

/// Where a page of the queue ends: the next page starts after it. Travels in URLs as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    /// The sort's time (received or last heard).
    pub at: DateTime<Utc>,
    /// The priority rank (priority order only).
    pub rank: i32,
    /// The reference, to break ties.
    pub reference: String,
}

impl QueueCursor {
    /// As text for a URL.
    pub fn encode(&self) -> String {
        format!(
            "{}~{}~{}",
            self.rank,
            self.at.timestamp_micros(),
            self.reference
        )
    }

    /// From a URL; `None` if it is not one of ours.
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '~');
        let rank = parts.next()?.parse().ok()?;
        let at = DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
        let reference = parts.next()?.to_string();
        (reference.len() <= 20).then_some(Self {
            at,
            rank,
            reference,
        })
    }
}

/// A page of the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueuePage {
    /// The rows.
    pub rows: Vec<ComplaintListRow>,
    /// How many complaints match the filter, counted up to [`COUNT_CAP`].
    pub total: i64,
    /// Whether more than [`COUNT_CAP`] match (then `total` is the cap).
    pub more_than: bool,
    /// Where the next page starts, if there is one.
    #[serde(skip)]
    pub next: Option<QueueCursor>,
}

/// The queue counts matches up to this many: an exact count of a large backlog costs a scan
/// on every page load, and "more than 1,000" says all a person needs.
pub const COUNT_CAP: i64 = 1_000;

enum Bind {
    Text(String),
    Id(Uuid),
    Time(DateTime<Utc>),
    Int(i32),
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

    /// A page of the queue: filtered, sorted, starting after `after`. Keyset pagination, so
    /// page 1,000 costs what page 1 does.
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        sort: QueueSort,
        after: Option<&QueueCursor>,
        limit: i64,
    ) -> Result<QueuePage, StoreError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let param = |binds: &mut Vec<Bind>, value: Bind| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if filter.statuses.is_empty() {
            conditions.push(format!("closed = {}", bool_literal(&self.db, false)));
        } else {
            let list: Vec<String> = filter
                .statuses
                .iter()
                .map(|s| param(&mut binds, Bind::Text(s.clone())))
                .collect();
            conditions.push(format!("status IN ({})", list.join(", ")));
        }
        for (column, value) in [
            ("step", &filter.step),
            ("priority", &filter.priority),
            ("category", &filter.category),
            ("channel", &filter.channel),
        ] {
            if let Some(value) = value {
                let p = param(&mut binds, Bind::Text(value.clone()));
                conditions.push(format!("{column} = {p}"));
            }
        }
        if let Some(owner) = filter.owner {
            let p = param(&mut binds, Bind::Id(owner));
            conditions.push(format!("owner_id = {p}"));
        }
        if filter.unassigned {
            conditions.push("owner_id IS NULL".into());
        }
        if let Some((state, now)) = filter.sla {
            // The SLA dashboard's own rules (crate::sla's dashboard).
            let n = param(&mut binds, Bind::Time(now));
            let state = match state {
                SlaState::Breached => format!("s.urgent_at <= {n}"),
                SlaState::AtRisk => format!("s.urgent_at > {n} AND s.at_risk_from <= {n}"),
            };
            conditions.push(format!(
                "reference IN (SELECT s.reference FROM sla_complaints s WHERE s.open AND {state})"
            ));
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let lower = search.to_lowercase();
            if matches!(self.db, Database::Sqlite(_)) && lower.chars().count() >= 3 {
                // The FTS5 trigram index (migration 0009): a quoted phrase matches any
                // substring of three characters or more.
                let phrase = format!("\"{}\"", lower.replace('"', "\"\""));
                let p = param(&mut binds, Bind::Text(phrase));
                conditions.push(format!(
                    "rowid IN (SELECT rowid FROM complaint_search WHERE complaint_search MATCH {p})"
                ));
            } else {
                let escaped = lower
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let p = param(&mut binds, Bind::Text(format!("%{escaped}%")));
                conditions.push(format!("search_text LIKE {p} ESCAPE '\\'"));
            }
        }
        let filtered = conditions.join(" AND ");
        let count_binds = binds.len();
        let (order, keyset) = sort.sql();
        let mut page_conditions = filtered.clone();
        if let Some(after) = after {
            let t = param(&mut binds, Bind::Time(after.at));
            let r = param(&mut binds, Bind::Text(after.reference.clone()));
            let p = param(&mut binds, Bind::Int(after.rank));
            let keyset = keyset
                .replace("{t}", &t)
                .replace("{r}", &r)
                .replace("{p}", &p);
            page_conditions = format!("{page_conditions} AND {keyset}");
        }
        let limit_param = param(&mut binds, Bind::Int(limit.clamp(1, 500) as i32 + 1));
        let sql = format!(
            "SELECT {COLUMNS} FROM complaint_list WHERE {page_conditions} ORDER BY {order} LIMIT {limit_param}"
        );
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM complaint_list WHERE {filtered} LIMIT {}) AS capped",
            COUNT_CAP + 1
        );
        let mut rows: Vec<ComplaintListRow> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql);
            for bind in &binds {
                query = match bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::Id(v) => query.bind(v),
                    Bind::Time(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                };
            }
            query.fetch_all(pool).await
        })?;
        let total: i64 = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_scalar(&count_sql);
            for bind in &binds[..count_binds] {
                query = match bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::Id(v) => query.bind(v),
                    Bind::Time(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                };
            }
            query.fetch_one(pool).await
        })?;
        let limit = limit.clamp(1, 500) as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| QueueCursor {
                at: match sort {
                    QueueSort::LongestSilence => last.last_heard_at.unwrap_or(last.received_at),
                    _ => last.received_at,
                },
                rank: last.priority_rank,
                reference: last.reference.clone(),
            })
        } else {
            None
        };
        Ok(QueuePage {
            rows,
            total: total.min(COUNT_CAP),
            more_than: total > COUNT_CAP,
            next,
        })
    }

    /// The categories in use, for the queue's filter.
    pub async fn categories(&self) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT category FROM complaint_categories ORDER BY category LIMIT 500"
        )
        .fetch_all(pool)
        .await)?)
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
