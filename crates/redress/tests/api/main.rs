//! End-to-end tests of the `redress` binary and its web server, on SQLite and PostgreSQL.

mod cli;
mod demo;
mod health;
mod pages;
mod workers;

use std::net::TcpListener;

use redress::{Running, Settings};
use redress_store::Store;
use redress_store::testing::TestDb;

/// A running server on its own database, on a free port.
pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) store: Store,
    pub(crate) client: reqwest::Client,
    pub(crate) db: TestDb,
    running: Option<Running>,
}

pub(crate) fn settings_for(db: &TestDb) -> Settings {
    Settings::load_from(
        None,
        [
            ("REDRESS_DATABASE_URL".to_string(), db.url.clone()),
            ("REDRESS_PROJECTOR_POLL_MS".to_string(), "50".to_string()),
        ],
    )
    .expect("test settings")
}

pub(crate) async fn spawn_app(db: TestDb) -> TestApp {
    let settings = settings_for(&db);
    let store = redress::open_store(&settings)
        .await
        .expect("open the store");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let running = redress::start(listener, store.clone(), &settings).expect("start the server");
    TestApp {
        address: format!("http://{}", running.address),
        store,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db,
        running: Some(running),
    }
}

impl TestApp {
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the server answers")
    }

    pub(crate) async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the server stops cleanly");
        }
    }
}
