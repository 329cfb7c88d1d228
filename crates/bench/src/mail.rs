//! The mail benchmark: customer emails through the outbox to a local SMTP server, beside
//! lettre alone, and each email's time from its event to the server's acceptance.

use super::*;

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
    let rendered = redress_notify::Emails::new(None)?.render(
        redress_store::EmailKind::Receipt,
        &redress_notify::EmailView::sample(),
    )?;
    let baseline = lettre_alone(settings, &rendered, emails, |i| {
        format!("BENCH-{i}.1.receipt")
    })
    .await?;
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
                        routing: None,
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

/// The mail settings lettre's baseline builds its messages with (one attempt, no replies).
/// Sends `count` copies of `rendered` with lettre alone to the SMTP server of the settings,
/// each built as the sender builds one (message id from `id`), and returns emails per second:
/// the baseline the outbox is measured against.
pub(crate) async fn lettre_alone(
    settings: &Settings,
    rendered: &redress_notify::Rendered,
    count: usize,
    id: impl Fn(usize) -> String,
) -> anyhow::Result<f64> {
    let transport =
        redress_notify::Transport::smtp(settings.smtp_url.trim(), Duration::from_secs(15))
            .map_err(anyhow::Error::msg)?;
    let mail_settings = baseline_mail_settings(settings);
    let started = Instant::now();
    for i in 0..count {
        let message =
            redress_notify::build_message(&mail_settings, &id(i), None, rendered, &[], Utc::now())
                .map_err(anyhow::Error::msg)?;
        transport
            .send("bench", &message)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

fn baseline_mail_settings(settings: &Settings) -> redress_notify::MailSettings {
    redress_notify::MailSettings {
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
    }
}
