//! Reading the whole event stream in one global order, for catch-up projectors.
//!
//! SQLite has one writer at a time, so the position its trigger hands out follows commit
//! order and `global_position > $last` is enough.
//!
//! PostgreSQL hands out identity values at insert time, so a transaction that inserted first
//! may commit last; `global_position > $last` would step over its events for good. Each event
//! also records the id of the transaction that wrote it, and readers only read events of
//! transactions older than the oldest one still running, in `(transaction_id,
//! global_position)` order. An event can then never appear behind a checkpoint that has
//! already passed it.
//!
//! "Still running" means running in *this* database ([`POSTGRES_HORIZON`]). Transaction ids
//! are shared by every database of a PostgreSQL server, so `pg_snapshot_xmin` alone would let
//! a long transaction of another application (or another test's database) hold back every
//! projector here, though it can never write to this events table. A transaction that
//! `pg_stat_activity` shows, by its backend, to belong to another database is passed over;
//! anything not positively known to be elsewhere (a transaction that ended meanwhile, a
//! prepared one, one we may not see) still holds the horizon, so the rule only ever errs
//! towards waiting.

use std::collections::HashMap;

use cqrs_es::DomainEvent;

use redress_domain::{ComplaintChange, ComplaintEvent, CustomerId, Reference};

use crate::StoreError;
use crate::db::{Database, Tx};
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

/// The oldest transaction still running in this database, as of the statement's snapshot (its
/// `xmax` when none is): every transaction below it has ended, or runs in another database
/// and cannot have written here. A backend's `backend_xid` is a 32-bit `xid`, the snapshot's
/// are 64-bit `xid8`s: transactions running at once are within 2^31 of each other, so the
/// low 32 bits name one. `pg_current_snapshot()` is the statement's snapshot, the same at
/// both calls.
macro_rules! horizon_sql {
    () => {
        "COALESCE(
    (SELECT MIN(running.xid) FROM pg_snapshot_xip(pg_current_snapshot()) AS running(xid)
      WHERE running.xid::text::bigint % 4294967296 NOT IN (
            SELECT elsewhere.backend_xid::text::bigint FROM pg_stat_activity AS elsewhere
             WHERE elsewhere.backend_xid IS NOT NULL AND elsewhere.datname IS NOT NULL
               AND elsewhere.datname <> current_database())),
    pg_snapshot_xmax(pg_current_snapshot()))"
    };
}

const SQLITE_READ: &str = "
SELECT global_position, 0, aggregate_type, aggregate_id, sequence, event_type, event_version,
       payload
  FROM events
 WHERE global_position > $1
 ORDER BY global_position
 LIMIT $2";

// `ORDER BY events.transaction_id`, qualified: unqualified, the name would mean the output
// column `transaction_id::text::bigint`, and PostgreSQL would sort the whole table by that
// expression on every batch instead of walking the `events_global_order` index.
const POSTGRES_READ: &str = concat!(
    "
SELECT global_position, transaction_id::text::bigint, aggregate_type, aggregate_id, sequence,
       event_type, event_version, payload::text
  FROM events
 WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
   AND transaction_id < ",
    horizon_sql!(),
    "
 ORDER BY events.transaction_id, events.global_position
 LIMIT $3"
);

/// [`horizon_sql`] as a statement (a `bigint`).
pub(crate) const POSTGRES_HORIZON: &str = concat!("SELECT (", horizon_sql!(), ")::text::bigint");

const POSTGRES_READ_BELOW: &str = "
SELECT global_position, transaction_id::text::bigint, aggregate_type, aggregate_id, sequence,
       event_type, event_version, payload::text
  FROM events
 WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
   AND transaction_id < $4::text::xid8
 ORDER BY events.transaction_id, events.global_position
 LIMIT $3";

/// The horizon of the reads now (PostgreSQL: the oldest transaction still running in this
/// database, [`POSTGRES_HORIZON`]; `None` on SQLite). Reads bounded by one horizon see the
/// same events however long they take ([`read_below`]).
pub async fn horizon(tx: &mut Tx) -> Result<Option<i64>, StoreError> {
    Ok(match tx {
        Tx::Sqlite(_) => None,
        Tx::Postgres(t) => Some(
            sqlx::query_scalar(POSTGRES_HORIZON)
                .fetch_one(&mut **t)
                .await?,
        ),
    })
}

/// Whether any committed event lies beyond `at`, even one a reader may not take yet (held
/// back on PostgreSQL by an older transaction still running).
pub async fn any_after(tx: &mut Tx, at: &Checkpoint) -> Result<bool, StoreError> {
    Ok(match tx {
        Tx::Sqlite(t) => {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events WHERE global_position > $1)")
                .bind(at.position)
                .fetch_one(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_scalar(
                // Not EXISTS: PostgreSQL drops a LIMIT inside EXISTS and then scans the
                // whole table when nothing is there; a LIMIT in FROM walks the index.
                "SELECT COUNT(*) > 0 FROM (SELECT 1 FROM events
                  WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
                  ORDER BY events.transaction_id, events.global_position LIMIT 1) AS next",
            )
            .bind(at.transaction_id.to_string())
            .bind(at.position)
            .fetch_one(&mut **t)
            .await?
        }
    })
}

/// The global position of the last event in reading order (0 when there is none).
pub async fn head_position(tx: &mut Tx) -> Result<i64, StoreError> {
    // Through the index: on PostgreSQL MAX(global_position) would read the whole table, as
    // only (transaction_id, global_position) is indexed.
    let head: Option<Option<i64>> = match tx {
        Tx::Sqlite(t) => {
            sqlx::query_scalar("SELECT MAX(global_position) FROM events")
                .fetch_optional(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_scalar(
                "SELECT global_position FROM events
                  ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
            )
            .fetch_optional(&mut **t)
            .await?
        }
    };
    Ok(head.flatten().unwrap_or(0))
}

/// Like [`read_after`], only events of transactions below `horizon` (from [`horizon`]).
pub async fn read_below(
    tx: &mut Tx,
    after: Checkpoint,
    limit: i64,
    horizon: Option<i64>,
) -> Result<Vec<StoredEvent>, StoreError> {
    let (Tx::Postgres(t), Some(horizon)) = (&mut *tx, horizon) else {
        return read_after(tx, after, limit).await;
    };
    let rows: Vec<Row> = sqlx::query_as(POSTGRES_READ_BELOW)
        .bind(after.transaction_id.to_string())
        .bind(after.position)
        .bind(limit)
        .bind(horizon.to_string())
        .fetch_all(&mut **t)
        .await?;
    rows.into_iter().map(decode).collect()
}

/// Reads up to `limit` events after `after`, in global order.
pub async fn read_after(
    tx: &mut Tx,
    after: Checkpoint,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<Row> = match tx {
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

/// The complaints of a batch's events other than receipts: those whose read-model rows must
/// already exist, to be read once for the batch (with repeats; callers dedupe).
pub fn received_before(events: &[StoredEvent]) -> Vec<&str> {
    events
        .iter()
        .filter(|e| !matches!(e.event.change, ComplaintChange::ComplaintReceived { .. }))
        .map(|e| e.reference.as_str())
        .collect()
}

/// How many events the store holds.
pub async fn count(tx: &mut Tx) -> Result<i64, StoreError> {
    Ok(on_db!(tx, |q| sqlx::query_scalar(
        "SELECT COUNT(*) FROM events"
    )
    .fetch_one(q)
    .await)?)
}

/// A row of the events table as the readers select it: position, transaction, aggregate type
/// and id, sequence, event type and version, payload.
type Row = (i64, i64, String, String, i64, String, String, String);

/// Reads one stored event of `reference`, in today's shape whatever version it was written
/// with (see [`redress_domain::upcast`]).
pub fn read_event(
    reference: &str,
    sequence: i64,
    event_type: &str,
    version: &str,
    payload: &str,
) -> Result<ComplaintEvent, StoreError> {
    redress_domain::upcast::read(event_type, version, payload)
        .map_err(|e| StoreError::Corrupt(format!("event {reference}#{sequence}: {e}")))
}

fn decode(
    (
        position,
        transaction_id,
        aggregate_type,
        aggregate_id,
        sequence,
        event_type,
        version,
        payload,
    ): Row,
) -> Result<StoredEvent, StoreError> {
    let at = || format!("event {aggregate_id}#{sequence} (position {position})");
    if aggregate_type != "Complaint" {
        return Err(StoreError::Corrupt(format!(
            "{}: unknown aggregate type {aggregate_type:?}",
            at()
        )));
    }
    let event = read_event(&aggregate_id, sequence, &event_type, &version, &payload)
        .map_err(|e| StoreError::Corrupt(format!("{e} (position {position})")))?;
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

/// Every event of one complaint, in order (empty if there is no such complaint).
pub async fn of_complaint(
    db: &Database,
    reference: &Reference,
) -> Result<Vec<ComplaintEvent>, StoreError> {
    let rows: Vec<(i64, String, String, String)> = match db {
        Database::Sqlite(pool) => {
            sqlx::query_as(
                "SELECT sequence, event_type, event_version, payload FROM events
                  WHERE aggregate_type = 'Complaint' AND aggregate_id = $1 ORDER BY sequence",
            )
            .bind(reference.as_str())
            .fetch_all(pool)
            .await?
        }
        Database::Postgres(pool) => {
            sqlx::query_as(
                "SELECT sequence, event_type, event_version, payload::text FROM events
                  WHERE aggregate_type = 'Complaint' AND aggregate_id = $1 ORDER BY sequence",
            )
            .bind(reference.as_str())
            .fetch_all(pool)
            .await?
        }
    };
    rows.into_iter()
        .map(|(sequence, event_type, version, payload)| {
            read_event(
                reference.as_str(),
                sequence,
                &event_type,
                &version,
                &payload,
            )
        })
        .collect()
}

/// The events of several complaints, each in order.
pub async fn of_complaints(
    db: &Database,
    references: &[String],
) -> Result<HashMap<String, Vec<ComplaintEvent>>, StoreError> {
    let mut out: HashMap<String, Vec<ComplaintEvent>> = HashMap::new();
    for chunk in references.chunks(500) {
        let list = crate::db::placeholders(db.backend(), 1, chunk.len());
        let cast = match db {
            Database::Sqlite(_) => "",
            Database::Postgres(_) => "::text",
        };
        let sql = format!(
            "SELECT aggregate_id, sequence, event_type, event_version, payload{cast}
               FROM events
              WHERE aggregate_type = 'Complaint' AND aggregate_id IN ({list})
              ORDER BY aggregate_id, sequence"
        );
        let rows: Vec<(String, i64, String, String, String)> = crate::on_pool!(db, |pool| {
            let mut query = sqlx::query_as(&sql);
            for reference in chunk {
                query = query.bind(reference);
            }
            query.fetch_all(pool).await
        })?;
        for (reference, sequence, event_type, version, payload) in rows {
            let event = read_event(&reference, sequence, &event_type, &version, &payload)?;
            out.entry(reference).or_default().push(event);
        }
    }
    Ok(out)
}

/// The references of every complaint received from `customer`, read from the event
/// stream itself (not from a read model that might lag).
pub async fn complaints_from(
    db: &Database,
    customer: CustomerId,
) -> Result<Vec<Reference>, StoreError> {
    let id = customer.0.to_string();
    let references: Vec<String> = match db {
        Database::Sqlite(pool) => {
            sqlx::query_scalar(
                "SELECT aggregate_id FROM events
                  WHERE event_type = 'ComplaintReceived'
                    AND json_extract(payload, '$.change.ComplaintReceived.customer.id') = $1
                  ORDER BY aggregate_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        }
        Database::Postgres(pool) => {
            sqlx::query_scalar(
                "SELECT aggregate_id FROM events
                  WHERE event_type = 'ComplaintReceived'
                    AND payload -> 'change' -> 'ComplaintReceived' -> 'customer' ->> 'id' = $1
                  ORDER BY aggregate_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        }
    };
    references
        .iter()
        .map(|r| Reference::parse(r).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

/// The statement that inserts `n` events, and their payloads, for [`append_unchecked`] and
/// [`append_in`].
fn bulk_insert(
    backend: crate::db::Backend,
    rows: &[(String, i64, ComplaintEvent)],
) -> Result<(String, Vec<String>), StoreError> {
    let json_cast = match backend {
        crate::db::Backend::Sqlite => "",
        crate::db::Backend::Postgres => "::json",
    };
    let values: Vec<String> = (0..rows.len())
        .map(|i| {
            let b = i * 6;
            format!(
                "('Complaint', ${}, ${}, ${}, ${}, ${}{json_cast}, ${}{json_cast})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES {}",
        values.join(", ")
    );
    let payloads: Vec<String> = rows
        .iter()
        .map(|(_, _, e)| serde_json::to_string(e))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Corrupt(format!("an event does not serialise: {e}")))?;
    Ok((sql, payloads))
}

/// Appends events in bulk, as they are, without the aggregate's checks or version conflicts:
/// `(reference, sequence, event)` rows written in one statement. For generating large
/// streams (the benchmarks); commands go through `store::Complaints`, which decides them.
pub async fn append_unchecked(
    db: &Database,
    rows: &[(String, i64, ComplaintEvent)],
) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let written = append_in(&mut tx, rows).await?;
    tx.commit().await?;
    Ok(written)
}

/// Like [`append_unchecked`], in `tx`: events a caller decided with the domain's rules (an
/// import), written with what else the transaction holds.
pub(crate) async fn append_in(
    tx: &mut Tx,
    rows: &[(String, i64, ComplaintEvent)],
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let (sql, payloads) = bulk_insert(tx.backend(), rows)?;
    crate::on_db!(tx, |q| {
        let mut query = sqlx::query(&sql);
        for ((reference, sequence, event), payload) in rows.iter().zip(&payloads) {
            query = query
                .bind(reference)
                .bind(sequence)
                .bind(event.event_type())
                .bind(event.event_version())
                .bind(payload)
                .bind("{}");
        }
        query.execute(q).await.map(|r| r.rows_affected())
    })
    .map_err(Into::into)
}
