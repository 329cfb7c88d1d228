//! Who leads which projector (PostgreSQL: a session-level advisory lock per projector on a
//! connection of its own), and the sole-worker lock other workers (the intake) take.

use super::*;

/// The projectors this instance leads (see the module's documentation). Shared by the
/// runner, the SLA scheduler (which runs beside the `sla` projector's leader) and `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct Leadership(Arc<Mutex<BTreeSet<&'static str>>>);

impl Leadership {
    /// Whether this instance leads the projector called `name`.
    pub fn leads(&self, name: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(name)
    }

    /// The projectors this instance leads, by name.
    pub fn led(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }

    pub(super) fn set(&self, names: BTreeSet<&'static str>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = names;
    }
}

/// The connection holding this instance's leadership locks (PostgreSQL).
pub(super) struct LeaderConnection {
    pub(super) connection: Option<sqlx::PgConnection>,
    pub(super) held: BTreeSet<&'static str>,
}

impl LeaderConnection {
    const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

    /// Tries to take the locks of the projectors not yet led and checks that the connection
    /// holding the others still answers. On any failure every lock is given up (the server
    /// releases them when the connection goes) and the next call starts again.
    pub(super) async fn refresh(&mut self, pool: &sqlx::PgPool, names: &[&'static str]) {
        if let Err(error) = self.try_refresh(pool, names).await {
            if !self.held.is_empty() {
                tracing::warn!(%error, "lost the projector leadership connection; leading nothing until it is back");
            } else {
                tracing::debug!(%error, "cannot reach the database to take projector leadership");
            }
            self.held.clear();
            if let Some(connection) = self.connection.take() {
                // Dropped, not closed politely: the server may be gone.
                drop(connection);
            }
        }
    }

    async fn try_refresh(
        &mut self,
        pool: &sqlx::PgPool,
        names: &[&'static str],
    ) -> Result<(), StoreError> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => {
                let options = pool
                    .connect_options()
                    .as_ref()
                    .clone()
                    .application_name("redress-leader");
                let connection = tokio::time::timeout(
                    Self::QUERY_TIMEOUT,
                    sqlx::PgConnection::connect_with(&options),
                )
                .await
                .map_err(|_| StoreError::Config("timed out connecting".into()))??;
                self.connection.insert(connection)
            }
        };
        for name in names {
            if self.held.contains(name) {
                continue;
            }
            let taken: bool = tokio::time::timeout(
                Self::QUERY_TIMEOUT,
                sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(leader_key(name))
                    .fetch_one(&mut *connection),
            )
            .await
            .map_err(|_| StoreError::Config("timed out taking a lock".into()))??;
            if taken {
                tracing::info!(projector = name, "leading projector");
                self.held.insert(name);
            }
        }
        if !self.held.is_empty() {
            tokio::time::timeout(Self::QUERY_TIMEOUT, connection.ping())
                .await
                .map_err(|_| {
                    StoreError::Config("the leadership connection stopped answering".into())
                })??;
        }
        Ok(())
    }

    /// Gives up every lock (at shutdown: the others take over at once).
    pub(super) async fn release(&mut self) {
        if let Some(connection) = self.connection.take() {
            let _ = tokio::time::timeout(Self::QUERY_TIMEOUT, connection.close()).await;
        }
        self.held.clear();
    }
}

/// A lock that lets one instance at a time run a worker (the email intake): on PostgreSQL a
/// session advisory lock on a connection of its own, released when this is dropped or the
/// connection dies; on SQLite (one process) always granted.
pub struct SoleWorker {
    pub(super) connection: Option<sqlx::PgConnection>,
}

impl std::fmt::Debug for SoleWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoleWorker").finish_non_exhaustive()
    }
}

impl SoleWorker {
    /// Takes the lock of the worker called `name`, if no other instance holds it.
    pub async fn try_take(db: &Database, name: &str) -> Result<Option<Self>, StoreError> {
        let Database::Postgres(pool) = db else {
            return Ok(Some(Self { connection: None }));
        };
        let options = pool
            .connect_options()
            .as_ref()
            .clone()
            .application_name("redress-worker");
        // Bounded, as the leader's connection is: an unreachable database must not hold a
        // worker (or its shutdown) for the operating system's connect timeout.
        let mut connection = tokio::time::timeout(
            Duration::from_secs(3),
            sqlx::PgConnection::connect_with(&options),
        )
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(leader_key(name))
            .fetch_one(&mut connection)
            .await?;
        Ok(taken.then_some(Self {
            connection: Some(connection),
        }))
    }

    /// Whether the lock still holds (its connection answers).
    pub async fn holds(&mut self) -> bool {
        match &mut self.connection {
            None => true,
            Some(connection) => {
                matches!(
                    tokio::time::timeout(Duration::from_secs(3), connection.ping()).await,
                    Ok(Ok(()))
                )
            }
        }
    }
}

/// The key of a projector's leadership lock: not the batch lock's (a session lock and a
/// transaction lock on one key would block the leader's own batches, which run on pooled
/// connections).
pub(super) fn leader_key(name: &str) -> i64 {
    fnv_key(&format!("redress.leader.{name}"))
}

pub(super) fn fnv_key(text: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}
