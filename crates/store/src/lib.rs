//! Storage for Redress: connection pools (SQLite or PostgreSQL, picked by the URL's scheme),
//! the cqrs-es event store, the personal-data vault, the catch-up projector runtime and the
//! read models with their queries. It owns every SQL statement; it renders nothing and sends
//! no mail.

#![forbid(unsafe_code)]

pub mod complaint_list;
pub mod complaints;
pub mod db;
pub mod event_log;
pub mod projection;
#[cfg(feature = "testing")]
pub mod testing;
pub mod vault;

use std::sync::Arc;
use std::time::Duration;

use redress_domain::Clock;

pub use complaint_list::{ComplaintList, ComplaintListProjector, ComplaintListRow};
pub use complaints::{CommandError, Complaints, ErasureReport};
pub use db::{Backend, ConnectOptions, Database, Tx};
pub use event_log::{Checkpoint, StoredEvent};
pub use projection::{EventSignal, Projections, Projector, RebuildReport};
pub use vault::{KeyVault, OpenError};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database answered with an error, or not at all.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The configuration is wrong.
    #[error("{0}")]
    Config(String),
    /// A projector could not catch up: events are held back by a transaction left open.
    #[error(
        "projection {0} is held back: a database transaction older than its next events has been open for over 30 s"
    )]
    HeldBack(String),
    /// Stored data is not what it should be.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database is unreachable (rather than refusing something).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
            )
        )
    }
}

/// Everything storage offers, wired together.
#[derive(Clone)]
pub struct Store {
    /// The pool.
    pub db: Database,
    /// The personal-data vault.
    pub vault: KeyVault,
    /// The command side.
    pub complaints: Complaints,
    /// The projectors.
    pub projections: Projections,
    /// Queries over the complaint list.
    pub complaint_list: ComplaintList,
    /// Wakes projectors.
    pub signal: EventSignal,
}

impl Store {
    /// Connects, applies migrations and wires everything up.
    pub async fn open(
        url: &str,
        options: &ConnectOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let db = Database::connect(url, options).await?;
        db.migrate().await?;
        Self::from_database(db, clock).await
    }

    /// Wires everything up over an already migrated database.
    pub async fn from_database(db: Database, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let vault = KeyVault::open(db.clone()).await?;
        let signal = EventSignal::default();
        let complaints = Complaints::new(db.clone(), vault.clone(), clock, signal.clone());
        let projections = Projections::new(db.clone(), default_projectors());
        Ok(Self {
            complaint_list: ComplaintList::new(db.clone()),
            db,
            vault,
            complaints,
            projections,
            signal,
        })
    }

    /// On PostgreSQL, forwards `NOTIFY redress_events` (sent by a trigger on every insert, from
    /// any instance) to the signal, reconnecting after failures. Returns at once on SQLite,
    /// whose only writer is this process.
    pub async fn forward_notifications(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let Database::Postgres(pool) = &self.db else {
            return;
        };
        while !*shutdown.borrow() {
            let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for event notifications; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        _ = shutdown.changed() => return,
                    }
                }
            };
            if let Err(error) = listener.listen("redress_events").await {
                tracing::warn!(%error, "LISTEN failed; retrying");
                continue;
            }
            loop {
                tokio::select! {
                    received = listener.recv() => match received {
                        Ok(_) => self.signal.notify(),
                        Err(error) => {
                            tracing::warn!(%error, "notification connection lost");
                            break;
                        }
                    },
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

/// Every projector Redress runs.
pub fn default_projectors() -> Vec<Arc<dyn Projector>> {
    vec![Arc::new(ComplaintListProjector)]
}
