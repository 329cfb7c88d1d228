//! The `redress` binary's library: settings, the serve loop (web server beside the background
//! workers) and demo data. `main.rs` only parses the command line and calls in here.

#![forbid(unsafe_code)]

pub mod demo;
mod demo_accounts;
mod demo_causes;
mod demo_surveys;
mod demo_teams;
pub mod import;
pub mod settings;
mod sign_in_settings;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use redress_domain::{Clock, SystemClock};
use redress_store::{ConnectOptions, Store};
use tokio::sync::watch;

pub use settings::Settings;

/// Pool options from the settings.
pub fn connect_options(settings: &Settings) -> ConnectOptions {
    ConnectOptions {
        max_connections: settings.database_max_connections,
        ..ConnectOptions::default()
    }
}

/// Opens the store (applying migrations) on the wall clock.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    open_store_with_clock(settings, Arc::new(SystemClock)).await
}

/// Opens the store with a given clock.
pub async fn open_store_with_clock(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Store> {
    let mut store = Store::open(
        &settings.database_url,
        &connect_options(settings),
        clock,
        Arc::new(redress_notify::Policy),
    )
    .await
    .with_context(|| {
        format!(
            "cannot open the database at {}",
            redact(&settings.database_url)
        )
    })?;
    store.recovery = store.recovery.with_limit(settings.recovery_score);
    Ok(store)
}

/// A database URL with its password hidden, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The mail sender the settings describe: SMTP when `smtp_url` is set, else `.eml` files
/// under `mail_dir`.
pub fn mailer(store: &Store, settings: &Settings) -> anyhow::Result<redress_notify::Mailer> {
    let templates = Some(settings.mail_templates_dir.trim())
        .filter(|d| !d.is_empty())
        .map(std::path::Path::new);
    let emails = redress_notify::Emails::new(templates).context("the email templates")?;
    let transport = if settings.smtp_url.trim().is_empty() {
        redress_notify::Transport::Directory(settings.mail_dir.clone().into())
    } else {
        let ca = match settings.smtp_ca_file.trim() {
            "" => None,
            path => Some(std::fs::read(path).with_context(|| format!("smtp_ca_file {path}"))?),
        };
        redress_notify::Transport::smtp_trusting(
            settings.smtp_url.trim(),
            Duration::from_secs(15),
            ca.as_deref(),
        )
        .map_err(anyhow::Error::msg)
        .context("smtp_url")?
    };
    let domain =
        redress_notify::MailSettings::domain_of(&settings.mail_from).with_context(|| {
            format!(
                "mail_from {:?} has no domain; write it like Complaints <complaints@example.com>",
                settings.mail_from
            )
        })?;
    settings
        .mail_from
        .parse::<redress_notify::Mailbox>()
        .map_err(|e| {
            anyhow::anyhow!("mail_from {:?} is not an address: {e}", settings.mail_from)
        })?;
    Ok(redress_notify::Mailer::new(
        store.clone(),
        emails,
        transport,
        redress_notify::MailSettings {
            from: settings.mail_from.clone(),
            domain,
            max_attempts: settings.mail_max_attempts.max(1),
            retry_base: Duration::from_secs(settings.mail_retry_seconds.max(1)),
            sender: redress_notify::Sender {
                organisation: settings.organisation.clone(),
                ombudsman: settings.ombudsman.clone(),
                ombudsman_in: redress_domain::Language::ALL
                    .iter()
                    .map(|l| (*l, settings.ombudsman_for(*l)))
                    .collect(),
                reply_to: settings.reply_to(),
                currency: settings.currency()?,
            },
            batch: 50,
            lease: Duration::from_secs(settings.mail_lease_seconds.max(1)),
            public_url: settings.public_url.clone(),
        },
        // The store's clock: sending times agree with event times (and tests can move it).
        store.clock.clone(),
    ))
}

/// The email intake the settings describe, if `imap_url` is set.
pub fn intake_settings(
    settings: &Settings,
) -> anyhow::Result<Option<redress_intake::IntakeSettings>> {
    let url = settings.imap_url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let ca = match settings.imap_ca_file.trim() {
        "" => None,
        path => Some(std::fs::read(path).with_context(|| format!("imap_ca_file {path}"))?),
    };
    let mailbox = redress_intake::MailboxSettings::from_url(url, ca).context("imap_url")?;
    let from = settings
        .mail_from
        .parse::<redress_notify::Mailbox>()
        .map_err(|e| {
            anyhow::anyhow!("mail_from {:?} is not an address: {e}", settings.mail_from)
        })?;
    let our_domain = from.email.domain().to_string();
    let language = redress_domain::Language::parse(settings.intake_language.trim())
        .map_err(|e| anyhow::anyhow!("intake_language: {e}"))?;
    if settings.intake_category.trim().is_empty() {
        anyhow::bail!("intake_category is empty; name the category of complaints by email");
    }
    Ok(Some(redress_intake::IntakeSettings {
        mailbox,
        folder: settings.imap_folder.clone(),
        processed_folder: settings.imap_processed_folder.clone(),
        quarantine_folder: settings.imap_quarantine_folder.clone(),
        poll: Duration::from_secs(settings.imap_poll_seconds.clamp(5, 29 * 60)),
        max_file_bytes: settings
            .intake_max_file_mb
            .max(1)
            .saturating_mul(1024 * 1024),
        max_files: settings.intake_max_files,
        max_message_bytes: settings
            .intake_max_email_mb
            .max(1)
            .saturating_mul(1024 * 1024),
        max_new_per_hour: settings.intake_max_new_per_hour.max(1),
        closed_rule: redress_intake::ClosedRule::parse(&settings.intake_closed_rule)
            .context("intake_closed_rule")?,
        category: settings.intake_category.trim().to_string(),
        language,
        our_domain,
        our_address: from.email.to_string(),
    }))
}

/// Loads demo data unless the store already holds complaints.
pub async fn seed_demo_if_empty(settings: &Settings, count: usize) -> anyhow::Result<bool> {
    let clock = demo::clock();
    let store = open_store_with_clock(settings, clock.clone()).await?;
    if store.projections.event_count().await? > 0 {
        return Ok(false);
    }
    let report = demo::load(&store, &clock, count, 2026).await?;
    demo::create_accounts(&store).await?;
    // Project at the real present: the outbox and the SLA alerts judge what is recent by the
    // clock, and the demo's back-dated clock stops wherever its last complaint left it.
    clock.set(Utc::now());
    store.projections.run_until_idle().await?;
    demo::settle(&store).await?;
    tracing::info!(
        complaints = report.complaints,
        commands = report.commands,
        "demo data loaded"
    );
    store.db.close().await;
    Ok(true)
}

/// How long the audit trail is kept (two years).
pub const AUDIT_DAYS: i64 = 730;

/// Every hour: forgets staff sessions that have expired (the sign-in check refuses them
/// anyway; this keeps the table small), rate-limit windows, failed sign-ins and the API's
/// idempotent answers over a day old, and audit entries older than [`AUDIT_DAYS`].
async fn housekeeping(
    store: Store,
    absolute: chrono::Duration,
    idle: chrono::Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let now = store.clock.now();
        let day_ago = now - chrono::Duration::days(1);
        let results = [
            store.sessions.prune(now - absolute, now - idle).await,
            store.rate_limits.prune(day_ago).await,
            store.accounts.prune_failures(day_ago).await,
            store
                .idempotency
                .prune(now - redress_store::idempotency::KEPT_FOR)
                .await,
            store
                .audit
                .prune(now - chrono::Duration::days(AUDIT_DAYS))
                .await,
        ];
        for error in results.iter().filter_map(|r| r.as_ref().err()) {
            tracing::debug!(%error, "housekeeping failed; trying again in an hour");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60 * 60)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Every hour, while this instance leads the outbox projector: schedules the periodic surveys'
/// wave of the contacts now due, by the rules an admin saved at `/admin/surveys` (else
/// `defaults`, the settings; none when they ask nobody), and wakes the sender.
async fn survey_waves(
    store: Store,
    defaults: redress_store::surveys::SurveyRules,
    mut shutdown: watch::Receiver<bool>,
) {
    let leadership = store.projections.leadership();
    loop {
        if leadership.leads(redress_store::OutboxProjector::NAME) {
            let wave = match store.surveys.rules(defaults).await {
                Ok(r) if r.rules.active() => {
                    store.surveys.schedule(r.rules, store.clock.now()).await
                }
                Ok(_) => Ok(Default::default()),
                Err(error) => Err(error),
            };
            match wave {
                Ok(wave) if wave.asked > 0 => {
                    tracing::info!(asked = wave.asked, last = ?wave.last_send_at, "survey wave scheduled");
                    store.projections.mail_due().notify();
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "the survey wave failed; trying again in an hour")
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60 * 60)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Every five minutes: queues the notification digests that are due and the reminders of
/// key-account meetings due, and wakes the sender.
async fn digests(store: Store, mut shutdown: watch::Receiver<bool>) {
    loop {
        match store.notifications.queue_digests(store.clock.now()).await {
            Ok(0) => {}
            Ok(queued) => {
                tracing::info!(queued, "notification digests queued");
                store.projections.mail_due().notify();
            }
            Err(error) => tracing::debug!(%error, "digests could not be queued; trying again"),
        }
        match store.key_accounts.queue_reminders(store.clock.now()).await {
            Ok(0) => {}
            Ok(queued) => {
                tracing::info!(queued, "reminders of key-account meetings due queued");
                store.projections.mail_due().notify();
            }
            Err(error) => tracing::debug!(%error, "meeting reminders could not be queued"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5 * 60)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// A running server: its address, and a way to stop it.
pub struct Running {
    /// The address it listens on.
    pub address: std::net::SocketAddr,
    /// The store it uses.
    pub store: Store,
    server: actix_web::dev::ServerHandle,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops taking requests, finishes those in flight, stops the workers, and waits.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.server.stop(true).await;
        let _ = self.shutdown.send(true);
        self.task.await.context("the server task panicked")?
    }

    /// Waits until the server stops by itself (SIGINT or SIGTERM), then stops the workers.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("the server task panicked")?
    }
}

/// What a `redress serve` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServeRole {
    /// The web server and the background workers (projectors, mail sender, SLA scheduler).
    #[default]
    All,
    /// The web server only (`--web-only`): another process runs the workers.
    WebOnly,
    /// The workers, with only `/healthz` and `/metrics` on the web port (`--workers-only`).
    WorkersOnly,
}

/// Starts the web server on `listener` and the background workers, with `store`.
pub async fn start(
    listener: TcpListener,
    store: Store,
    settings: &Settings,
) -> anyhow::Result<Running> {
    start_as(listener, store, settings, ServeRole::All).await
}

/// Starts what `role` says on `listener`, with `store`.
pub async fn start_as(
    listener: TcpListener,
    store: Store,
    settings: &Settings,
    role: ServeRole,
) -> anyhow::Result<Running> {
    let address = listener.local_addr()?;
    let mailer = mailer(&store, settings)?;
    let mut intake = intake_settings(settings)?;
    if let Some(intake) = intake.as_mut() {
        // Emails become complaints under a category of the list: one the list does not have
        // would refuse every email, so it stops the start instead, naming the codes.
        intake.category = store
            .categories
            .map()
            .await?
            .accept(&intake.category)
            .map_err(|refused| anyhow::anyhow!("intake_category: {refused}"))?;
    }
    let intake_status = intake
        .as_ref()
        .map(|_| redress_intake::StatusBoard::default());
    let mut web_settings = redress_web::WebSettings::from_store(&store, settings.secure_cookies)
        .await
        .context("cannot read the session key")?;
    web_settings.ops_only = role == ServeRole::WorkersOnly;
    web_settings.intake = intake_status.clone();
    web_settings.sessions = redress_web::auth::SessionLimits {
        idle: chrono::Duration::minutes(settings.session_idle_minutes.max(1)),
        absolute: chrono::Duration::hours(settings.session_absolute_hours.max(1)),
    };
    web_settings.clients = redress_web::security::ClientAddresses {
        trust_forwarded_for: settings.trust_forwarded_for,
    };
    web_settings.api_per_minute = settings.api_requests_per_minute.max(1);
    web_settings.retention_days = settings.retention_days;
    web_settings.currency = settings.currency()?;
    web_settings.sign_in = settings.sign_in()?;
    web_settings.survey_defaults = settings.survey_rules();
    web_settings.key_account_risk = redress_store::key_accounts::RiskRules {
        no_contact_months: settings.key_account_contact_months.clamp(1, 120),
        // Low as recovery counts it; with recovery off, the default's 2.
        low_score: match settings.recovery_score {
            0 => redress_store::recovery::DEFAULT_LIMIT,
            limit => limit.min(redress_store::recovery::MAX_LIMIT),
        },
    };
    web_settings.uploads = redress_web::uploads::UploadLimits {
        max_file_bytes: usize::try_from(settings.upload_max_file_mb.clamp(1, 1024))
            .unwrap_or(10)
            .saturating_mul(1024 * 1024),
        max_files: settings
            .upload_max_files
            .clamp(1, redress_domain::MAX_FILES),
    };
    let server = redress_web::serve(listener, store.clone(), web_settings)?;
    let handle = server.handle();
    let (shutdown, shutdown_rx) = watch::channel(false);
    if role == ServeRole::WebOnly {
        let stop_workers = shutdown.clone();
        let task = tokio::spawn(async move {
            let served = server.await;
            let _ = stop_workers.send(true);
            tracing::info!("stopped");
            served.context("the web server failed")
        });
        return Ok(Running {
            address,
            store,
            server: handle,
            shutdown,
            task,
        });
    }
    let poll = Duration::from_millis(settings.projector_poll_ms.max(10));
    let projections = store.projections.clone();
    let signal = store.signal.clone();
    let workers = tokio::spawn(projections.run(signal, poll, shutdown_rx.clone()));
    let notifier = {
        let store = store.clone();
        let shutdown_rx = shutdown_rx.clone();
        tokio::spawn(async move { store.forward_notifications(shutdown_rx).await })
    };
    let sender = tokio::spawn(mailer.run(
        store.projections.mail_due(),
        poll.max(Duration::from_millis(500)),
        shutdown_rx.clone(),
    ));
    // Webhooks: woken when the projector queues deliveries; retries fall due on the poll.
    let hooks = redress_notify::webhooks::WebhookSender::new(
        store.clone(),
        redress_notify::webhooks::WebhookSettings {
            timeout: Duration::from_secs(settings.webhook_timeout_seconds.clamp(1, 300)),
            retry_base: chrono::Duration::milliseconds(
                i64::try_from(settings.webhook_retry_ms.clamp(10, 3_600_000)).unwrap_or(10_000),
            ),
            max_failures: settings.webhook_max_failures.max(1),
            ..Default::default()
        },
    )
    .context("cannot make the webhook sender's HTTP client")?;
    let webhooks = tokio::spawn(
        hooks.run(
            store.projections.webhooks_due(),
            poll.max(Duration::from_millis(100))
                .min(Duration::from_millis(500)),
            shutdown_rx.clone(),
        ),
    );
    // Wakes at the next at-risk moment or due time, after every batch of the sla projector,
    // and at least every 30 s.
    let scheduler = tokio::spawn(store.sla.clone().run(
        store.projections.sla_moved(),
        Duration::from_secs(30),
        shutdown_rx.clone(),
        store.projections.leadership(),
    ));
    // Service recovery: woken when the projector queues a low score, and every 30 s.
    let recovery = tokio::spawn(store.recovery.clone().run(
        store.projections.recovery_due(),
        Duration::from_secs(30),
        shutdown_rx.clone(),
        store.projections.leadership(),
    ));
    // Daily: personal data past its retention period, and expired sessions and rate-limit
    // windows (one instance at a time).
    let retention = tokio::spawn(
        store
            .retention
            .clone()
            .run(settings.retention_days, shutdown_rx.clone()),
    );
    // Every few minutes: the daily digests of notifications that are due (queued once per
    // person and day, whichever instance gets there first).
    let digests = tokio::spawn(digests(store.clone(), shutdown_rx.clone()));
    // Hourly, on the instance leading the outbox: a wave of periodic surveys, if one is due.
    let waves = tokio::spawn(survey_waves(
        store.clone(),
        settings.survey_rules(),
        shutdown_rx.clone(),
    ));
    let housekeeping = tokio::spawn(housekeeping(
        store.clone(),
        chrono::Duration::hours(settings.session_absolute_hours.max(1)),
        chrono::Duration::minutes(settings.session_idle_minutes.max(1)),
        shutdown_rx.clone(),
    ));
    // One instance at a time reads the mailbox; the others stand by.
    let reader = match (intake, intake_status) {
        (Some(intake), Some(status)) => Some(tokio::spawn(
            redress_intake::Intake::new(store.clone(), intake, status).run(shutdown_rx.clone()),
        )),
        _ => None,
    };
    let stop_workers = shutdown.clone();
    let task = tokio::spawn(async move {
        let served = server.await;
        let _ = stop_workers.send(true);
        let _ = workers.await;
        let _ = notifier.await;
        let _ = sender.await;
        let _ = webhooks.await;
        let _ = scheduler.await;
        let _ = recovery.await;
        let _ = waves.await;
        let _ = digests.await;
        if let Some(reader) = reader {
            let _ = reader.await;
        }
        let _ = retention.await;
        let _ = housekeeping.await;
        tracing::info!("stopped: requests finished, workers at their checkpoints");
        served.context("the web server failed")
    });
    Ok(Running {
        address,
        store,
        server: handle,
        shutdown,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden_in_database_urls() {
        assert_eq!(
            redact("postgres://redress:s3cret@db:5432/redress"),
            "postgres://redress:***@db:5432/redress"
        );
        assert_eq!(
            redact("sqlite://data/redress.db"),
            "sqlite://data/redress.db"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }
}
