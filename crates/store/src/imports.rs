//! Complaints imported from another help desk: the one writer of `imported_complaints`, which
//! remembers each imported row's id in its source, so the same file imported twice adds
//! nothing. The caller decides each complaint's events with the domain's own rules
//! (`Complaint::run`, back-dated by its clock); they are written here in bulk, with the rows
//! that remember them, one transaction per batch.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use redress_domain::ComplaintEvent;

use crate::db::Database;
use crate::{StoreError, on_db, on_pool};

/// One complaint to write: its id in the source, its reference, and its events in order.
#[derive(Debug, Clone)]
pub struct ImportedComplaint {
    /// Its id in the source.
    pub external_id: String,
    /// Its reference here.
    pub reference: String,
    /// Its events, from the first.
    pub events: Vec<ComplaintEvent>,
}

/// Who imported events are by (`Actor::System`): the outbox and webhooks send nothing for
/// them, whatever their age.
pub const ACTOR: &str = "import";

/// Whether `event` was imported.
pub fn imported(event: &ComplaintEvent) -> bool {
    matches!(&event.by, redress_domain::Actor::System { name } if name == ACTOR)
}

/// Events per INSERT statement.
const EVENTS_PER_STATEMENT: usize = 400;

/// The record of imports.
#[derive(Debug, Clone)]
pub struct Imports {
    db: Database,
}

impl Imports {
    /// The imports in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Which of `ids` were imported from `source` already.
    pub async fn known(&self, source: &str, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut known = HashSet::new();
        for chunk in ids.chunks(500) {
            // `$N` on both backends, each once and in order (SQLite numbers them as they come).
            let placeholders = (2..chunk.len() + 2)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT external_id FROM imported_complaints
                  WHERE source = $1 AND external_id IN ({placeholders})"
            );
            let found: Vec<String> = on_pool!(&self.db, |pool| {
                let mut query = sqlx::query_scalar(&sql).bind(source);
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(pool).await
            })?;
            known.extend(found);
        }
        Ok(known)
    }

    /// Writes `complaints` from `source` in one transaction: their events, and the rows that
    /// remember them. Returns how many events were written.
    pub async fn write(
        &self,
        source: &str,
        complaints: &[ImportedComplaint],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.db.begin().await?;
        let rows: Vec<(String, i64, ComplaintEvent)> = complaints
            .iter()
            .flat_map(|c| {
                c.events.iter().enumerate().map(|(i, event)| {
                    (
                        c.reference.clone(),
                        i64::try_from(i).unwrap_or(i64::MAX - 1) + 1,
                        event.clone(),
                    )
                })
            })
            .collect();
        let mut written = 0;
        for chunk in rows.chunks(EVENTS_PER_STATEMENT) {
            written += crate::event_log::append_in(&mut tx, chunk).await?;
        }
        for chunk in complaints.chunks(200) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 4;
                    format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
                })
                .collect();
            let sql = format!(
                "INSERT INTO imported_complaints (source, external_id, reference, imported_at)
                 VALUES {}",
                values.join(", ")
            );
            on_db!(&mut tx, |q| {
                let mut query = sqlx::query(&sql);
                for complaint in chunk {
                    query = query
                        .bind(source)
                        .bind(&complaint.external_id)
                        .bind(&complaint.reference)
                        .bind(now);
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
        tx.commit().await?;
        Ok(written)
    }
}
