//! The sender: claims due outbox rows, renders each from its complaint's events, sends it
//! over SMTP (or writes it to a directory when no SMTP server is configured) and records the
//! result. A failure is retried with exponential backoff; after the configured attempts the
//! message is dead and listed for admins, who may send it again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use redress_domain::Clock;
use redress_store::outbox::{Claimed, message_id, thread_id};
use redress_store::projection::EventSignal;
use redress_store::{EmailKind, Store, StoreError};
use tokio::sync::watch;

use crate::render::{AlertView, EmailView, Emails, RenderError, Rendered, Sender, one_line};

/// How mail leaves.
pub enum Transport {
    /// An SMTP server (plain, STARTTLS or TLS, with or without authentication: see
    /// [`Transport::smtp`]).
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
    /// A directory: each message becomes `ID.eml` (the embedded default, for demos).
    Directory(PathBuf),
}

impl Transport {
    /// An SMTP transport from a URL: `smtp://HOST:PORT` (plain), `smtp://HOST:PORT?tls=required`
    /// (STARTTLS), `smtps://HOST:PORT` (TLS); `USER:PASSWORD@` before the host authenticates.
    pub fn smtp(url: &str, timeout: Duration) -> Result<Self, String> {
        Self::smtp_trusting(url, timeout, None)
    }

    /// Like [`Transport::smtp`], trusting the certificate authority in `ca_pem` (a PEM file's
    /// contents) for the server's TLS, beside the usual public roots: for a relay with a
    /// private CA or a self-signed certificate.
    pub fn smtp_trusting(
        url: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, String> {
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL is not usable: {e}"))?;
        if let Some(pem) = ca_pem {
            let parsed =
                url::Url::parse(url).map_err(|e| format!("the SMTP URL is not usable: {e}"))?;
            let host = parsed
                .host_str()
                .ok_or("the SMTP URL is not usable: it names no host")?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let certificate = Certificate::from_pem(pem)
                .map_err(|e| format!("the SMTP CA certificate is not usable: {e}"))?;
            let parameters = TlsParameters::builder(host)
                .add_root_certificate(certificate)
                .build_rustls()
                .map_err(|e| format!("the SMTP TLS settings are not usable: {e}"))?;
            let tls_query = parsed
                .query_pairs()
                .find(|(k, _)| k == "tls")
                .map(|(_, v)| v.into_owned());
            let tls = match (parsed.scheme(), tls_query.as_deref()) {
                ("smtps", _) => Tls::Wrapper(parameters),
                (_, Some("required")) => Tls::Required(parameters),
                (_, Some("opportunistic")) => Tls::Opportunistic(parameters),
                _ => {
                    return Err(
                        "a CA certificate is set, but the SMTP URL asks for no TLS: use smtps:// or ?tls=required"
                            .into(),
                    );
                }
            };
            builder = builder.tls(tls);
        }
        Ok(Transport::Smtp(
            builder.timeout(Some(timeout)).build(),
            timeout * 2,
        ))
    }

    /// Sends one message; `id` names the file in directory mode.
    pub async fn send(&self, id: &str, message: &Message) -> Result<(), String> {
        match self {
            // lettre's own timeout covers each read, not a whole exchange: a server that stops
            // answering mid-exchange (seen after a refused AUTH) must not hold the sender.
            Transport::Smtp(smtp, limit) => {
                match tokio::time::timeout(*limit, smtp.send(message.clone())).await {
                    Ok(sent) => sent.map(|_| ()).map_err(|e| e.to_string()),
                    Err(_) => Err(format!(
                        "the SMTP server did not finish the exchange within {} s",
                        limit.as_secs()
                    )),
                }
            }
            Transport::Directory(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let file = dir.join(format!("{id}.eml"));
                let partial = dir.join(format!(".{id}.eml.partial"));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
                tokio::fs::rename(&partial, &file)
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", file.display()))
            }
        }
    }
}

/// The mail settings the sender needs.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The From address, e.g. `Complaints <complaints@example.com>`.
    pub from: String,
    /// Message-IDs end in `@domain`.
    pub domain: String,
    /// Attempts before a message is dead.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles (at most six hours).
    pub retry_base: Duration,
    /// The organisation and its ombudsman.
    pub sender: Sender,
    /// Messages claimed at once.
    pub batch: i64,
    /// How long a claim lasts before another sender may take the message.
    pub lease: Duration,
    /// Where customers reach Redress (status links start with it), e.g. `https://complaints.example.com`.
    pub public_url: String,
}

impl MailSettings {
    /// The domain of an address like `Name <local@domain>`.
    pub fn domain_of(from: &str) -> Option<String> {
        let address = from
            .rsplit_once('<')
            .map(|(_, a)| a.trim_end_matches('>'))
            .unwrap_or(from);
        address
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_lowercase())
            .filter(|d| !d.is_empty())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): our mail is not a person writing, so
/// well-behaved auto-responders do not answer it.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// Builds the message: multipart text and HTML, threaded under the complaint's receipt.
pub fn build_message(
    settings: &MailSettings,
    id: &str,
    reference: &str,
    kind: EmailKind,
    mail: &Rendered,
    date: DateTime<Utc>,
) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("the From address {:?} is not usable: {e}", settings.from))?;
    let address = mail
        .to_email
        .parse()
        .map_err(|e| format!("the customer's address is not usable: {e}"))?;
    let to = Mailbox::new(Some(one_line(&mail.to_name)), address);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&mail.subject))
        .date(date.into())
        .message_id(Some(format!("<{}>", message_id(id, &settings.domain))))
        .header(AutoSubmitted);
    if kind != EmailKind::Receipt {
        let thread = format!("<{}>", thread_id(reference, &settings.domain));
        builder = builder.in_reply_to(thread.clone()).references(thread);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| format!("the message cannot be built: {e}"))
}

/// Builds a staff alert: text and HTML, to every recipient.
pub fn build_alert(
    settings: &MailSettings,
    id: &str,
    mail: &Rendered,
    to: &[(String, String)],
    date: DateTime<Utc>,
) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("the From address {:?} is not usable: {e}", settings.from))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(one_line(&mail.subject))
        .date(date.into())
        .message_id(Some(format!("<{}>", message_id(id, &settings.domain))))
        .header(AutoSubmitted);
    for (name, email) in to {
        let address = email
            .parse()
            .map_err(|e| format!("the staff address {email:?} is not usable: {e}"))?;
        builder = builder.to(Mailbox::new(Some(one_line(name)), address));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| format!("the message cannot be built: {e}"))
}

/// Sends what the outbox holds.
#[derive(Clone)]
pub struct Mailer {
    store: Store,
    emails: Arc<Emails>,
    transport: Arc<Transport>,
    settings: MailSettings,
    clock: Arc<dyn Clock>,
}

impl Mailer {
    /// A sender over `store`'s outbox.
    pub fn new(
        store: Store,
        emails: Emails,
        transport: Transport,
        settings: MailSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            emails: Arc::new(emails),
            transport: Arc::new(transport),
            settings,
            clock,
        }
    }

    /// When a message that has failed `attempts` times is tried again; `None` once it has
    /// had all its attempts.
    pub fn retry_at(&self, attempts: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempts >= i64::from(self.settings.max_attempts) {
            return None;
        }
        let doublings = attempts.clamp(1, 20) as u32 - 1;
        let delay = self
            .settings
            .retry_base
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(Duration::from_secs(6 * 3600));
        Some(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(6)))
    }

    /// Claims one batch of due messages and delivers each. Returns how many it claimed.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        let lease =
            chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::minutes(2));
        let claimed = self
            .store
            .outbox
            .claim(self.clock.now(), lease, self.settings.batch)
            .await?;
        for mut message in claimed.iter().cloned() {
            // A batch can outlast its lease (a slow SMTP server): each message's lease is
            // renewed just before it is sent, and one claimed by another sender since is left.
            if !self
                .store
                .outbox
                .renew(&mut message, self.clock.now(), lease)
                .await?
            {
                tracing::info!(id = %message.row.id, "lease lost to another sender; leaving it");
                continue;
            }
            self.deliver(&message).await?;
        }
        Ok(claimed.len())
    }

    /// Renders and sends one claimed message, and records what happened.
    pub async fn deliver(&self, claimed: &Claimed) -> Result<(), StoreError> {
        if claimed.kind.is_for_staff() {
            return self.deliver_alert(claimed).await;
        }
        let id = &claimed.row.id;
        let events = self.store.complaints.events_of(&claimed.reference).await?;
        let key = self.store.vault.key(claimed.customer).await?;
        let index = usize::try_from(claimed.row.sequence - 1).unwrap_or(usize::MAX);
        let view = EmailView::of(
            &events,
            claimed.kind,
            index,
            claimed.customer,
            key.as_ref(),
            &self.settings.sender,
        );
        let rendered = view.and_then(|mut view| {
            let token = self.store.links.token(
                &claimed.reference,
                self.clock.now() + redress_store::links::LINK_LIFETIME,
            );
            view.status_link = Some(format!(
                "{}/status/{token}",
                self.settings.public_url.trim_end_matches('/')
            ));
            self.emails.render(claimed.kind, &view)
        });
        let message = match rendered {
            Err(RenderError::Erased) => {
                return self
                    .store
                    .outbox
                    .cancel(id, "The customer's personal data was erased.")
                    .await;
            }
            Err(error) => Err(error.to_string()),
            Ok(mail) => build_message(
                &self.settings,
                id,
                claimed.reference.as_str(),
                claimed.kind,
                &mail,
                self.clock.now(),
            ),
        };
        self.send_and_record(claimed, message).await
    }

    /// Sends a built message (or records why it could not be built) and records the result.
    async fn send_and_record(
        &self,
        claimed: &Claimed,
        message: Result<Message, String>,
    ) -> Result<(), StoreError> {
        let id = &claimed.row.id;
        let sent = match message {
            Ok(message) => self.transport.send(id, &message).await,
            Err(error) => Err(error),
        };
        let now = self.clock.now();
        match sent {
            Ok(()) => {
                tracing::debug!(%id, "email sent");
                self.record_sent(id, now).await
            }
            Err(error) => {
                let retry = self.retry_at(claimed.row.attempts, now);
                match retry {
                    Some(at) => {
                        tracing::warn!(%id, attempts = claimed.row.attempts, %error, retry_at = %at, "email failed; will retry")
                    }
                    None => {
                        tracing::error!(%id, attempts = claimed.row.attempts, %error, "email failed for the last time; it is dead")
                    }
                }
                self.store.outbox.mark_failed(id, &error, retry).await
            }
        }
    }

    /// Records a message the server accepted as sent. If the database cannot be reached just
    /// then, this keeps trying for as long as the lease holds (the message stays claimed):
    /// giving up at once would have it sent again once the database is back.
    async fn record_sent(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let deadline = std::time::Instant::now() + self.settings.lease;
        let mut pause = Duration::from_millis(100);
        loop {
            match self.store.outbox.mark_sent(id, at).await {
                Err(error)
                    if error.is_unavailable() && std::time::Instant::now() + pause < deadline =>
                {
                    tracing::warn!(%id, %error, "sent, but cannot record it yet; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    /// Sends an SLA alert to the complaint's owner now (or, with no active owner, to the
    /// team's active managers, or failing them its admins). An at-risk alert whose clock
    /// was met or breached before it could go out is cancelled: the breach alert or nothing
    /// takes its place.
    async fn deliver_alert(&self, claimed: &Claimed) -> Result<(), StoreError> {
        use redress_domain::SlaClock;
        use redress_store::Role;
        let id = &claimed.row.id;
        let reference = claimed.reference.as_str();
        let run = id.split('.').nth(1).and_then(|part| {
            let mut pieces = part.strip_prefix("sla-")?.rsplitn(2, '-');
            let cycle: u32 = pieces.next()?.parse().ok()?;
            Some((SlaClock::parse(pieces.next()?)?, cycle))
        });
        let Some((clock, cycle)) = run else {
            return self.store.outbox.cancel(id, "Not an SLA alert id.").await;
        };
        let Some((sla, policy)) = self.store.sla.of_complaint(reference).await? else {
            return self
                .store
                .outbox
                .cancel(id, "The complaint has no SLA clocks.")
                .await;
        };
        let state = sla.clock(clock);
        if claimed.kind == EmailKind::SlaAtRisk
            && (state.cycle != cycle || !state.is_open() || state.breached_at.is_some())
        {
            return self
                .store
                .outbox
                .cancel(
                    id,
                    "The clock was met or breached before the alert went out.",
                )
                .await;
        }
        let mut to = Vec::new();
        if let Some(owner) = &sla.owner
            && let Some(account) = self.store.accounts.get(owner.id).await?
            && account.active
        {
            to.push((account.name, account.email));
        }
        if to.is_empty() {
            let accounts = self.store.accounts.list().await?;
            for role in [Role::Manager, Role::Admin] {
                to.extend(
                    accounts
                        .iter()
                        .filter(|a| a.active && a.role == role)
                        .map(|a| (a.name.clone(), a.email.clone())),
                );
                if !to.is_empty() {
                    break;
                }
            }
        }
        if to.is_empty() {
            return self
                .store
                .outbox
                .cancel(id, "There is no active owner, manager or admin to tell.")
                .await;
        }
        let summary = self
            .store
            .complaint_list
            .get(reference)
            .await?
            .map(|row| row.summary)
            .unwrap_or_default();
        // A breach alert tells of its own run (a later run may have started since).
        let due = if claimed.kind == EmailKind::SlaBreach {
            self.store
                .sla
                .breach(reference, clock, cycle)
                .await?
                .map(|b| b.due_at)
        } else {
            state.due_at
        };
        let Some(due) = due else {
            return self
                .store
                .outbox
                .cancel(id, "The breach was taken back: the clock was met in time.")
                .await;
        };
        let view = AlertView {
            subject: String::new(),
            to_name: if to.len() == 1 {
                to[0].0.clone()
            } else {
                "team".into()
            },
            to: to.iter().map(|(_, email)| email.clone()).collect(),
            reference: reference.to_string(),
            summary,
            clock: clock.label().into(),
            rule: clock.rule().into(),
            target: state.target.map(|t| t.to_string()).unwrap_or_default(),
            due: due
                .with_timezone(&policy.calendar.time_zone)
                .format("%a %-d %b %Y %H:%M")
                .to_string(),
            time_zone: policy.calendar.time_zone.name().to_string(),
            priority: sla.priority.label().into(),
            tier: sla.tier.label().into(),
            owner: sla.owner.as_ref().map(|o| o.name.clone()),
            link: format!(
                "{}/complaints/{reference}",
                self.settings.public_url.trim_end_matches('/')
            ),
            organisation: self.settings.sender.organisation.clone(),
        };
        let message = self
            .emails
            .render_alert(claimed.kind, &view)
            .map_err(|e| e.to_string())
            .and_then(|mail| build_alert(&self.settings, id, &mail, &to, self.clock.now()));
        self.send_and_record(claimed, message).await
    }

    /// Sends until shut down: woken when projectors write (new outbox rows), and every `poll`
    /// for retries that fall due.
    pub async fn run(self, wake: EventSignal, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut wake = wake.subscribe();
        let mut failures = 0u32;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let pause = loop {
                match self.send_due().await {
                    Ok(n) if n as i64 >= self.settings.batch => continue,
                    Ok(_) => {
                        failures = 0;
                        break poll;
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(%error, failures, "the mail sender cannot reach the outbox; retrying");
                        break poll.min(Duration::from_millis(200 * 2u64.pow(failures.min(6))));
                    }
                }
            };
            tokio::select! {
                _ = wake.changed() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> MailSettings {
        MailSettings {
            from: "Complaints <complaints@redress.example>".into(),
            domain: "redress.example".into(),
            max_attempts: 4,
            retry_base: Duration::from_secs(30),
            sender: Sender {
                organisation: "Redress".into(),
                ombudsman: "the Ombudsman".into(),
            },
            batch: 10,
            lease: Duration::from_secs(60),
            public_url: "https://complaints.example".into(),
        }
    }

    fn rendered(name: &str, subject: &str) -> Rendered {
        Rendered {
            subject: subject.into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            to_name: name.into(),
            to_email: "ana@example.com".into(),
        }
    }

    #[test]
    fn a_message_threads_under_its_receipt_and_carries_both_parts() {
        let now = Utc::now();
        let message = build_message(
            &settings(),
            "RDR-7KX4-9PQM.4.owner",
            "RDR-7KX4-9PQM",
            EmailKind::Owner,
            &rendered("Ana Pop", "Your complaint RDR-7KX4-9PQM"),
            now,
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("Message-ID: <RDR-7KX4-9PQM.4.owner@redress.example>"));
        assert!(text.contains("In-Reply-To: <RDR-7KX4-9PQM.1.receipt@redress.example>"));
        assert!(text.contains("References: <RDR-7KX4-9PQM.1.receipt@redress.example>"));
        assert!(text.contains("Auto-Submitted: auto-generated"));
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("text/plain") && text.contains("text/html"));
    }

    #[test]
    fn nothing_people_write_can_add_a_header() {
        let message = build_message(
            &settings(),
            "RDR-7KX4-9PQM.1.receipt",
            "RDR-7KX4-9PQM",
            EmailKind::Receipt,
            &rendered(
                "Ana\r\nBcc: evil@example.com",
                "Hi\r\nBcc: evil@example.com\r\n\r\nbody",
            ),
            Utc::now(),
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        assert!(!headers.lines().any(|l| l.starts_with("Bcc:")), "{headers}");
        assert!(
            !headers.contains("In-Reply-To"),
            "a receipt starts the thread"
        );
    }

    #[tokio::test]
    async fn smtp_urls_name_plain_starttls_or_tls_with_or_without_credentials() {
        for url in [
            "smtp://127.0.0.1:25",
            "smtp://user:secret@mail.example.com:587?tls=required",
            "smtps://user:secret@mail.example.com:465",
        ] {
            assert!(
                Transport::smtp(url, Duration::from_secs(5)).is_ok(),
                "{url}"
            );
        }
        for bad in ["http://mail.example.com", "mail.example.com", ""] {
            let error = Transport::smtp(bad, Duration::from_secs(5)).err().unwrap();
            assert!(error.contains("SMTP URL"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_domain_comes_from_the_from_address() {
        assert_eq!(
            MailSettings::domain_of("Complaints <Complaints@Example.COM>").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            MailSettings::domain_of("a@b.example").as_deref(),
            Some("b.example")
        );
        assert_eq!(MailSettings::domain_of("nobody"), None);
    }
}
