//! The two backends behind one type. The URL's scheme picks the backend; where the dialects
//! differ, both versions of a statement sit side by side.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::{StoreError, on_pool};

/// Which database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded, the default.
    Sqlite,
    /// For real deployments.
    Postgres,
}

impl Backend {
    /// The backend a database URL asks for.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "the database URL must start with sqlite:// or postgres://, not {:?}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

/// A connection pool to either backend.
#[derive(Debug, Clone)]
pub enum Database {
    /// SQLite, in WAL mode.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long to wait for a connection before giving up (the request then gets a 503).
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

impl Database {
    /// Connects to the database at `url`, creating an SQLite file (and its folder) if missing.
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Self, StoreError> {
        match Backend::of_url(url)? {
            Backend::Sqlite => {
                let connect = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("bad SQLite URL {url:?}: {e}")))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    // Page cache per connection; every pooled connection keeps its own, so
                    // it is small here (4 connections × 4 MiB), and a rebuild, which touches
                    // every page of the read models in one transaction, widens its own
                    // connection's while it runs (Tx::bulk_cache).
                    .pragma("cache_size", NARROW_CACHE)
                    .foreign_keys(true);
                let path = connect.get_filename();
                if let Some(parent) = path.parent()
                    && !parent.as_os_str().is_empty()
                    && path.to_str() != Some(":memory:")
                {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Config(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                // At most SQLITE_MAX_CONNECTIONS: SQLite works in this process, on one thread
                // per connection, each with its own page cache and (glibc) allocator arena.
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.clamp(1, SQLITE_MAX_CONNECTIONS))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                Ok(Database::Sqlite(pool))
            }
            Backend::Postgres => {
                let connect = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                Ok(Database::Postgres(pool))
            }
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(pool) => {
                sqlx::migrate!("../../migrations/sqlite").run(pool).await?;
                self.optimize().await?;
            }
            Database::Postgres(pool) => {
                sqlx::migrate!("../../migrations/postgres")
                    .run(pool)
                    .await?
            }
        }
        Ok(())
    }

    /// Refreshes planner statistics after migrations and rebuilds, so each queue filter gets
    /// the right index. On PostgreSQL it also vacuums `tables` (a rebuild leaves a dead row
    /// version per event applied, and index-only scans need the visibility map).
    pub async fn optimize_tables(&self, tables: &[&str]) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(pool) => {
                sqlx::query("PRAGMA optimize=0x10002").execute(pool).await?;
            }
            Database::Postgres(pool) => {
                for table in tables {
                    sqlx::query(&format!("VACUUM (ANALYZE) {table}"))
                        .execute(pool)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// [`Database::optimize_tables`] with no table to vacuum.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        self.optimize_tables(&[]).await
    }

    /// Answers whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(pool)
            .await)?;
        Ok(())
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Database::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Database::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            Database::Sqlite(pool) => pool.close().await,
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

/// Most connections in an SQLite pool. Measured with `bench pages` over 1,000,000 complaints,
/// 8 clients, 2 cores: 8 connections peaked at 160–198 MB resident, 4 at 109 MB, and the
/// pages were no slower (one writer at a time; the reads are CPU-bound in this process).
pub const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// SQLite's page cache of a pooled connection (KiB, negative as `PRAGMA cache_size` wants).
const NARROW_CACHE: &str = "-4096";
/// SQLite's page cache of a connection running a rebuild or a check.
const WIDE_CACHE: &str = "-65536";

/// A transaction on either backend.
#[derive(Debug)]
pub enum Tx {
    /// SQLite.
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    /// Which backend.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// On SQLite, gives this transaction's connection a wide page cache (`true`, for a rebuild
    /// or check touching every page of a projection) or the pool's narrow one again (`false`,
    /// before the connection goes back to the pool). Nothing on PostgreSQL, whose cache is
    /// the server's.
    pub async fn bulk_cache(&mut self, wide: bool) -> Result<(), StoreError> {
        if let Tx::Sqlite(tx) = self {
            let size = if wide { WIDE_CACHE } else { NARROW_CACHE };
            sqlx::query(&format!("PRAGMA cache_size = {size}"))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Runs a statement without parameters.
    pub async fn execute_plain(&mut self, sql: &str) -> Result<u64, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query(sql).execute(&mut **tx).await?.rows_affected(),
            Tx::Postgres(tx) => sqlx::query(sql).execute(&mut **tx).await?.rows_affected(),
        })
    }
}

/// Runs one statement, written once with `$1`-style parameters numbered in order of first
/// use (SQLite and PostgreSQL both read them), on whichever backend `$target` holds:
/// `on_db!(tx, |q| sqlx::query(SQL).bind(x).execute(q))`. The closure body is compiled once
/// per backend, so the bound values must encode on both.
#[macro_export]
macro_rules! on_db {
    ($target:expr, |$q:ident| $body:expr) => {
        match $target {
            $crate::db::Tx::Sqlite(tx) => {
                let $q = &mut **tx;
                $body
            }
            $crate::db::Tx::Postgres(tx) => {
                let $q = &mut **tx;
                $body
            }
        }
    };
}

/// Like [`on_db!`], on a pool.
#[macro_export]
macro_rules! on_pool {
    ($target:expr, |$q:ident| $body:expr) => {
        match $target {
            $crate::db::Database::Sqlite(pool) => {
                let $q = pool;
                $body
            }
            $crate::db::Database::Postgres(pool) => {
                let $q = pool;
                $body
            }
        }
    };
}

/// `($1, $2), ($3, $4), …`: `rows` tuples of `columns` parameters (see [`placeholders`]).
pub(crate) fn values(backend: Backend, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(backend, r * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$first, $first+1, ...` for `count` parameters on PostgreSQL; `?, ?, ...` on SQLite.
///
/// SQLite treats `$1` as a parameter *named* "$1" and finds a parameter's name by walking
/// the statement's list of names, once per bound value (sqlx asks for each), so binding a
/// statement of n numbered parameters takes time in n²: at 2,000 parameters that was 41% of
/// a rebuild's time. Anonymous `?` parameters are bound by position at once. A statement
/// built with these must therefore take all its parameters from them, in order.
pub(crate) fn placeholders(backend: Backend, first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${i}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_sqlite_pool_keeps_to_its_cap_whatever_is_asked() {
        for (asked, expected) in [(16, SQLITE_MAX_CONNECTIONS), (2, 2), (0, 1)] {
            let options = ConnectOptions {
                max_connections: asked,
                ..ConnectOptions::default()
            };
            let Database::Sqlite(pool) = Database::connect("sqlite::memory:", &options)
                .await
                .unwrap()
            else {
                panic!("an sqlite: URL opened another backend");
            };
            assert_eq!(
                pool.options().get_max_connections(),
                expected,
                "asked {asked}"
            );
        }
    }
}
