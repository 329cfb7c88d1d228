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
                    // 16 MiB of page cache per connection (the default is 2 MiB): a rebuild
                    // touches every page of the read models in one transaction.
                    .pragma("cache_size", "-16384")
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
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.clamp(1, 8))
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

    /// Which backend.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
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
