//! The survey wave benchmark: a wave of periodic surveys to many contacts, scheduled, then sent
//! through the outbox to a local SMTP server beside lettre alone, with the outbox's depth
//! sampled as it drains.

use super::*;
use crate::mail::lettre_alone;

/// Runs `redress-bench survey-wave`: generates a year of complaints for about `contacts`
/// contacts into an empty database (two complaints per contact among one and a half customers
/// per contact, nine in ten closed), brings the complaint list up to date, schedules one wave
/// (every contact due, spread at `per_hour`), and drains it to the SMTP server of the settings.
/// Returns the table it prints.
pub async fn survey_wave(
    settings: &Settings,
    contacts: usize,
    per_hour: u32,
) -> anyhow::Result<String> {
    anyhow::ensure!(
        !settings.smtp_url.trim().is_empty(),
        "set REDRESS_SMTP_URL to a local SMTP server, for example one started with \
         `python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Sink`"
    );
    anyhow::ensure!(
        contacts > 0 && per_hour > 0,
        "--contacts and --per-hour must be positive"
    );
    let store = redress::open_store(settings).await?;
    anyhow::ensure!(
        store.projections.event_count().await? == 0,
        "point REDRESS_DATABASE_URL at an empty scratch database"
    );
    let mut report = String::new();
    let started = Instant::now();
    // Two complaints per contact asked for, among one and a half customers per contact: about
    // a quarter of those customers never complained and some have one open, so about as many
    // contacts as asked for are due.
    let events = crate::generate::generate_among(
        &store,
        contacts * 2,
        contacts * 3 / 2,
        24,
        crate::generate::Mix::Year,
    )
    .await?;
    store
        .projections
        .rebuild(redress_store::ComplaintListProjector::NAME, &|_| {})
        .await?;
    report.push_str(&format!(
        "{} complaints ({events} events) generated and listed in {:.0} s\n",
        contacts * 2,
        started.elapsed().as_secs_f64()
    ));

    // 1. Scheduling: choosing the contacts, and queueing an invitation and its email each.
    let rules = redress_store::surveys::SurveyRules {
        every_months: 6,
        key_every_months: 0,
        min_days: 30,
        per_hour,
    };
    let now = Utc::now();
    let started = Instant::now();
    let chosen = store.surveys.choose(rules, now).await?.len();
    let choose_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let wave = store.surveys.schedule(rules, now).await?;
    let schedule_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        wave.asked == chosen,
        "the wave asked {} of {chosen}",
        wave.asked
    );
    let spread = wave
        .last_send_at
        .map(|last| (last - now).num_seconds() as f64 / 3600.0)
        .unwrap_or_default();
    report.push_str(&format!(
        "contacts chosen: {chosen} (no complaint open, an address) in {choose_secs:.2} s; \
         wave scheduled in {schedule_secs:.1} s ({:.0} invitations/s), spread over {spread:.1} h \
         at {per_hour}/h\n\n",
        wave.asked as f64 / schedule_secs.max(1e-9)
    ));

    // 2. lettre alone: the same number of ready-made messages (at most 5,000).
    let sample = wave.asked.min(5_000);
    let mut rendered = redress_notify::Emails::new(None)?.render_survey_invitation(
        &redress_notify::render::SurveyInvitationView::sample_in(Language::En),
    )?;
    rendered.to_email = "contact@bench.example".into();
    let baseline =
        lettre_alone(settings, &rendered, sample, |i| format!("survey.bench-{i}")).await?;

    // 3. The wave through the outbox, as fast as it falls due, the depth sampled each second.
    let mailer = redress::mailer(&store, settings)?;
    let started = Instant::now();
    let mut depth = Vec::new();
    let mut next_sample = Duration::ZERO;
    loop {
        if started.elapsed() >= next_sample {
            depth.push((
                started.elapsed().as_secs(),
                store.outbox.counts().await?.pending,
            ));
            next_sample += Duration::from_secs(1);
        }
        if mailer.send_due().await? == 0 {
            let pending = store.outbox.counts().await?.pending;
            if pending == 0 {
                break;
            }
            // The rest is not due yet: the wave is spread.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(6 * 3600),
            "the wave did not drain in six hours"
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let counts = store.outbox.counts().await?;
    anyhow::ensure!(
        counts.sent as usize >= wave.asked && counts.pending == 0,
        "not every invitation was sent: {counts:?}"
    );
    let rate = wave.asked as f64 / elapsed;
    report.push_str(&format!(
        "{:<40} {:>10} {:>9}\n{:<40} {:>10.0} {:>8.2}x\n{:<40} {:>10.0} {:>8.2}x\n",
        "phase",
        "emails/s",
        "ratio",
        format!("lettre alone, {sample} messages (baseline)"),
        baseline,
        1.0,
        format!("the wave through the outbox, {}", wave.asked),
        rate,
        rate / baseline,
    ));
    report.push_str("\noutbox depth (pending) while the wave drained, by second:\n");
    let step = (depth.len() / 12).max(1);
    for (second, pending) in depth.iter().step_by(step) {
        report.push_str(&format!("  {second:>6} s  {pending:>8}\n"));
    }
    report.push_str(&peak_memory_line());
    Ok(report)
}
