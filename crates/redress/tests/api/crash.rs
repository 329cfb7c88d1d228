//! Crash safety, proven on real processes of the `redress` binary over PostgreSQL: killed with
//! SIGKILL in the middle of a load of commands, killed while leading the projectors with a
//! second instance beside it, cut off by a PostgreSQL restart, and stopped with SIGTERM.
//! After each: every command that got a success answer is in the event store, every
//! projection equals a rebuild (`redress check`), and no email is lost or sent twice beyond
//! the one a killed sender may have had in flight.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redress_bench::load::{Outcome, Sent, Worker, event_of};
use redress_store::{Role, Store};
use redress_testing::TestDb;
use tokio::task::JoinSet;

use crate::smtp::{SmtpServer, free_port};

const PASSWORD: &str = "crash-test-password";

/// One `redress serve` process.
struct Instance {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Instance {
    /// Starts `redress serve ARGS` on a free port with the database, the SMTP server and
    /// `extra` settings, and waits until `/healthz` answers 200.
    async fn start(db_url: &str, smtp: &SmtpServer, args: &[&str], name: &str) -> Self {
        Self::start_with(db_url, smtp, args, &[], name).await
    }

    /// [`Instance::start`] with more settings (environment variables).
    async fn start_with(
        db_url: &str,
        smtp: &SmtpServer,
        args: &[&str],
        env: &[(&str, &str)],
        name: &str,
    ) -> Self {
        let instance = Self::spawn(db_url, smtp, args, env, name);
        instance.wait_healthy(Duration::from_secs(60)).await;
        instance
    }

    fn spawn(
        db_url: &str,
        smtp: &SmtpServer,
        args: &[&str],
        env: &[(&str, &str)],
        name: &str,
    ) -> Self {
        let port = free_port();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("crash");
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join(format!("{name}-{}.log", uuid::Uuid::new_v4().simple()));
        let mut command = Command::new(env!("CARGO_BIN_EXE_redress"));
        for (key, _) in std::env::vars() {
            if key.starts_with("REDRESS_") {
                command.env_remove(key);
            }
        }
        command
            .arg("serve")
            .args(args)
            .env("REDRESS_DATABASE_URL", db_url)
            .env("REDRESS_BIND", format!("127.0.0.1:{port}"))
            .env("REDRESS_SMTP_URL", smtp.url())
            .env("REDRESS_MAIL_LEASE_SECONDS", "3")
            .env("REDRESS_MAIL_RETRY_SECONDS", "1")
            .env("REDRESS_PROJECTOR_POLL_MS", "200")
            .env("REDRESS_DATABASE_MAX_CONNECTIONS", "12")
            .env("REDRESS_LOG", "info,sqlx=warn")
            .env("REDRESS_LOG_FORMAT", "json")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        let child = command.spawn().expect("the redress binary starts");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn health(&self) -> Option<u16> {
        reqwest::Client::new()
            .get(format!("{}/healthz", self.base))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16())
    }

    async fn wait_healthy(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self.health().await != Some(200) {
            assert!(
                Instant::now() < deadline,
                "{} did not become healthy; its log:\n{}",
                self.base,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `/metrics` as (name with labels → value).
    async fn metrics(&self) -> HashMap<String, f64> {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.to_string(), value.parse().ok()?))
            })
            .collect()
    }

    /// How many projectors this instance says it leads.
    async fn leads(&self) -> usize {
        self.metrics()
            .await
            .iter()
            .filter(|(k, v)| k.starts_with("redress_projector_leader{") && **v == 1.0)
            .count()
    }

    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Waits for the process to exit by itself, up to `within`.
    async fn exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A member of staff to sign in as; returns (email, account id).
async fn staff(store: &Store) -> (String, String) {
    let email = format!("agent-{}@staff.example", uuid::Uuid::new_v4().simple());
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let account = store
        .accounts
        .create(&email, "Load Agent", Role::Agent, &hash)
        .await
        .unwrap();
    (email, account.id.to_string())
}

/// What the load got back, shared by its workers.
type Log = Arc<Mutex<Vec<Sent>>>;

/// `workers` members of staff working complaints through the six steps against `bases`
/// (worker i at `bases[i % len]`) until `stop` turns true; a command without a success answer
/// ends its complaint and the worker starts the next after a short pause.
fn load(
    workers: &[Worker],
    bases: &[String],
    log: &Log,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for (i, worker) in workers.iter().enumerate() {
        let worker = worker.at(&bases[i % bases.len()]);
        let log = log.clone();
        let stop = stop.clone();
        set.spawn(async move {
            let mut n = (i as u64) << 32;
            while !*stop.borrow() {
                n += 1;
                let sent = worker.lifecycle(n).await;
                let failed = sent.iter().any(|s| s.outcome != Outcome::Done);
                log.lock().unwrap().extend(sent);
                if failed {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
    }
    set
}

async fn workers(n: usize, base: &str, store: &Store) -> Vec<Worker> {
    let (email, id) = staff(store).await;
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(Worker::sign_in(base, &email, PASSWORD, &id).await.unwrap());
    }
    all
}

/// Every command that got a success answer wrote its event.
async fn every_success_is_stored(store: &Store, log: &[Sent]) -> usize {
    let redress_store::Database::Postgres(pool) = &store.db else {
        unreachable!()
    };
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT aggregate_id, event_type FROM events")
            .fetch_all(pool)
            .await
            .unwrap();
    let stored: std::collections::HashSet<(String, String)> = stored.into_iter().collect();
    let mut done = 0;
    for sent in log.iter().filter(|s| s.outcome == Outcome::Done) {
        let reference = sent
            .reference
            .clone()
            .expect("a success names its complaint");
        let event = event_of(sent.action).unwrap().to_string();
        assert!(
            stored.contains(&(reference.clone(), event.clone())),
            "{} on {reference} was answered with success but no {event} is stored",
            sent.action
        );
        done += 1;
    }
    done
}

/// Waits until every projector has applied every event.
async fn caught_up(store: &Store, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let (_, positions) = store.projections.positions().await.unwrap();
        if positions.iter().all(|p| p.behind == 0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "projections did not catch up: {positions:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `redress check` on the database: every projection equals a rebuild.
fn check_passes(db_url: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("check")
        .env("REDRESS_DATABASE_URL", db_url)
        .env("REDRESS_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "redress check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for name in ["complaint_list", "outbox", "sla", "reports"] {
        assert!(
            stdout.contains(&format!("{name}: matches a rebuild")),
            "{stdout}"
        );
    }
}

/// Waits until the outbox has nothing left to send, then checks that every email it sent
/// arrived and that at most `in_flight` arrived twice.
async fn mail_delivered_once(store: &Store, smtp: &SmtpServer, in_flight: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let counts = store.outbox.counts().await.unwrap();
        assert_eq!(counts.dead, 0);
        if counts.pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox did not empty: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let redress_store::Database::Postgres(pool) = &store.db else {
        unreachable!()
    };
    let sent: Vec<String> = sqlx::query_scalar("SELECT id FROM outbox WHERE state = 'sent'")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(!sent.is_empty(), "no email was sent");
    let mut arrived: HashMap<String, usize> = HashMap::new();
    for message in smtp.received() {
        *arrived.entry(message.message_id()).or_default() += 1;
    }
    for id in &sent {
        let message_id = redress_notify::policy::message_id(id, "redress.example");
        assert!(
            arrived.contains_key(&message_id),
            "{message_id} is marked sent but never arrived"
        );
    }
    let twice: Vec<_> = arrived.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.len() <= in_flight && twice.iter().all(|(_, n)| **n == 2),
        "sent more than once: {twice:?}"
    );
}

/// Runs the load until `successes` commands have succeeded (or 60 s pass).
async fn until_successes(log: &Log, successes: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while log
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.outcome == Outcome::Done)
        .count()
        < successes
    {
        assert!(Instant::now() < deadline, "the load made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_in_the_middle_of_a_load_loses_no_answered_command_and_no_email() {
    let db = TestDb::postgres().await;
    let smtp = SmtpServer::start();
    let store = db.store(Arc::new(redress_domain::SystemClock)).await;
    let mut first = Instance::start(&db.url, &smtp, &[], "kill9-first").await;
    let workers = workers(8, &first.base, &store).await;
    let log: Log = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut running = load(&workers, std::slice::from_ref(&first.base), &log, &stopped);
    until_successes(&log, 150).await;
    first.kill_9();
    let _ = stop.send(true);
    while running.join_next().await.is_some() {}
    let log = log.lock().unwrap().clone();
    let unanswered = log
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::NoAnswer(_)))
        .count();
    assert!(unanswered > 0, "the kill cut no request short");

    // Everything answered with success is stored, before anything restarts.
    let done = every_success_is_stored(&store, &log).await;
    assert!(done >= 150);

    // A new instance catches every projection up and sends what is owed.
    let second = Instance::start(&db.url, &smtp, &[], "kill9-second").await;
    caught_up(&store, Duration::from_secs(60)).await;
    mail_delivered_once(&store, &smtp, 1).await;
    check_passes(&db.url);
    // The survivor works normally.
    let after = workers[0].at(&second.base).lifecycle(u64::MAX).await;
    assert!(
        after.iter().all(|s| s.outcome == Outcome::Done),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_the_projector_leader_is_killed_the_other_instance_takes_over_and_stays_exact() {
    let db = TestDb::postgres().await;
    let smtp = SmtpServer::start();
    let store = db.store(Arc::new(redress_domain::SystemClock)).await;
    let mut leader = Instance::start(&db.url, &smtp, &[], "leader").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    // Six projectors: the list, the outbox, SLA, reports, notifications and webhooks.
    while leader.leads().await < 7 {
        assert!(
            Instant::now() < deadline,
            "the first instance leads nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let follower = Instance::start(&db.url, &smtp, &[], "follower").await;
    // Two seconds: two leadership attempts by the follower, every one refused.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(follower.leads().await, 0, "two instances lead at once");
    assert_eq!(leader.leads().await, 7);

    let workers = workers(8, &leader.base, &store).await;
    let log: Log = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let bases = [leader.base.clone(), follower.base.clone()];
    let mut running = load(&workers, &bases, &log, &stopped);
    until_successes(&log, 100).await;
    leader.kill_9();
    let killed_at = Instant::now();
    let deadline = killed_at + Duration::from_secs(15);
    while follower.leads().await < 7 {
        assert!(
            Instant::now() < deadline,
            "the follower did not take over; its log:\n{}",
            follower.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let takeover = killed_at.elapsed();
    assert!(takeover < Duration::from_secs(5), "took {takeover:?}");
    // The load goes on against the survivor (workers of the dead one stop at their first
    // unanswered command and carry on there).
    let before = log.lock().unwrap().len();
    let moved: Vec<Worker> = workers.iter().map(|w| w.at(&follower.base)).collect();
    let mut more = load(&moved, std::slice::from_ref(&follower.base), &log, &stopped);
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.lock().unwrap()[before..]
        .iter()
        .filter(|s| s.outcome == Outcome::Done)
        .count()
        < 100
    {
        assert!(Instant::now() < deadline, "no progress after the takeover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    while running.join_next().await.is_some() {}
    while more.join_next().await.is_some() {}
    let log = log.lock().unwrap().clone();
    every_success_is_stored(&store, &log).await;
    caught_up(&store, Duration::from_secs(60)).await;
    check_passes(&db.url);
    mail_delivered_once(&store, &smtp, 1).await;
    // The read model agrees with the commands: one queue row per complaint received.
    let received = log
        .iter()
        .filter(|s| s.action == "receive" && s.outcome == Outcome::Done)
        .count() as i64;
    let redress_store::Database::Postgres(pool) = &store.db else {
        unreachable!()
    };
    let listed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM complaint_list")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(
        listed >= received,
        "{listed} listed, {received} received with success"
    );
    println!("takeover after a kill -9: {} ms", takeover.as_millis());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_requests_in_flight_stops_the_workers_and_exits_0() {
    let db = TestDb::postgres().await;
    let smtp = SmtpServer::start();
    let store = db.store(Arc::new(redress_domain::SystemClock)).await;
    let mut server = Instance::start(&db.url, &smtp, &[], "sigterm").await;
    let workers = workers(8, &server.base, &store).await;
    let log: Log = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut running = load(&workers, std::slice::from_ref(&server.base), &log, &stopped);
    until_successes(&log, 100).await;
    let terminated = Command::new("kill")
        .args(["-TERM", &server.pid()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let status = server.exit(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log());
    let _ = stop.send(true);
    while running.join_next().await.is_some() {}
    let log = log.lock().unwrap().clone();
    // Requests already being handled were answered: every command the server wrote got its
    // success answer, and nothing else was written (a request cut off after its command was
    // written would show as an event without a success). After the stop, connections are
    // refused: no answer, never an error page.
    for sent in &log {
        if let Outcome::Refused(status) = &sent.outcome {
            panic!("{} answered {status}", sent.action);
        }
    }
    let done = every_success_is_stored(&store, &log).await;
    let redress_store::Database::Postgres(pool) = &store.db else {
        unreachable!()
    };
    // A receipt also records the complaint's team, in the same command.
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE event_type <> 'TeamChanged'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(
        stored as usize, done,
        "events written without a success answer"
    );
    assert!(
        log.iter()
            .any(|s| matches!(s.outcome, Outcome::NoAnswer(_))),
        "the load did not run into the stop"
    );
    let text = server.log();
    assert!(
        text.contains("projectors stopped at their checkpoints"),
        "{text}"
    );
    assert!(text.contains("stopped: requests finished"), "{text}");
    // Nothing is half-done: a new instance catches up and everything checks.
    let _next = Instance::start(&db.url, &smtp, &[], "sigterm-next").await;
    caught_up(&store, Duration::from_secs(60)).await;
    check_passes(&db.url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn web_only_and_workers_only_instances_split_the_work() {
    let db = TestDb::postgres().await;
    let smtp = SmtpServer::start();
    let store = db.store(Arc::new(redress_domain::SystemClock)).await;
    let web = Instance::start(&db.url, &smtp, &["--web-only"], "web-only").await;
    let workers_only = Instance::start(&db.url, &smtp, &["--workers-only"], "workers-only").await;
    // The workers' port answers only /healthz and /metrics.
    let page = reqwest::get(format!("{}/sign-in", workers_only.base))
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let deadline = Instant::now() + Duration::from_secs(30);
    while workers_only.leads().await < 7 {
        assert!(Instant::now() < deadline, "the workers lead nothing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(web.leads().await, 0);
    let worker = workers(1, &web.base, &store).await.remove(0);
    let sent = worker.lifecycle(1).await;
    assert!(sent.iter().all(|s| s.outcome == Outcome::Done), "{sent:?}");
    caught_up(&store, Duration::from_secs(30)).await;
    mail_delivered_once(&store, &smtp, 0).await;
    let metrics = web.metrics().await;
    assert!(
        metrics
            .get(r#"redress_commands_total{outcome="accepted"}"#)
            .is_some_and(|n| *n >= 10.0),
        "{metrics:?}"
    );
}

/// A PostgreSQL cluster of the test's own, so it can be stopped and started.
struct PrivateCluster {
    bindir: PathBuf,
    data: PathBuf,
    port: u16,
}

impl PrivateCluster {
    fn bindir() -> PathBuf {
        if let Ok(dir) = std::env::var("REDRESS_PG_BINDIR") {
            return dir.into();
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|bin| bin.join("pg_ctl").exists() && bin.join("initdb").exists())
            .collect();
        found.sort();
        found.pop().unwrap_or_else(|| {
            panic!(
                "this test starts and restarts a PostgreSQL server of its own and needs initdb \
                 and pg_ctl: install PostgreSQL (Debian: apt-get install -y postgresql) or set \
                 REDRESS_PG_BINDIR to the directory holding them"
            )
        })
    }

    /// Runs a PostgreSQL program (as the postgres user when we are root: initdb and the
    /// server refuse to run as root).
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let path = self.bindir.join(program);
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let mut command = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        command
            .args(args)
            .output()
            .expect("a PostgreSQL program runs")
    }

    fn start() -> Self {
        let root =
            std::env::temp_dir().join(format!("redress-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).unwrap();
        let cluster = Self {
            bindir: Self::bindir(),
            data: root.join("data"),
            port: free_port(),
        };
        let _ = Command::new("chown")
            .args(["postgres:", &root.display().to_string()])
            .status();
        let data = cluster.data.display().to_string();
        let init = cluster.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        );
        assert!(
            init.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        cluster.up();
        cluster
    }

    fn up(&self) {
        let data = self.data.display().to_string();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port, data
        );
        let log = format!("{data}/server.log");
        let started = self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
        assert!(
            started.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&started.stdout),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    fn down(&self) {
        let data = self.data.display().to_string();
        let stopped = self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
        assert!(stopped.status.success(), "pg_ctl stop failed");
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        if let Some(root) = self.data.parent() {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgresql_restart_under_load_gives_503s_and_the_server_recovers_by_itself() {
    let cluster = PrivateCluster::start();
    let url = cluster.url("postgres");
    let smtp = SmtpServer::start();
    let store = Store::open(
        &url,
        &redress_store::ConnectOptions::default(),
        Arc::new(redress_domain::SystemClock),
        Arc::new(redress_notify::Policy),
    )
    .await
    .unwrap();
    // A lease longer than the outage: a sender that got an email out just before the
    // database went keeps its claim until it can record the email as sent.
    let server = Instance::start_with(
        &url,
        &smtp,
        &[],
        &[("REDRESS_MAIL_LEASE_SECONDS", "60")],
        "pg-restart",
    )
    .await;
    let workers = workers(4, &server.base, &store).await;
    let log: Log = Arc::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut running = load(&workers, std::slice::from_ref(&server.base), &log, &stopped);
    until_successes(&log, 60).await;

    cluster.down();
    let down_at = log.lock().unwrap().len();
    // While it is down: /healthz says so, and commands get a clean 503.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.health().await != Some(503) {
        assert!(Instant::now() < deadline, "/healthz did not turn 503");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body: serde_json::Value = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "unavailable");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let refused = log.lock().unwrap()[down_at..]
            .iter()
            .filter(|s| s.outcome == Outcome::Refused(503))
            .count();
        if refused >= 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no 503 while the database was down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    cluster.up();
    let up_at = Instant::now();
    server.wait_healthy(Duration::from_secs(30)).await;
    let back = log.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.lock().unwrap()[back..]
        .iter()
        .filter(|s| s.outcome == Outcome::Done)
        .count()
        < 30
    {
        assert!(
            Instant::now() < deadline,
            "commands did not succeed again; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = up_at.elapsed();
    let _ = stop.send(true);
    while running.join_next().await.is_some() {}
    let log = log.lock().unwrap().clone();
    // Every answer was a success or a 503 (or no answer in the instant of the shutdown):
    // never a 500, never a hang.
    for sent in &log {
        match &sent.outcome {
            Outcome::Done | Outcome::Refused(503) => {}
            Outcome::Refused(status) => panic!("{} answered {status}", sent.action),
            Outcome::NoAnswer(error) => panic!("{} got no answer: {error}", sent.action),
        }
        assert!(sent.latency < Duration::from_secs(15), "{sent:?}");
    }
    every_success_is_stored(&store, &log).await;
    caught_up(&store, Duration::from_secs(60)).await;
    check_passes(&url);
    mail_delivered_once(&store, &smtp, 0).await;
    println!(
        "recovered {} ms after PostgreSQL was back",
        recovered.as_millis()
    );
    store.db.close().await;
}
