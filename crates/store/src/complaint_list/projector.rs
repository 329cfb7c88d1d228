//! The projector that keeps `complaint_list` (and the categories and companies' counts beside it) from the events.

use super::side::Side;
use super::*;

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
        &[
            "complaint_list",
            "complaint_categories",
            "company_activity",
            "complaint_tags",
            "complaint_tag_counts",
            "complaint_root_causes",
        ]
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
                team_id: None,
                merged_into: None,
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
            ComplaintChange::TeamChanged { team, .. } => row.team_id = Some(team.id),
            ComplaintChange::MergedInto { survivor } => {
                progress.closed = true;
                row.waiting_on_customer = false;
                row.merged_into = Some(survivor.to_string());
            }
            ComplaintChange::DuplicateMerged { .. } | ComplaintChange::ComplaintLinked { .. } => {}
            ComplaintChange::TagAdded { tag } => {
                side.tags.insert((row.reference.clone(), tag.clone()), true);
            }
            ComplaintChange::RootCausesRecorded { causes } => {
                side.root_causes
                    .insert(row.reference.clone(), causes.clone());
            }
            ComplaintChange::TagRemoved { tag } => {
                side.tags
                    .insert((row.reference.clone(), tag.clone()), false);
            }
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
                query = query.bind(row.team_id);
                query = query.bind(&row.merged_into);
            }
            query.execute(q).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}
