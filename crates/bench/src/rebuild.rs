//! The rebuild benchmark: every projection rebuilt from a generated year of complaints (and
//! the generation alone, for a large stream).

use super::*;

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
