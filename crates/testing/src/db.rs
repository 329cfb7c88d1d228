//! A fresh database per test on either backend.
//!
//! PostgreSQL tests use `REDRESS_TEST_DATABASE_URL` (an admin URL; `scripts/test` always sets
//! it, starting a private cluster if needed). Without it, the PostgreSQL half of
//! [`on_both_backends!`] says it is skipped and passes, so a plain `cargo test` runs the
//! SQLite half with no server; tests that ask for PostgreSQL alone still need one
//! (`postgres://postgres@127.0.0.1:5432/postgres` by default).
//! Each test creates `test_<uuid>` and drops it afterwards, so tests run in parallel.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use redress_domain::Clock;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use uuid::Uuid;

use redress_store::{Backend, ConnectOptions, Database, Store, StoreError};

/// The admin URL PostgreSQL tests create their databases through.
pub fn postgres_admin_url() -> String {
    std::env::var("REDRESS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether the PostgreSQL half of the tests is asked for (`REDRESS_TEST_DATABASE_URL` set).
pub fn postgres_configured() -> bool {
    std::env::var_os("REDRESS_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty())
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Its backend.
    pub backend: Backend,
    postgres_name: Option<String>,
    sqlite_dir: Option<PathBuf>,
}

impl TestDb {
    /// A fresh database of the given backend.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite(),
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// A fresh SQLite file in its own temporary folder.
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("redress-test-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        Self {
            url: format!("sqlite://{}", dir.join("redress.db").display()),
            backend: Backend::Sqlite,
            postgres_name: None,
            sqlite_dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL database.
    pub async fn postgres() -> Self {
        let admin = postgres_admin_url();
        let name = format!("test_{}", Uuid::new_v4().simple());
        let mut connection = admin_connection(&admin).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        connection.close().await.ok();
        let options = PgConnectOptions::from_str(&admin)
            .expect("REDRESS_TEST_DATABASE_URL is a PostgreSQL URL")
            .database(&name);
        let url = format!(
            "postgres://{}{}@{}:{}/{}",
            options.get_username(),
            password_of(&admin)
                .map(|p| format!(":{p}"))
                .unwrap_or_default(),
            options.get_host(),
            options.get_port(),
            name
        );
        Self {
            url,
            backend: Backend::Postgres,
            postgres_name: Some(name),
            sqlite_dir: None,
        }
    }

    /// Connects and migrates.
    pub async fn database(&self) -> Database {
        let db = Database::connect(&self.url, &ConnectOptions::default())
            .await
            .expect("connect to the test database");
        db.migrate().await.expect("migrate the test database");
        db
    }

    /// A store over this database, deciding with `clock`.
    pub async fn store(&self, clock: Arc<dyn Clock>) -> Store {
        Store::from_database(
            self.database().await,
            clock,
            Arc::new(redress_notify::Policy),
        )
        .await
        .expect("open the store")
    }

    /// Drops a PostgreSQL test database now, even with connections open (an outage).
    pub async fn drop_now(&mut self) -> Result<(), StoreError> {
        if let Some(name) = self.postgres_name.take() {
            let mut connection = admin_connection(&postgres_admin_url()).await;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut connection)
                .await?;
        }
        Ok(())
    }
}

fn password_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let credentials = rest.split_once('@')?.0;
    credentials.split_once(':').map(|(_, p)| p.to_string())
}

async fn admin_connection(admin: &str) -> PgConnection {
    PgConnection::connect(admin).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {admin}: {e}\n\
             Run the tests with scripts/test, which finds or starts a PostgreSQL, or set \
             REDRESS_TEST_DATABASE_URL to a server where this user may CREATE DATABASE."
        )
    })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.postgres_name.take() {
            // Drop runs outside async; a thread of its own drops the database.
            let admin = postgres_admin_url();
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async move {
                    let mut connection = PgConnection::connect(&admin).await.ok()?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut connection)
                        .await
                        .ok()
                })
            })
            .join();
            if !matches!(dropped, Ok(Some(_))) {
                eprintln!("warning: a test database could not be dropped");
            }
        }
    }
}

/// Runs an async test body once per backend, as two tests named `sqlite` and `postgres`
/// in a module named after the test:
/// `on_both_backends!(a_thing_happens);` with `async fn a_thing_happens(db: TestDb)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::TestDb::sqlite()).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if !$crate::postgres_configured() {
                        eprintln!(
                            "skipped on PostgreSQL: REDRESS_TEST_DATABASE_URL is not set \
                             (scripts/test sets it)"
                        );
                        return;
                    }
                    super::$name($crate::TestDb::postgres().await).await
                }
            }
        )+
    };
}
