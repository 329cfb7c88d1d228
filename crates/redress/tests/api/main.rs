//! End-to-end tests of the `redress` binary and its web server, on SQLite and PostgreSQL.

mod access;
mod admin;
mod api_actions;
mod api_contract;
mod auth;
mod bench;
mod browser;
mod categories;
mod causes;
mod cli;
mod complaint_page;
mod conversation;
mod conversation_browser;
mod crash;
mod demo;
mod files;
mod health;
mod hostile;
mod import;
mod intake;
mod json_api;
mod key_accounts;
mod layout_browser;
mod loyalty;
mod mail;
mod merge;
mod pages;
mod passkeys_browser;
mod password_reset;
mod passwords;
mod public;
mod recovery;
mod reports;
mod security;
mod sessions;
mod sla;
mod smtp;
mod sso;
mod status;
mod survey_rules;
mod surveys;
mod teams;
mod teams_browser;
mod two_factor;
mod webhooks;
mod workers;

use std::net::TcpListener;

use redress::{Running, Settings};
use redress_store::Store;
use redress_testing::TestDb;

/// A running server on its own database, on a free port; it is also its first visitor
/// (see [`Visitor`]).
pub(crate) struct TestApp {
    visitor: Visitor,
    pub(crate) db: TestDb,
    running: Option<Running>,
    /// The mail sender of the server's settings, driven by [`TestApp::settle`].
    mailer: Option<redress_notify::Mailer>,
    /// What the server runs (a restart runs the same).
    role: redress::ServeRole,
}

/// Someone using the server with their own cookies (a browser).
pub(crate) struct Visitor {
    pub(crate) address: String,
    pub(crate) store: Store,
    pub(crate) client: reqwest::Client,
}

impl std::ops::Deref for TestApp {
    type Target = Visitor;

    fn deref(&self) -> &Visitor {
        &self.visitor
    }
}

impl TestApp {
    /// Another visitor of the same server, with cookies of their own.
    pub(crate) fn another_visitor(&self) -> Visitor {
        Visitor {
            address: self.address.clone(),
            store: self.store.clone(),
            client: client(),
        }
    }

    /// The complaint's row in the complaint list (a read model: wait for the projections
    /// first where it matters).
    pub(crate) async fn list_row(
        &self,
        reference: &str,
    ) -> redress_store::complaint_list::ComplaintListRow {
        self.store
            .complaint_list
            .get(reference)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{reference} is not in the complaint list"))
    }

    /// Does the background work now, in this task, until nothing is left to do: every
    /// projector until idle, the follow-ups of low scores, then every email due (which may
    /// queue more). The servers of
    /// [`spawn_app`] run no workers (only the tests whose subject is the workers start them,
    /// with [`spawn_live_app_with`]), so a test drives them here instead of waiting for them.
    pub(crate) async fn settle(&self) {
        for _ in 0..100 {
            self.store.projections.run_until_idle().await.unwrap();
            // Follow-ups of low scores (their events then need projecting).
            if self.store.recovery.pass().await.unwrap().opened > 0 {
                continue;
            }
            let sent = match &self.mailer {
                Some(mailer) => mailer.send_due().await.unwrap(),
                None => 0,
            };
            if sent == 0 {
                return;
            }
        }
        panic!("the background work did not settle after 100 rounds");
    }

    /// Stops the server (gracefully) and starts a new one on the same database with
    /// `extra` settings: a restart.
    pub(crate) async fn restart(self, extra: &[(&str, &str)]) -> TestApp {
        let role = self.role;
        self.restart_as(extra, role).await
    }

    /// A restart into a server running `role` (e.g. without workers, to drive them).
    pub(crate) async fn restart_as(
        mut self,
        extra: &[(&str, &str)],
        role: redress::ServeRole,
    ) -> TestApp {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the server stops cleanly");
        }
        let TestApp { db, .. } = self;
        let settings = settings_with(&db, extra);
        let store = redress::open_store(&settings)
            .await
            .expect("open the store");
        started(db, store, &settings, role).await
    }

    /// A test app around a server a test started itself (with settings or a clock of its
    /// own).
    pub(crate) fn from_running(db: TestDb, store: Store, running: Running) -> TestApp {
        TestApp {
            visitor: Visitor {
                address: format!("http://{}", running.address),
                store,
                client: client(),
            },
            db,
            running: Some(running),
            mailer: None,
            role: redress::ServeRole::All,
        }
    }

    /// Stops the server (gracefully) and gives back its database, to start another on.
    pub(crate) async fn stop_keeping_database(mut self) -> TestDb {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the server stops cleanly");
        }
        let TestApp { db, .. } = self;
        db
    }

    pub(crate) async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the server stops cleanly");
        }
    }
}

pub(crate) fn settings_for(db: &TestDb) -> Settings {
    settings_with(db, &[])
}

/// The test settings, with `extra` environment variables on top.
pub(crate) fn settings_with(db: &TestDb, extra: &[(&str, &str)]) -> Settings {
    let mut env: Vec<(String, String)> = vec![
        ("REDRESS_DATABASE_URL".to_string(), db.url.clone()),
        ("REDRESS_PROJECTOR_POLL_MS".to_string(), "50".to_string()),
        // Sessions read the store's clock, which some tests move by months: they time out
        // only in the tests of timeouts.
        (
            "REDRESS_SESSION_IDLE_MINUTES".to_string(),
            "52560000".to_string(),
        ),
        (
            "REDRESS_SESSION_ABSOLUTE_HOURS".to_string(),
            "876000".to_string(),
        ),
        (
            "REDRESS_MAIL_DIR".to_string(),
            mail_dir_for(db).to_string_lossy().into_owned(),
        ),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load_from(None, env).expect("test settings")
}

/// Where a test's server writes emails (no SMTP server configured): one directory per
/// database, under the target directory.
pub(crate) fn mail_dir_for(db: &TestDb) -> std::path::PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    db.url.hash(&mut hasher);
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("mail")
        .join(format!("{:016x}", hasher.finish()))
}

pub(crate) async fn spawn_app(db: TestDb) -> TestApp {
    spawn_app_with(db, &[]).await
}

/// A server with `extra` settings (environment variables), without its background workers:
/// the test drives them with [`TestApp::settle`] (or runs the projectors itself).
pub(crate) async fn spawn_app_with(db: TestDb, extra: &[(&str, &str)]) -> TestApp {
    let settings = settings_with(&db, extra);
    let store = redress::open_store(&settings)
        .await
        .expect("open the store");
    started(db, store, &settings, redress::ServeRole::WebOnly).await
}

/// A server with `extra` settings and its background workers running, for the tests whose
/// subject is the workers themselves (a restart, the intake reading a mailbox, the sender
/// retrying).
pub(crate) async fn spawn_live_app_with(db: TestDb, extra: &[(&str, &str)]) -> TestApp {
    let settings = settings_with(&db, extra);
    let store = redress::open_store(&settings)
        .await
        .expect("open the store");
    started(db, store, &settings, redress::ServeRole::All).await
}

async fn started(
    db: TestDb,
    store: Store,
    settings: &Settings,
    role: redress::ServeRole,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    started_on(listener, db, store, settings, role).await
}

/// A server (without its background workers) on a port the test bound first, so that its
/// settings can name its own address (`REDRESS_PUBLIC_URL`).
pub(crate) async fn spawn_app_on(
    listener: TcpListener,
    db: TestDb,
    extra: &[(&str, &str)],
) -> TestApp {
    let settings = settings_with(&db, extra);
    let store = redress::open_store(&settings)
        .await
        .expect("open the store");
    started_on(listener, db, store, &settings, redress::ServeRole::WebOnly).await
}

async fn started_on(
    listener: TcpListener,
    db: TestDb,
    store: Store,
    settings: &Settings,
    role: redress::ServeRole,
) -> TestApp {
    let mailer = redress::mailer(&store, settings).expect("the mail sender");
    let running = redress::start_as(listener, store.clone(), settings, role)
        .await
        .expect("start the server");
    TestApp {
        visitor: Visitor {
            address: format!("http://{}", running.address),
            store,
            client: client(),
        },
        db,
        running: Some(running),
        mailer: Some(mailer),
        role,
    }
}

/// A server whose store reads `clock` (a test moves time by hand).
pub(crate) async fn spawn_app_on_clock(db: TestDb, clock: redress_domain::ManualClock) -> TestApp {
    spawn_app_on_clock_with(db, clock, &[]).await
}

/// A server whose store reads `clock`, with `extra` settings (environment variables),
/// without its background workers.
pub(crate) async fn spawn_app_on_clock_with(
    db: TestDb,
    clock: redress_domain::ManualClock,
    extra: &[(&str, &str)],
) -> TestApp {
    let settings = settings_with(&db, extra);
    let store = redress::open_store_with_clock(&settings, std::sync::Arc::new(clock))
        .await
        .expect("open the store");
    started(db, store, &settings, redress::ServeRole::WebOnly).await
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A password every test account gets.
pub(crate) const PASSWORD: &str = "a long test password";

/// The value of the hidden `csrf` field in a page.
pub(crate) fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

impl Visitor {
    /// Creates an account with `role` and signs this app's client in as it.
    pub(crate) async fn sign_in_as(
        &self,
        role: redress_store::Role,
    ) -> redress_store::StaffAccount {
        let email = format!(
            "{}-{}@staff.example",
            role.code(),
            uuid::Uuid::new_v4().simple()
        );
        let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
        let account = self
            .store
            .accounts
            .create(&email, &format!("Test {}", role.code()), role, &hash)
            .await
            .unwrap();
        let response = self.sign_in(&email, PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-in failed");
        account
    }

    /// Posts the sign-in form (with a fresh CSRF token from the sign-in page).
    pub(crate) async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let page = self.get("/sign-in").await.text().await.unwrap();
        self.post_form(
            "/sign-in",
            &[
                ("email", email),
                ("password", password),
                ("csrf", &csrf_in(&page)),
                ("next", "/complaints"),
            ],
        )
        .await
    }

    /// Posts a form.
    pub(crate) async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .form(form)
            .send()
            .await
            .expect("the server answers")
    }

    /// Posts a form with files (`multipart/form-data`), as a browser sends one.
    pub(crate) async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> reqwest::Response {
        let (content_type, body) = redress_bench::load::multipart_body(fields, files);
        self.client
            .post(format!("{}{path}", self.address))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the server answers")
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the server answers")
    }
}
