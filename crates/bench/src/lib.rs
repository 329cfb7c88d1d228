//! The benchmarks of Redress and their tools, kept out of the product (the `redress-bench`
//! binary; `scripts/bench` runs the suite): a generator that writes complaints in bulk with
//! the domain's own event types (sealed with real customer keys), the page, report, SLA,
//! rebuild, command, intake and mail benchmarks, each beside a baseline measured in the same
//! run, and the load of members of staff working complaints over HTTP ([`load`]), which the
//! crash tests also use.

mod commands;
mod intake;
pub mod load;

pub use commands::{CommandRun, commands};
pub use intake::intake;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Duration as Span, Utc};
use cqrs_es::DomainEvent;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use redress_domain::{
    Actor, Channel, ComplaintChange, ComplaintEvent, CustomerEmail, Language, Outcome,
    PersonalDataVault, Priority, Reference, SealedCustomer, Tier,
};
use redress_store::{Database, Role, Store};

use redress::Settings;

/// Rows per INSERT statement when generating.
const BATCH: usize = 400;

/// Which complaints [`generate_mix`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Every stage from received to closed, spread over the last year, all standard tier.
    Lifecycle,
    /// Open complaints only (received, at most updated), received 4 to 34 days ago, one in ten
    /// a key account: an SLA dashboard's worst day.
    Open,
    /// A year of complaints in the order they arrived: every stage, nine in ten closed (most
    /// with a satisfaction score), one in ten a key account; customers complain about three
    /// times each on average. What the reports read.
    Year,
}

/// Inserts `count` complaints' events straight into the event store, at every stage, spread
/// over the last year. Returns the number of events written.
pub async fn generate(store: &Store, count: usize, seed: u64) -> anyhow::Result<u64> {
    generate_mix(store, count, seed, Mix::Lifecycle).await
}

/// Inserts `count` complaints' events of `mix` straight into the event store, built with the
/// domain's own types. Returns the number of events written.
pub async fn generate_mix(store: &Store, count: usize, seed: u64, mix: Mix) -> anyhow::Result<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let staff = redress::demo::staff();
    let now = Utc::now();
    let customers = match mix {
        Mix::Year => (count / 10).max(1),
        _ => (count / 3).max(1),
    };
    // A year's arrival times, in order (the Year mix writes complaints as they arrived).
    let mut arrivals: Vec<i64> = match mix {
        Mix::Year => (0..count)
            .map(|_| rng.gen_range(60..365 * 24 * 60))
            .collect(),
        _ => Vec::new(),
    };
    arrivals.sort_unstable();
    let mut keys = Vec::with_capacity(customers);
    for i in 0..customers {
        let email = CustomerEmail::parse(&format!("customer{i}.{seed}@bench.example"))?;
        let id = store.vault.customer_for(&email).await?;
        let key = store
            .vault
            .key(id)
            .await?
            .context("a key just created is missing")?;
        keys.push((id, key, email));
    }
    let categories = [
        "Billing",
        "Delivery",
        "Product quality",
        "Customer service",
        "Website",
    ];
    let mut rows: Vec<(String, i64, ComplaintEvent)> = Vec::with_capacity(BATCH * 2);
    let mut written = 0u64;
    // Random references collide now and then among a million (the birthday problem).
    let mut used = std::collections::HashSet::with_capacity(count);
    for _ in 0..count {
        let mut reference = Reference::generate(&mut rng);
        while !used.insert(reference.to_string()) {
            reference = Reference::generate(&mut rng);
        }
        let (customer, key, email) = &keys[rng.gen_range(0..customers)];
        // Open complaints end four days ago: old enough that they owe the customer no email
        // and staff no alert, so no mail is sent while pages are timed.
        let (latest, window) = match mix {
            Mix::Lifecycle | Mix::Year => (now, 365 * 24 * 60),
            Mix::Open => (now - Span::days(4), 30 * 24 * 60),
        };
        let ago = arrivals.pop().unwrap_or_else(|| rng.gen_range(60..window));
        let mut at = latest - Span::minutes(ago);
        let owner = staff.choose(&mut rng).expect("staff").clone();
        let agent = Actor::Staff(owner.clone());
        let mut events = vec![ComplaintEvent {
            occurred_at: at,
            by: Actor::Customer,
            change: ComplaintChange::ComplaintReceived {
                reference: reference.clone(),
                customer: SealedCustomer {
                    id: *customer,
                    name: key.seal(*customer, &format!("Customer {}", customer.0.simple())),
                    email: Some(key.seal(*customer, email.as_str())),
                    phone: None,
                },
                language: *Language::ALL.choose(&mut rng).expect("languages"),
                company: rng
                    .gen_bool(0.3)
                    .then(|| format!("Company {}", rng.gen_range(0..500))),
                tier: if mix != Mix::Lifecycle && rng.gen_bool(0.1) {
                    Tier::KeyAccount
                } else {
                    Tier::Standard
                },
                channel: *Channel::ALL.choose(&mut rng).expect("channels"),
                category: categories.choose(&mut rng).expect("categories").to_string(),
                summary: format!(
                    "Bench complaint about order {}",
                    rng.gen_range(10_000..99_999)
                ),
                description: key.seal(*customer, "The order arrived late and damaged."),
                remedy_requested: None,
                priority: *Priority::ALL.choose(&mut rng).expect("priorities"),
            },
        }];
        let stage = match mix {
            Mix::Lifecycle => rng.gen_range(0..10),
            Mix::Year => {
                if rng.gen_bool(0.9) {
                    11
                } else {
                    rng.gen_range(0..9)
                }
            }
            // Up to the progress update: never resolved.
            Mix::Open => rng.gen_range(0..8),
        };
        let due = (at + Span::days(10)).date_naive();
        let outcome = *[Outcome::Upheld, Outcome::PartlyUpheld, Outcome::NotUpheld]
            .choose(&mut rng)
            .expect("outcomes");
        let paid = rng.gen_bool(0.5).then(|| rng.gen_range(0..20_000));
        let score = rng.gen_range(1..=5);
        let mut step = |change: ComplaintChange, events: &mut Vec<ComplaintEvent>| {
            at += Span::minutes(rng.gen_range(10..3_000));
            events.push(ComplaintEvent {
                occurred_at: at.min(latest),
                by: agent.clone(),
                change,
            });
        };
        let plan: Vec<ComplaintChange> = vec![
            ComplaintChange::ComplaintAcknowledged {
                apology: "We are sorry.".into(),
            },
            ComplaintChange::PointsOfComplaintRecorded {
                points: vec![key.seal(*customer, "The order arrived late and damaged.")],
                sent: false,
            },
            ComplaintChange::FactRecorded {
                fact: "Courier scan is late.".into(),
                source: None,
            },
            ComplaintChange::InvestigationConcluded {
                findings: "Late dispatch.".into(),
            },
            ComplaintChange::ActionCommitted {
                action: "Refund delivery.".into(),
                due_on: due,
            },
            ComplaintChange::OwnerAssigned {
                owner: owner.clone(),
                previous: None,
            },
            ComplaintChange::ProgressUpdateSent {
                message: "On its way.".into(),
                next_update_on: due,
            },
            ComplaintChange::ComplaintResolved {
                outcome,
                decisions: vec![redress_domain::PointDecision {
                    point: 1,
                    outcome,
                    reasons: "Our error.".into(),
                }],
                reasons: "Our error.".into(),
                remedy: None,
                redress_paid_cents: paid,
            },
            ComplaintChange::ComplaintClosed,
            ComplaintChange::SatisfactionRecorded {
                score,
                comment: None,
                would_change: None,
            },
        ];
        for change in plan.into_iter().take(stage) {
            step(change, &mut events);
        }
        for (i, event) in events.into_iter().enumerate() {
            rows.push((reference.to_string(), i as i64 + 1, event));
        }
        if rows.len() >= BATCH {
            written += insert(&store.db, &rows).await?;
            rows.clear();
        }
    }
    written += insert(&store.db, &rows).await?;
    Ok(written)
}

async fn insert(db: &Database, rows: &[(String, i64, ComplaintEvent)]) -> anyhow::Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let json_cast = match db {
        Database::Sqlite(_) => "",
        Database::Postgres(_) => "::json",
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
        .collect::<Result<_, _>>()?;
    redress_store::on_pool!(db, |pool| {
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
        query.execute(pool).await.map(|r| r.rows_affected())
    })
    .map_err(Into::into)
}

/// Latency figures of one page.
#[derive(Debug, Clone)]
pub struct Timing {
    /// What was timed.
    pub name: String,
    /// Median.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
}

/// The nearest-rank percentile `p` of `sorted` (zero when there is no sample).
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let Some(last) = sorted.len().checked_sub(1) else {
        return Duration::ZERO;
    };
    let index = (last as f64 * p).round() as usize;
    sorted[index.min(last)]
}

async fn time_page(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    path: &str,
    requests: usize,
) -> anyhow::Result<Timing> {
    time_page_with(client, base, name, path, requests, 1).await
}

/// Times `requests` GETs of `path` from `concurrency` clients at once (each sending its next
/// request as soon as the last is answered, as wrk does), after a warm-up.
async fn time_page_with(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    path: &str,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<Timing> {
    for _ in 0..10 {
        client
            .get(format!("{base}{path}"))
            .send()
            .await?
            .bytes()
            .await?;
    }
    let concurrency = concurrency.max(1);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let client = client.clone();
        let url = format!("{base}{path}");
        let share = requests / concurrency + usize::from(i < requests % concurrency);
        tasks.spawn(async move {
            let mut samples = Vec::with_capacity(share);
            for _ in 0..share {
                let started = Instant::now();
                let response = client.get(&url).send().await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "{url} answered {}",
                    response.status()
                );
                response.bytes().await?;
                samples.push(started.elapsed());
            }
            Ok(samples)
        });
    }
    let mut samples = Vec::with_capacity(requests);
    while let Some(done) = tasks.join_next().await {
        samples.extend(done??);
    }
    samples.sort();
    Ok(Timing {
        name: name.into(),
        p50: percentile(&samples, 0.50),
        p95: percentile(&samples, 0.95),
        p99: percentile(&samples, 0.99),
    })
}

/// Starts the server over `store` and signs a client in as a bench admin.
async fn signed_in_server(
    store: &Store,
    settings: &Settings,
) -> anyhow::Result<(redress::Running, reqwest::Client, String)> {
    let password = "bench password 2026";
    let email = "bench-admin@bench.example";
    if store.accounts.credentials(email).await?.is_none() {
        let hash = redress_store::accounts::hash_password(password)?;
        store
            .accounts
            .create(email, "Bench Admin", Role::Admin, &hash)
            .await?;
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let running = redress::start(listener, store.clone(), settings).await?;
    let base = format!("http://{}", running.address);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let sign_in = client
        .get(format!("{base}/sign-in"))
        .send()
        .await?
        .text()
        .await?;
    let marker = "name=\"csrf\" value=\"";
    let start = sign_in
        .find(marker)
        .context("no CSRF field on the sign-in page")?
        + marker.len();
    let csrf = &sign_in[start..start + sign_in[start..].find('"').context("CSRF field")?];
    let signed_in = client
        .post(format!("{base}/sign-in"))
        .form(&[("email", email), ("password", password), ("csrf", csrf)])
        .send()
        .await?;
    anyhow::ensure!(
        signed_in.status() == 303,
        "bench sign-in failed: {}",
        signed_in.status()
    );
    Ok((running, client, base))
}

/// Fills an empty database with `complaints` of `mix`, or reports what it holds.
async fn fill(store: &Store, complaints: usize, mix: Mix) -> anyhow::Result<String> {
    let mut report = String::new();
    let existing = store.projections.event_count().await?;
    if existing == 0 {
        let started = Instant::now();
        let events = generate_mix(store, complaints, 2026, mix).await?;
        note(
            &mut report,
            format!(
                "generated {complaints} complaints ({events} events) in {:.1} s\n",
                started.elapsed().as_secs_f64()
            ),
        );
    } else {
        note(
            &mut report,
            format!("using the {existing} events already in the database\n"),
        );
    }
    Ok(report)
}

/// Fills an empty database with `complaints` of `mix` (or reports what it holds), and
/// rebuilds every projection when asked; returns the report so far.
async fn prepare(
    store: &Store,
    complaints: usize,
    mix: Mix,
    rebuild: bool,
) -> anyhow::Result<String> {
    let mut report = fill(store, complaints, mix).await?;
    if rebuild {
        for name in store.projections.names() {
            let started = Instant::now();
            let replayed = store.projections.rebuild(name, &|_| {}).await?.events;
            let took = started.elapsed();
            note(
                &mut report,
                format!(
                    "rebuilt {name} from {replayed} events in {:.1} s ({:.0} events/s)\n",
                    took.as_secs_f64(),
                    replayed as f64 / took.as_secs_f64()
                ),
            );
        }
    }
    // On PostgreSQL a rebuild leaves out events an older transaction anywhere in the cluster
    // still holds back; they are projected now, as the live projectors would.
    let late = store.projections.run_until_idle().await?;
    if late > 0 {
        note(
            &mut report,
            format!(
                "{late} projector applications of events held back by other transactions came after\n"
            ),
        );
    }
    Ok(report)
}

/// This process's peak resident memory (`VmHWM` in /proc/self/status), as a line for the
/// report; empty where /proc is not there.
pub fn peak_memory_line() -> String {
    status_kb("VmHWM:")
        .map(|kb| {
            format!(
                "\npeak resident memory of this process (server, load and any generation or \
                 rebuild it did): {:.0} MB\n",
                kb as f64 / 1024.0
            )
        })
        .unwrap_or_default()
}

/// A field of this process's `/proc/self/status` in KiB (`VmHWM:`, `VmRSS:`), where there is one.
fn status_kb(field: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Adds a line to the report, and shows it at once on standard error (a long run shows
/// where it stands).
fn note(report: &mut String, line: String) {
    eprint!("{line}");
    report.push_str(&line);
}

fn table(timings: &[Timing]) -> String {
    let baseline = timings[0].p50.as_secs_f64();
    let mut report = format!(
        "\n{:<34} {:>9} {:>9} {:>9} {:>12}\n",
        "page", "p50 ms", "p95 ms", "p99 ms", "p50/healthz"
    );
    for t in timings {
        note(
            &mut report,
            format!(
                "{:<34} {:>9.2} {:>9.2} {:>9.2} {:>11.1}x\n",
                t.name,
                t.p50.as_secs_f64() * 1e3,
                t.p95.as_secs_f64() * 1e3,
                t.p99.as_secs_f64() * 1e3,
                t.p50.as_secs_f64() / baseline
            ),
        );
    }
    report
}

/// Runs `redress bench sla`: the SLA dashboard over `complaints` open complaints (generated
/// into an empty database), beside `/healthz`; returns the table it prints.
pub async fn sla(
    settings: &Settings,
    complaints: usize,
    requests: usize,
    rebuild: bool,
) -> anyhow::Result<String> {
    let store = redress::open_store(settings).await?;
    let mut report = prepare(&store, complaints, Mix::Open, rebuild).await?;
    // The scheduler's first pass records every breach since the complaints arrived.
    let started = Instant::now();
    let ticked = store.sla.tick(Utc::now()).await?;
    note(
        &mut report,
        format!(
            "first scheduler pass: {} complaints in {:.1} s\n",
            ticked.complaints,
            started.elapsed().as_secs_f64()
        ),
    );
    // That pass updated most rows; PostgreSQL's autovacuum (set to run after 1% of the table
    // changes, migration 0013) would refresh the visibility map the counts rely on within a
    // minute. Do it now rather than time the minute before.
    store
        .db
        .optimize_tables(&["sla_complaints", "sla_breach_days"])
        .await?;
    // Counted before the server starts: on PostgreSQL, connections the pool opens inside the
    // server's workers end with them.
    let open: i64 = store
        .sla
        .dashboard(
            &Default::default(),
            Utc::now(),
            (Utc::now(), Utc::now()),
            Utc::now(),
            1,
        )
        .await
        .map(|d| d.counts.breached + d.counts.at_risk + d.counts.on_track + d.counts.paused)?;
    note(
        &mut report,
        format!("open complaints on the dashboard: {open}\n"),
    );
    let (running, client, base) = signed_in_server(&store, settings).await?;
    let owner = redress::demo::staff()
        .first()
        .map(|m| m.id.to_string())
        .unwrap_or_default();
    let pages = [
        ("/healthz (baseline)", "/healthz".to_string()),
        ("dashboard", "/sla".to_string()),
        ("dashboard, live part", "/sla?partial=1".to_string()),
        (
            "dashboard, key accounts, high",
            "/sla?tier=key_account&priority=high".to_string(),
        ),
        ("dashboard, one owner", format!("/sla?owner={owner}")),
        (
            "dashboard, a year of breaches",
            "/sla?period=365".to_string(),
        ),
    ];
    let mut timings = Vec::new();
    for (name, path) in &pages {
        timings.push(time_page(&client, &base, name, path, requests).await?);
    }
    running.stop().await?;
    report.push_str(&table(&timings));
    report.push_str(&peak_memory_line());
    Ok(report)
}

/// Runs `redress bench reports`: one-year reports over `complaints` complaints (generated
/// into an empty database), beside `/healthz`; returns the table it prints.
pub async fn reports(
    settings: &Settings,
    complaints: usize,
    requests: usize,
    rebuild: bool,
) -> anyhow::Result<String> {
    let store = redress::open_store(settings).await?;
    let mut report = String::new();
    let existing = store.projections.event_count().await?;
    if existing == 0 {
        let started = Instant::now();
        let events = generate_mix(&store, complaints, 2026, Mix::Year).await?;
        note(
            &mut report,
            format!(
                "generated {complaints} complaints ({events} events) in {:.1} s\n",
                started.elapsed().as_secs_f64()
            ),
        );
        // Statistics for the freshly loaded table, as autovacuum would gather soon after.
        store.db.optimize_tables(&["events"]).await?;
    } else {
        note(
            &mut report,
            format!("using the {existing} events already in the database\n"),
        );
    }
    let name = redress_store::ReportsProjector::NAME;
    if rebuild {
        let started = Instant::now();
        let replayed = store.projections.rebuild(name, &|_| {}).await?.events;
        let took = started.elapsed();
        note(
            &mut report,
            format!(
                "rebuilt {name} from {replayed} events in {:.1} s ({:.0} events/s)\n",
                took.as_secs_f64(),
                replayed as f64 / took.as_secs_f64()
            ),
        );
    }
    // Only the reports projection is brought up to date: the server's projectors would
    // otherwise start replaying millions of events while pages are timed.
    for other in store.projections.names() {
        if other != name {
            let at = store.projections.checkpoint(name).await?;
            redress_store::on_pool!(&store.db, |pool| sqlx::query(
                "INSERT INTO projector_checkpoints (name, transaction_id, position)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET transaction_id = $2, position = $3"
            )
            .bind(other)
            .bind(at.transaction_id)
            .bind(at.position)
            .execute(pool)
            .await
            .map(|_| ()))?;
        }
    }
    store
        .db
        .optimize_tables(&["report_speed", "report_days", "report_complaints"])
        .await?;
    let rows: i64 = redress_store::on_pool!(&store.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM report_speed"
    )
    .fetch_one(pool)
    .await)?;
    note(&mut report, format!("report_speed rows: {rows}\n"));
    let (running, client, base) = signed_in_server(&store, settings).await?;
    let today = Utc::now().date_naive();
    let from = today - Span::days(364);
    let year = format!("from={from}&to={today}");
    let pages = [
        ("/healthz (baseline)", "/healthz".to_string()),
        ("a year, by month", format!("/reports?{year}&group=month")),
        (
            "a year, by week, elapsed time",
            format!("/reports?{year}&group=week&basis=calendar"),
        ),
        (
            "a year, by month, by owner",
            format!("/reports?{year}&group=month&by=owner"),
        ),
        (
            "a year, key accounts only",
            format!("/reports?{year}&group=month&by=tier&only=key_account"),
        ),
        ("FCA return, a year", format!("/reports/fca?{year}")),
        ("companies, a year", format!("/reports/customers?{year}")),
        (
            "a year, speed as CSV",
            format!("/reports?{year}&group=month&format=csv&table=speed"),
        ),
    ];
    let mut timings = Vec::new();
    for (name, path) in &pages {
        timings.push(time_page(&client, &base, name, path, requests).await?);
    }
    running.stop().await?;
    report.push_str(&table(&timings));
    report.push_str(&peak_memory_line());
    Ok(report)
}

/// Runs `redress bench generate`: fills an empty database with a year of `complaints`
/// complaints (as `bench reports` and `bench rebuild` make them) and projects nothing; then
/// `redress rebuild` and `bench pages --skip-rebuild` can run over them.
pub async fn generate_only(settings: &Settings, complaints: usize) -> anyhow::Result<String> {
    let store = redress::open_store(settings).await?;
    fill(&store, complaints, Mix::Year).await
}

/// Runs `redress bench rebuild`: fills an empty database with `complaints` complaints (a year
/// of them, as `bench reports` makes), rebuilds every projection one after another, then (on
/// PostgreSQL) all at once; returns the table it prints.
pub async fn rebuild(settings: &Settings, complaints: usize) -> anyhow::Result<String> {
    let store = redress::open_store(settings).await?;
    let mut report = fill(&store, complaints, Mix::Year).await?;
    let events = store.projections.event_count().await?;
    note(
        &mut report,
        format!("\n{:<32} {:>10} {:>12}\n", "rebuild", "seconds", "events/s"),
    );
    let line = |name: &str, took: Duration| {
        format!(
            "{:<32} {:>10.1} {:>12.0}\n",
            name,
            took.as_secs_f64(),
            events as f64 / took.as_secs_f64()
        )
    };
    let all = Instant::now();
    for name in store.projections.names() {
        let started = Instant::now();
        store.projections.rebuild(name, &|_| {}).await?;
        note(&mut report, line(name, started.elapsed()));
    }
    note(&mut report, line("all, one after another", all.elapsed()));
    if let Database::Postgres(_) = &store.db {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for name in store.projections.names() {
            let projections = store.projections.clone();
            tasks.spawn(async move { projections.rebuild(name, &|_| {}).await });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        note(
            &mut report,
            line("all at once (redress rebuild)", started.elapsed()),
        );
    }
    note(
        &mut report,
        format!("events/s: events in the stream ({events}) per second of rebuilding\n"),
    );
    report.push_str(&peak_memory_line());
    Ok(report)
}

/// Runs `redress bench pages`: returns the table it prints.
pub async fn pages(
    settings: &Settings,
    complaints: usize,
    requests: usize,
    concurrency: usize,
    rebuild: bool,
) -> anyhow::Result<String> {
    let store = redress::open_store(settings).await?;
    let mut report = prepare(&store, complaints, Mix::Lifecycle, rebuild).await?;
    let (running, client, base) = signed_in_server(&store, settings).await?;
    let sample = store
        .complaint_list
        .page(complaints as i64 / 2, 1)
        .await?
        .rows
        .pop()
        .context("no complaint to time")?;
    let pages = [
        ("/healthz (baseline)", "/healthz".to_string()),
        ("queue, first page", "/complaints".to_string()),
        (
            "queue, mine, by silence",
            "/complaints?owner=mine&sort=silence".to_string(),
        ),
        (
            "queue, search",
            "/complaints?status=all&q=order+4242".to_string(),
        ),
        (
            "complaint page",
            format!("/complaints/{}", sample.reference),
        ),
        ("SLA dashboard", "/sla".to_string()),
        ("a year's report, by month", {
            let today = Utc::now().date_naive();
            format!(
                "/reports?from={}&to={today}&group=month",
                today - Span::days(364)
            )
        }),
    ];
    let mut timings = Vec::new();
    // Resident memory after each page (now, and the peak so far): which page raises the peak.
    let mut memory = String::from("\nresident memory after each page, MB: now / peak so far\n");
    let mb = |field| status_kb(field).map_or(f64::NAN, |kb| kb as f64 / 1024.0);
    for (name, path) in &pages {
        timings.push(time_page_with(&client, &base, name, path, requests, concurrency).await?);
        memory.push_str(&format!(
            "{name:<34} {:>9.0} {:>9.0}\n",
            mb("VmRSS:"),
            mb("VmHWM:")
        ));
    }
    note(
        &mut report,
        format!("\n{concurrency} clients at once, {requests} requests per page\n"),
    );
    running.stop().await?;
    report.push_str(&table(&timings));
    report.push_str(&memory);
    report.push_str(&peak_memory_line());
    Ok(report)
}

/// Runs `redress bench mail`: `emails` customer emails through the outbox to the SMTP server
/// of the settings, three ways in one run, and returns the table it prints:
/// - lettre alone sending the same number of ready-made messages (the baseline);
/// - the outbox drained at full speed (complaints received first, the sender started after);
/// - a steady load of `rate` complaints per second with the sender running, timing each
///   email from its event to the SMTP server's acceptance.
pub async fn mail(settings: &Settings, emails: usize, rate: u32) -> anyhow::Result<String> {
    anyhow::ensure!(
        !settings.smtp_url.trim().is_empty(),
        "set REDRESS_SMTP_URL to a local SMTP server, for example one started with \
         `python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Sink`"
    );
    anyhow::ensure!(
        emails > 0 && rate > 0,
        "--emails and --rate must be positive"
    );
    let store = redress::open_store(settings).await?;
    anyhow::ensure!(
        store.projections.event_count().await? == 0,
        "point REDRESS_DATABASE_URL at an empty scratch database"
    );
    let mailer = redress::mailer(&store, settings)?;
    let mut report = format!(
        "{emails} emails per phase to {}\n\n{:<34} {:>10} {:>9} {:>9} {:>9}\n",
        settings.smtp_url, "phase", "emails/s", "ratio", "p50 ms", "p95 ms"
    );

    // 1. lettre alone, ready-made messages.
    let transport =
        redress_notify::Transport::smtp(settings.smtp_url.trim(), Duration::from_secs(15))
            .map_err(anyhow::Error::msg)?;
    let emails_templates = redress_notify::Emails::new(None)?;
    let rendered = emails_templates.render(
        redress_store::EmailKind::Receipt,
        &redress_notify::EmailView::sample(),
    )?;
    let mail_settings = redress_notify::MailSettings {
        from: settings.mail_from.clone(),
        domain: "bench.example".into(),
        max_attempts: 1,
        retry_base: Duration::from_secs(1),
        sender: redress_notify::Sender {
            organisation: settings.organisation.clone(),
            ombudsman: settings.ombudsman.clone(),
            reply_to: None,
            ombudsman_in: vec![],
            currency: redress_domain::Currency::default(),
        },
        batch: 1,
        lease: Duration::from_secs(60),
        public_url: settings.public_url.clone(),
    };
    let started = Instant::now();
    for i in 0..emails {
        let message = redress_notify::build_message(
            &mail_settings,
            &format!("BENCH-{i}.1.receipt"),
            None,
            &rendered,
            &[],
            Utc::now(),
        )
        .map_err(anyhow::Error::msg)?;
        transport
            .send("bench", &message)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    let baseline = emails as f64 / started.elapsed().as_secs_f64();
    report.push_str(&format!(
        "{:<34} {:>10.0} {:>8.2}x {:>9} {:>9}\n",
        "lettre alone (baseline)", baseline, 1.0, "", ""
    ));

    // 2. The outbox drained at full speed.
    let receive = |i: usize| {
        let store = store.clone();
        async move {
            let language = Language::ALL[i % Language::ALL.len()];
            store
                .complaints
                .receive(
                    Actor::Customer,
                    redress_domain::NewComplaint {
                        reference: Reference::parse("RDR-0000-0000").expect("a reference"),
                        customer: redress_domain::NewCustomer {
                            name: format!("Bench Customer {i}"),
                            email: Some(
                                CustomerEmail::parse(&format!("customer{i}@bench.example"))
                                    .expect("an address"),
                            ),
                            phone: None,
                            language,
                        },
                        company: None,
                        tier: Tier::Standard,
                        channel: Channel::WebForm,
                        category: "Delivery".into(),
                        summary: format!("Bench complaint {i}"),
                        description: "The parcel arrived late and damaged.".into(),
                        remedy_requested: None,
                        priority: Priority::Normal,
                    },
                )
                .await
        }
    };
    for i in 0..emails {
        receive(i).await?;
    }
    store.projections.run_until_idle().await?;
    let started = Instant::now();
    while mailer.send_due().await? > 0 {}
    let drained = emails as f64 / started.elapsed().as_secs_f64();
    let counts = store.outbox.counts().await?;
    anyhow::ensure!(
        counts.sent == emails as i64 && counts.pending == 0,
        "not every email was sent: {counts:?}"
    );
    report.push_str(&format!(
        "{:<34} {:>10.0} {:>8.2}x {:>9} {:>9}\n",
        "outbox, drained at full speed",
        drained,
        drained / baseline,
        "",
        ""
    ));

    // 3. A steady load with the workers running, as in `serve`.
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let poll = Duration::from_millis(settings.projector_poll_ms.max(10));
    let projectors = tokio::spawn(store.projections.clone().run(
        store.signal.clone(),
        poll,
        shutdown_rx.clone(),
    ));
    let sender = tokio::spawn(mailer.clone().run(
        store.projections.mail_due(),
        poll.max(Duration::from_millis(500)),
        shutdown_rx,
    ));
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let started = Instant::now();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in emails..2 * emails {
        ticker.tick().await;
        receive(i).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while store.outbox.counts().await?.sent < 2 * emails as i64 {
        anyhow::ensure!(Instant::now() < deadline, "the steady phase did not drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let _ = shutdown.send(true);
    let _ = projectors.await;
    let _ = sender.await;
    // Only the steady phase's emails: all but the oldest `emails` events.
    let mut steady: Vec<Duration> = store
        .outbox
        .sent_times()
        .await?
        .into_iter()
        .skip(emails)
        .map(|(event_at, sent_at)| (sent_at - event_at).to_std().unwrap_or_default())
        .collect();
    steady.sort();
    report.push_str(&format!(
        "{:<34} {:>10.0} {:>8.2}x {:>9.1} {:>9.1}\n",
        format!("steady {rate} complaints/s"),
        emails as f64 / elapsed.as_secs_f64(),
        (emails as f64 / elapsed.as_secs_f64()) / baseline,
        percentile(&steady, 0.50).as_secs_f64() * 1e3,
        percentile(&steady, 0.95).as_secs_f64() * 1e3,
    ));
    report.push_str("\nlatency: from the event's time to the SMTP server accepting the message\n");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::percentile;
    use std::time::Duration;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&samples, 0.99), Duration::from_millis(99));
        assert_eq!(
            percentile(&[Duration::from_millis(7)], 0.95),
            Duration::from_millis(7)
        );
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
