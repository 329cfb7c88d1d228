//! `redress bench commands`: concurrent members of staff working complaints through the six
//! steps over HTTP against PostgreSQL, beside a raw PostgreSQL baseline run in the same
//! process (transactions inserting the same number of event rows, with the same payloads, and
//! nothing in between), with the projection lag sampled throughout.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use redress_store::{Database, Role};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::watch;

use super::{note, percentile};
use crate::load::{Outcome, Worker};
use redress::Settings;

/// One row of the table.
#[derive(Debug, Clone)]
pub struct CommandRun {
    /// Concurrent clients.
    pub clients: usize,
    /// Commands answered with success.
    pub commands: usize,
    /// Commands per second.
    pub per_second: f64,
    /// Latency of a command, median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// The baseline's transactions per second.
    pub raw_per_second: f64,
    /// The baseline's median.
    pub raw_p50: Duration,
    /// The baseline's 99th percentile.
    pub raw_p99: Duration,
    /// Event to read model (every projector), median.
    pub lag_p50: Duration,
    /// 99th percentile.
    pub lag_p99: Duration,
    /// Event to the queue (complaint_list), 99th percentile.
    pub queue_lag_p99: Duration,
    /// CPU time per command: this process, and the local PostgreSQL server.
    pub cpu: CpuShare,
    /// CPU time per raw insert: this process, and the local PostgreSQL server.
    pub raw_cpu: CpuShare,
    /// Each kind of command: how many, median and 99th percentile latency.
    pub by_action: Vec<(&'static str, usize, Duration, Duration)>,
}

/// CPU time per unit of work, split between this process (for Redress: the server, its
/// workers and the load; for the baseline: the client) and the PostgreSQL server's processes.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuShare {
    /// This process.
    pub process: Duration,
    /// Every `postgres` process of this machine (`None` when it runs elsewhere).
    pub postgres: Option<Duration>,
    /// Share of the machine's CPUs busy with both over the run (0 to 1).
    pub busy: f64,
}

/// CPU time used so far: this process, and every `postgres` process of this machine
/// (including backends that have exited, which the postmaster's children times count), from
/// `/proc`. Linux only; `None` where it cannot be read.
#[derive(Debug, Clone, Copy)]
struct CpuClock {
    at: Instant,
    process: Option<Duration>,
    postgres: Option<Duration>,
}

impl CpuClock {
    fn now() -> Self {
        Self {
            at: Instant::now(),
            process: std::fs::read_to_string("/proc/self/stat")
                .ok()
                .and_then(|stat| cpu_of(&stat, false)),
            postgres: postgres_cpu(),
        }
    }

    /// CPU used from `self` to `later`, per unit of `work`.
    fn share(&self, later: &CpuClock, work: usize) -> CpuShare {
        let per = |a: Option<Duration>, b: Option<Duration>| {
            Some(b?.saturating_sub(a?) / u32::try_from(work.max(1)).unwrap_or(u32::MAX))
        };
        let total =
            |a: Option<Duration>, b: Option<Duration>| b.zip(a).map(|(b, a)| b.saturating_sub(a));
        let used = total(self.process, later.process).unwrap_or_default()
            + total(self.postgres, later.postgres).unwrap_or_default();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let wall = (later.at - self.at).as_secs_f64().max(1e-9);
        CpuShare {
            process: per(self.process, later.process).unwrap_or_default(),
            postgres: per(self.postgres, later.postgres),
            busy: used.as_secs_f64() / wall / cpus,
        }
    }
}

/// Linux counts CPU time in `/proc/*/stat` in ticks of 1/100 s (USER_HZ) on every common
/// architecture.
const TICK: Duration = Duration::from_millis(10);

/// utime + stime (+ cutime + cstime with `children`) of a `/proc/PID/stat` line.
fn cpu_of(stat: &str, children: bool) -> Option<Duration> {
    // Fields after the command name (which may hold spaces), from field 3 on.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u32>().ok();
    let mut ticks = field(14)? + field(15)?;
    if children {
        ticks += field(16)? + field(17)?;
    }
    Some(TICK * ticks)
}

fn postgres_cpu() -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let path = entry.path();
        if std::fs::read_to_string(path.join("comm")).ok().as_deref() != Some("postgres\n") {
            continue;
        }
        if let Some(cpu) = std::fs::read_to_string(path.join("stat"))
            .ok()
            .and_then(|stat| cpu_of(&stat, true))
        {
            total += cpu;
            found = true;
        }
    }
    found.then_some(total)
}

/// Runs the benchmark for each number of `clients`, each working `lifecycles` complaints
/// (ten commands each); returns the table it prints.
pub async fn commands(
    settings: &Settings,
    clients: &[usize],
    lifecycles: usize,
) -> anyhow::Result<String> {
    let store = redress::open_store(settings).await?;
    let Database::Postgres(_) = &store.db else {
        anyhow::bail!(
            "the command benchmark compares Redress with raw PostgreSQL: point REDRESS_DATABASE_URL \
             at a scratch PostgreSQL database"
        );
    };
    let password = "bench password 2026";
    let email = "bench-agent@bench.example";
    let id = match store.accounts.credentials(email).await? {
        Some(account) => account.0.id,
        None => {
            let hash = redress_store::accounts::hash_password(password)?;
            store
                .accounts
                .create(email, "Bench Agent", Role::Agent, &hash)
                .await?
                .id
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let running = redress::start(listener, store.clone(), settings).await?;
    let base = format!("http://{}", running.address);
    let options = PgConnectOptions::from_str(&settings.database_url)?;
    let mut report = format!(
        "\nCommands over HTTP (six-step lifecycles of fourteen commands each, with an internal \
         note, a reply and a reply with a 24 KB file) beside raw PostgreSQL inserts of the same \
         event rows; {} CPUs, pool of {} connections.\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        settings.database_max_connections
    );
    note(
        &mut report,
        format!(
            "\n{:>7} {:>9} {:>9} {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>6} | {:>9} {:>9} {:>9}\n",
            "clients",
            "commands",
            "cmd/s",
            "p50 ms",
            "p99 ms",
            "raw tx/s",
            "p50 ms",
            "p99 ms",
            "ratio",
            "lag p50",
            "lag p99",
            "queue p99"
        ),
    );
    let mut cpu_table = format!(
        "\nCPU time per command beside per raw insert (ms; this process = server, workers and \
         load for Redress, the client for the baseline):\n{:>7} | {:>8} {:>8} {:>8} {:>5} | {:>8} {:>8} {:>8} {:>5}\n",
        "clients", "process", "postgres", "total", "busy", "process", "postgres", "total", "busy"
    );
    let mut runs = Vec::new();
    for &n in clients {
        let run = one_run(
            &store,
            &options,
            settings,
            &base,
            (email, password, &id.to_string()),
            n,
            lifecycles,
        )
        .await?;
        note(
            &mut report,
            format!(
                "{:>7} {:>9} {:>9.0} {:>8.1} {:>8.1} | {:>9.0} {:>8.1} {:>8.1} | {:>5.2}x | {:>7.1}ms {:>7.1}ms {:>7.1}ms\n",
                run.clients,
                run.commands,
                run.per_second,
                ms(run.p50),
                ms(run.p99),
                run.raw_per_second,
                ms(run.raw_p50),
                ms(run.raw_p99),
                run.per_second / run.raw_per_second,
                ms(run.lag_p50),
                ms(run.lag_p99),
                ms(run.queue_lag_p99),
            ),
        );
        let cells = |share: CpuShare| {
            let postgres = share.postgres.map(ms);
            format!(
                "{:>8.3} {:>8} {:>8} {:>4.0}%",
                ms(share.process),
                postgres.map_or("n/a".into(), |p| format!("{p:.3}")),
                postgres.map_or("n/a".into(), |p| format!("{:.3}", p + ms(share.process))),
                share.busy * 100.0
            )
        };
        cpu_table.push_str(&format!(
            "{:>7} | {} | {}\n",
            run.clients,
            cells(run.cpu),
            cells(run.raw_cpu)
        ));
        runs.push(run);
    }
    note(&mut report, cpu_table);
    let mut by_action = String::from("\nLatency by command, p50 / p99 ms (the same runs):\n");
    by_action.push_str(&format!("{:<26}", "command"));
    for run in &runs {
        by_action.push_str(&format!(" | {:>7} clients", run.clients));
    }
    by_action.push('\n');
    if let Some(first) = runs.first() {
        for (i, (action, ..)) in first.by_action.iter().enumerate() {
            by_action.push_str(&format!("{action:<26}"));
            for run in &runs {
                let (_, _, p50, p99) = run.by_action[i];
                by_action.push_str(&format!(" | {:>6.1} / {:>6.1}", ms(p50), ms(p99)));
            }
            by_action.push('\n');
        }
    }
    note(&mut report, by_action);
    running.stop().await?;
    report.push_str(
        "\nratio: Redress commands per second ÷ raw inserts per second at the same concurrency.\n\
         lag: from an event's first sight by a sampler polling every 2 ms to every projector \
         (queue: the complaint list) having applied it.\n",
    );
    report.push_str(&super::peak_memory_line());
    Ok(report)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn one_run(
    store: &redress_store::Store,
    options: &PgConnectOptions,
    settings: &Settings,
    base: &str,
    (email, password, id): (&str, &str, &str),
    clients: usize,
    lifecycles: usize,
) -> anyhow::Result<CommandRun> {
    let mut workers = Vec::new();
    for _ in 0..clients {
        workers.push(Worker::sign_in(base, email, password, id).await?);
    }
    // Projections idle before the clock starts.
    store.projections.run_until_idle().await?;
    let (stop, stopped) = watch::channel(false);
    let sampler = tokio::spawn(sample_lag(options.clone(), stopped));
    let cpu_before = CpuClock::now();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, worker) in workers.into_iter().enumerate() {
        tasks.spawn(async move {
            let mut sent = Vec::new();
            for n in 0..lifecycles {
                let seed = ((clients as u64) << 48) | ((i as u64) << 24) | n as u64;
                sent.extend(worker.lifecycle(seed).await);
            }
            sent
        });
    }
    let mut latencies = Vec::new();
    let mut per_action: Vec<(&'static str, Vec<Duration>)> = Vec::new();
    let mut failed = 0usize;
    while let Some(sent) = tasks.join_next().await {
        for s in sent? {
            match s.outcome {
                Outcome::Done => {
                    latencies.push(s.latency);
                    match per_action.iter_mut().find(|(a, _)| *a == s.action) {
                        Some((_, all)) => all.push(s.latency),
                        None => per_action.push((s.action, vec![s.latency])),
                    }
                }
                _ => failed += 1,
            }
        }
    }
    let elapsed = started.elapsed();
    anyhow::ensure!(failed == 0, "{failed} commands failed at {clients} clients");
    // Let the projectors finish, then stop the sampler.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, positions) = store.projections.positions().await?;
        if positions.iter().all(|p| p.behind == 0) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu_after = CpuClock::now();
    let _ = stop.send(true);
    let (mut all_lags, mut queue_lags) = sampler.await??;
    all_lags.sort();
    queue_lags.sort();
    latencies.sort();
    let commands = latencies.len();
    let (raw_per_second, raw_p50, raw_p99, raw_cpu) =
        raw_baseline(options, settings, clients, commands).await?;
    Ok(CommandRun {
        clients,
        commands,
        per_second: commands as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        raw_per_second,
        raw_p50,
        raw_p99,
        lag_p50: percentile(&all_lags, 0.50),
        lag_p99: percentile(&all_lags, 0.99),
        queue_lag_p99: percentile(&queue_lags, 0.99),
        cpu: cpu_before.share(&cpu_after, commands),
        raw_cpu,
        by_action: per_action
            .into_iter()
            .map(|(action, mut all)| {
                all.sort();
                let p50 = percentile(&all, 0.50);
                let p99 = percentile(&all, 0.99);
                (action, all.len(), p50, p99)
            })
            .collect(),
    })
}

/// Polls the head of the stream and the projectors' checkpoints every 2 ms; each new head
/// seen is timed until every projector (and, separately, the complaint list) has passed it.
/// Returns (every projector, complaint list) lags. Positions compare in reading order,
/// `(transaction_id, global_position)`, and every read walks an index: the sampler must
/// cost next to nothing beside the load it measures.
async fn sample_lag(
    options: PgConnectOptions,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    type Position = (i64, i64);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let mut waiting_all: VecDeque<(Instant, Position)> = VecDeque::new();
    let mut waiting_queue: VecDeque<(Instant, Position)> = VecDeque::new();
    let (mut all, mut queue) = (Vec::new(), Vec::new());
    let mut last_head: Position = (0, 0);
    loop {
        let head: Option<Position> = sqlx::query_as(
            "SELECT transaction_id::text::bigint, global_position FROM events
              ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
        )
        .fetch_optional(&pool)
        .await
        .context("lag sampler")?;
        let checkpoints: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT name, transaction_id, position FROM projector_checkpoints")
                .fetch_all(&pool)
                .await
                .context("lag sampler")?;
        let now = Instant::now();
        let head = head.unwrap_or_default();
        let slowest = checkpoints
            .iter()
            .map(|(_, t, p)| (*t, *p))
            .min()
            .unwrap_or_default();
        let list = checkpoints
            .iter()
            .find(|(name, _, _)| name == "complaint_list")
            .map(|(_, t, p)| (*t, *p))
            .unwrap_or_default();
        if head > last_head {
            waiting_all.push_back((now, head));
            waiting_queue.push_back((now, head));
            last_head = head;
        }
        while waiting_all.front().is_some_and(|(_, h)| *h <= slowest) {
            let (seen, _) = waiting_all.pop_front().unwrap_or((now, (0, 0)));
            all.push(now - seen);
        }
        while waiting_queue.front().is_some_and(|(_, h)| *h <= list) {
            let (seen, _) = waiting_queue.pop_front().unwrap_or((now, (0, 0)));
            queue.push(now - seen);
        }
        if *stop.borrow() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(2)) => {}
            _ = stop.changed() => {}
        }
    }
    pool.close().await;
    Ok((all, queue))
}

/// `clients` connections inserting `rows` event rows between them, one per transaction, into a
/// copy of the events table (same columns, keys, indexes and defaults), with payloads taken
/// from the events the Redress run wrote. Returns (transactions/s, p50, p99, CPU per insert).
async fn raw_baseline(
    options: &PgConnectOptions,
    settings: &Settings,
    clients: usize,
    rows: usize,
) -> anyhow::Result<(f64, Duration, Duration, CpuShare)> {
    let pool = PgPoolOptions::new()
        .max_connections((clients as u32).min(settings.database_max_connections.max(1)))
        .connect_with(options.clone())
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_raw_events (LIKE events INCLUDING ALL)")
        .execute(&pool)
        .await?;
    sqlx::query("TRUNCATE bench_raw_events")
        .execute(&pool)
        .await?;
    let samples: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT event_type, event_version, payload::text, metadata::text FROM events
          ORDER BY global_position DESC LIMIT 1000",
    )
    .fetch_all(&pool)
    .await?;
    anyhow::ensure!(!samples.is_empty(), "no events to copy");
    let samples = Arc::new(samples);
    let cpu_before = CpuClock::now();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let pool = pool.clone();
        let samples = samples.clone();
        let share = rows / clients + usize::from(client < rows % clients);
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for n in 0..share {
                let (kind, version, payload, metadata) = &samples[n % samples.len()];
                let began = Instant::now();
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO bench_raw_events
                       (aggregate_type, aggregate_id, sequence, event_type, event_version,
                        payload, metadata)
                     VALUES ('Complaint', $1, $2, $3, $4, $5::json, $6::json)",
                )
                .bind(format!("RAW-{client}-{}", n / 10))
                .bind((n % 10) as i64 + 1)
                .bind(kind)
                .bind(version)
                .bind(payload)
                .bind(metadata)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                latencies.push(began.elapsed());
            }
            Ok::<_, sqlx::Error>(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(rows);
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    let elapsed = started.elapsed();
    let cpu = cpu_before.share(&CpuClock::now(), latencies.len());
    latencies.sort();
    sqlx::query("DROP TABLE bench_raw_events")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok((
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        cpu,
    ))
}
