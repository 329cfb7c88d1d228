//! The page benchmarks: the staff pages, the SLA dashboard and the managers' reports under
//! concurrent load, each beside `/healthz` in the same run.

use super::*;

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
        ("causes (Pareto), a year", format!("/reports/causes?{year}")),
        (
            "speed and loyalty, a year",
            format!("/reports/loyalty?{year}"),
        ),
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
        ("queue, one team", {
            let team = store
                .teams
                .list()
                .await?
                .into_iter()
                .find(|t| t.name == "Bench team 2")
                .context("the bench's teams")?;
            format!("/complaints?team={}", team.id)
        }),
        (
            "queue, one tag",
            "/complaints?team=all&tag=refund".to_string(),
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
