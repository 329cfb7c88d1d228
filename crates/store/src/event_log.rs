//! Reading the whole event stream in one global order, for catch-up projectors.
//!
//! SQLite has one writer at a time, so the position its trigger hands out follows commit
//! order and `global_position > $last` is enough.
//!
//! PostgreSQL hands out identity values at insert time, so a transaction that inserted first
//! may commit last; `global_position > $last` would step over its events for good. Each event
//! also records the id of the transaction that wrote it, and readers only read events of
//! transactions older than the oldest one still running (`pg_snapshot_xmin`), in
//! `(transaction_id, global_position)` order. An event can then never appear behind a
//! checkpoint that has already passed it.

use redress_domain::{ComplaintEvent, EVENT_VERSION, Reference};

use crate::StoreError;
use crate::db::Tx;
use crate::on_db;

/// A position in the global order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Checkpoint {
    /// The writing transaction's id (PostgreSQL; 0 on SQLite).
    pub transaction_id: i64,
    /// The event's global position.
    pub position: i64,
}

/// An event as read from the store, with its place in the global order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Where it stands.
    pub checkpoint: Checkpoint,
    /// Which complaint.
    pub reference: Reference,
    /// Its number within the complaint, from 1.
    pub sequence: i64,
    /// The event.
    pub event: ComplaintEvent,
}

const SQLITE_READ: &str = "
SELECT global_position, 0, aggregate_type, aggregate_id, sequence, event_version, payload
  FROM events
 WHERE global_position > $1
 ORDER BY global_position
 LIMIT $2";

// `ORDER BY events.transaction_id`, qualified: unqualified, the name would mean the output
// column `transaction_id::text::bigint`, and PostgreSQL would sort the whole table by that
// expression on every batch instead of walking the `events_global_order` index.
const POSTGRES_READ: &str = "
SELECT global_position, transaction_id::text::bigint, aggregate_type, aggregate_id, sequence,
       event_version, payload::text
  FROM events
 WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
   AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY events.transaction_id, events.global_position
 LIMIT $3";

/// Reads up to `limit` events after `after`, in global order.
pub async fn read_after(
    tx: &mut Tx,
    after: Checkpoint,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<(i64, i64, String, String, i64, String, String)> = match tx {
        Tx::Sqlite(t) => {
            sqlx::query_as(SQLITE_READ)
                .bind(after.position)
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_as(POSTGRES_READ)
                .bind(after.transaction_id.to_string())
                .bind(after.position)
                .bind(limit)
                .fetch_all(&mut **t)
                .await?
        }
    };
    rows.into_iter().map(decode).collect()
}

/// How many events the store holds.
pub async fn count(tx: &mut Tx) -> Result<i64, StoreError> {
    Ok(on_db!(tx, |q| sqlx::query_scalar(
        "SELECT COUNT(*) FROM events"
    )
    .fetch_one(q)
    .await)?)
}

fn decode(
    (position, transaction_id, aggregate_type, aggregate_id, sequence, version, payload): (
        i64,
        i64,
        String,
        String,
        i64,
        String,
        String,
    ),
) -> Result<StoredEvent, StoreError> {
    let at = || format!("event {aggregate_id}#{sequence} (position {position})");
    if aggregate_type != "Complaint" {
        return Err(StoreError::Corrupt(format!(
            "{}: unknown aggregate type {aggregate_type:?}",
            at()
        )));
    }
    if version != EVENT_VERSION {
        return Err(StoreError::Corrupt(format!(
            "{}: event version {version:?} has no upcaster",
            at()
        )));
    }
    let event: ComplaintEvent = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", at())))?;
    let reference = Reference::parse(&aggregate_id)
        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", at())))?;
    Ok(StoredEvent {
        checkpoint: Checkpoint {
            transaction_id,
            position,
        },
        reference,
        sequence,
        event,
    })
}
