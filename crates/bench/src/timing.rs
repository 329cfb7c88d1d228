//! Timing pages over HTTP: a signed-in server on loopback, concurrent clients, percentiles,
//! and the table each page benchmark prints beside its `/healthz` baseline.

use super::*;

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
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let Some(last) = sorted.len().checked_sub(1) else {
        return Duration::ZERO;
    };
    let index = (last as f64 * p).round() as usize;
    sorted[index.min(last)]
}

pub(crate) async fn time_page(
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
pub(crate) async fn time_page_with(
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
pub(crate) async fn signed_in_server(
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

/// Adds a line to the report, and shows it at once on standard error (a long run shows
/// where it stands).
pub(crate) fn note(report: &mut String, line: String) {
    eprint!("{line}");
    report.push_str(&line);
}

pub(crate) fn table(timings: &[Timing]) -> String {
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
