//! The catch-up projector runtime. Each named projector reads the event stream in global
//! order from its checkpoint and writes its rows and its new checkpoint in one transaction:
//! exactly once with respect to the events, and rebuildable from position zero at any time.
//!
//! Batches of one projector never overlap: on PostgreSQL a transaction-scoped advisory lock
//! (keyed by the projector's name) serialises them across every instance; on SQLite the
//! batch's first statement is a write, which takes the database's single write lock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::watch;

use crate::db::{Database, Tx};
use crate::event_log::{self, Checkpoint, StoredEvent};
use crate::vault::KeyRing;
use crate::{StoreError, on_db};

/// A read model kept up to date from the event stream.
#[async_trait]
pub trait Projector: Send + Sync {
    /// Its name, unique: the checkpoint's key and `redress rebuild NAME`.
    fn name(&self) -> &'static str;
    /// The tables it owns; a rebuild empties them.
    fn tables(&self) -> &'static [&'static str];
    /// Applies one event inside the batch's transaction. `keys` opens sealed personal data.
    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        event: &StoredEvent,
    ) -> Result<(), StoreError>;

    /// Applies a batch of events in order, inside the batch's transaction. The default applies
    /// them one by one; a projector that can do better (load its rows for the whole batch at
    /// once, write each aggregate row once) overrides it.
    async fn apply_batch(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        for event in events {
            self.apply(tx, keys, event).await?;
        }
        Ok(())
    }

    /// Runs in a rebuild's transaction before its tables are emptied (e.g. to set aside an
    /// index that is cheaper to build once at the end than row by row).
    async fn before_rebuild(&self, _tx: &mut Tx) -> Result<(), StoreError> {
        Ok(())
    }

    /// Runs in a rebuild's transaction after the last event, before it commits.
    async fn after_rebuild(&self, _tx: &mut Tx) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Wakes projectors when events are written (in this process, or, on PostgreSQL, by a
/// notification from any process). Only a hint: projectors poll as well.
#[derive(Debug, Clone)]
pub struct EventSignal(Arc<watch::Sender<u64>>);

impl Default for EventSignal {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

impl EventSignal {
    /// Says new events may be there.
    pub fn notify(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver to wait on.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// The registered projectors, and how to run them.
#[derive(Clone)]
pub struct Projections {
    db: Database,
    projectors: Vec<Arc<dyn Projector>>,
    batch_size: i64,
    projected: EventSignal,
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    /// Events replayed.
    pub events: u64,
}

impl Projections {
    /// The runtime over `projectors`.
    pub fn new(db: Database, projectors: Vec<Arc<dyn Projector>>) -> Self {
        Self {
            db,
            projectors,
            batch_size: 500,
            projected: EventSignal::default(),
        }
    }

    /// Notified after every batch that applied events (the mail sender waits on it).
    pub fn projected(&self) -> EventSignal {
        self.projected.clone()
    }

    /// Events per transaction.
    pub fn with_batch_size(mut self, batch_size: i64) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The registered names.
    pub fn names(&self) -> Vec<&'static str> {
        self.projectors.iter().map(|p| p.name()).collect()
    }

    fn find(&self, name: &str) -> Result<&Arc<dyn Projector>, StoreError> {
        self.projectors
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                StoreError::Config(format!(
                    "there is no projection called {name:?}; the projections are: {}",
                    self.names().join(", ")
                ))
            })
    }

    /// Applies one batch to one projector. Returns how many events it applied.
    pub async fn catch_up_batch(&self, projector: &dyn Projector) -> Result<usize, StoreError> {
        let mut tx = self.db.begin().await?;
        let from = lock_checkpoint(&mut tx, projector.name()).await?;
        let events = event_log::read_after(&mut tx, from, self.batch_size).await?;
        let Some(last) = events.last().map(|e| e.checkpoint) else {
            return Ok(0);
        };
        let mut keys = KeyRing::default();
        projector.apply_batch(&mut tx, &mut keys, &events).await?;
        save_checkpoint(&mut tx, projector.name(), last).await?;
        tx.commit().await?;
        self.projected.notify();
        Ok(events.len())
    }

    /// Runs every projector until each has applied every event committed before the call.
    /// Returns the events applied.
    ///
    /// On PostgreSQL a committed event can be held back for a moment by an older transaction
    /// still running anywhere in the cluster (see [`crate::event_log`]); this waits for it, up
    /// to [`Projections::IDLE_WAIT`], and then reports which projector is held back.
    pub async fn run_until_idle(&self) -> Result<u64, StoreError> {
        let mut total = 0;
        for projector in &self.projectors {
            let started = std::time::Instant::now();
            loop {
                let applied = self.catch_up_batch(projector.as_ref()).await?;
                total += applied as u64;
                if applied == self.batch_size as usize {
                    continue;
                }
                if !self.has_unprojected(projector.name()).await? {
                    break;
                }
                if started.elapsed() > Self::IDLE_WAIT {
                    return Err(StoreError::HeldBack(projector.name().to_string()));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        Ok(total)
    }

    /// How long [`Projections::run_until_idle`] waits for events held back by a transaction.
    pub const IDLE_WAIT: Duration = Duration::from_secs(30);

    /// Whether committed events lie beyond the projector's checkpoint.
    async fn has_unprojected(&self, name: &str) -> Result<bool, StoreError> {
        let at = self.checkpoint(name).await?;
        Ok(match &self.db {
            Database::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM events WHERE global_position > $1)",
                )
                .bind(at.position)
                .fetch_one(pool)
                .await?
            }
            Database::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM events
                      WHERE (transaction_id, global_position) > ($1::text::xid8, $2))",
                )
                .bind(at.transaction_id.to_string())
                .bind(at.position)
                .fetch_one(pool)
                .await?
            }
        })
    }

    /// Empties one projector's tables and replays every event into them, in one transaction:
    /// readers see the old rows until the new ones are complete. `progress` is called with the
    /// number of events replayed so far.
    pub async fn rebuild(
        &self,
        name: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<RebuildReport, StoreError> {
        let projector = self.find(name)?;
        let mut tx = self.db.begin().await?;
        lock_checkpoint(&mut tx, projector.name()).await?;
        projector.before_rebuild(&mut tx).await?;
        for table in projector.tables() {
            tx.execute_plain(&format!("DELETE FROM {table}")).await?;
        }
        let mut keys = KeyRing::default();
        let mut at = Checkpoint::default();
        let mut replayed = 0u64;
        loop {
            let events = event_log::read_after(&mut tx, at, Self::REBUILD_BATCH).await?;
            let Some(last) = events.last().map(|e| e.checkpoint) else {
                break;
            };
            projector.apply_batch(&mut tx, &mut keys, &events).await?;
            replayed += events.len() as u64;
            at = last;
            progress(replayed);
        }
        projector.after_rebuild(&mut tx).await?;
        save_checkpoint(&mut tx, projector.name(), at).await?;
        tx.commit().await?;
        self.db.optimize_tables(projector.tables()).await?;
        Ok(RebuildReport { events: replayed })
    }

    /// Events read at a time by a rebuild.
    pub const REBUILD_BATCH: i64 = 5_000;

    /// The total number of events in the store (for progress bars).
    pub async fn event_count(&self) -> Result<u64, StoreError> {
        let mut tx = self.db.begin().await?;
        let n = event_log::count(&mut tx).await?;
        tx.commit().await?;
        Ok(n as u64)
    }

    /// Where a projector stands.
    pub async fn checkpoint(&self, name: &str) -> Result<Checkpoint, StoreError> {
        let row: Option<(i64, i64)> = crate::on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT transaction_id, position FROM projector_checkpoints WHERE name = $1"
        )
        .bind(name)
        .fetch_optional(pool)
        .await)?;
        Ok(row
            .map(|(transaction_id, position)| Checkpoint {
                transaction_id,
                position,
            })
            .unwrap_or_default())
    }

    /// Keeps every projector caught up until `shutdown` turns true: woken by `signal`, and
    /// polling every `poll` in case a wake-up was missed. Errors are logged and retried.
    pub async fn run(
        self,
        signal: EventSignal,
        poll: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut wake = signal.subscribe();
        let mut failures = 0u32;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let pause = match self.run_until_idle().await {
                Ok(_) => {
                    failures = 0;
                    poll
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(%error, failures, "projectors failed; retrying");
                    poll.min(Duration::from_millis(200 * 2u64.pow(failures.min(6))))
                }
            };
            tokio::select! {
                _ = wake.changed() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Serialises batches of one projector and returns its checkpoint.
pub(crate) async fn lock_checkpoint(tx: &mut Tx, name: &str) -> Result<Checkpoint, StoreError> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(advisory_key(name))
            .execute(&mut **t)
            .await?;
    }
    // On SQLite this write, the batch's first statement, takes the write lock.
    on_db!(tx, |q| sqlx::query(
        "INSERT INTO projector_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
    )
    .bind(name)
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    let (transaction_id, position): (i64, i64) = on_db!(tx, |q| sqlx::query_as(
        "SELECT transaction_id, position FROM projector_checkpoints WHERE name = $1"
    )
    .bind(name)
    .fetch_one(q)
    .await)?;
    Ok(Checkpoint {
        transaction_id,
        position,
    })
}

async fn save_checkpoint(tx: &mut Tx, name: &str, at: Checkpoint) -> Result<(), StoreError> {
    on_db!(tx, |q| sqlx::query(
        "UPDATE projector_checkpoints SET transaction_id = $1, position = $2, updated_at = $3
          WHERE name = $4"
    )
    .bind(at.transaction_id)
    .bind(at.position)
    .bind(Utc::now())
    .bind(name)
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A stable 64-bit key for a projector's advisory lock (FNV-1a of its name).
fn advisory_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("redress.projector.{name}").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}
