//! The sender: claims due outbox rows, renders each from its complaint's events, sends it
//! over SMTP (or writes it to a directory when no SMTP server is configured) and records the
//! result. A failure is retried with exponential backoff; after the configured attempts the
//! message is dead and listed for admins, who may send it again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::Message;
use redress_domain::{Clock, Language};
use redress_store::outbox::Claimed;
use redress_store::projection::EventSignal;
use redress_store::{Delivery, EmailKind, NotificationKind, SentCopy, Store, StoreError};
use tokio::sync::watch;

use crate::message::{FileToSend, build_alert, build_message, copy_of};
use crate::render::{
    AlertView, EmailView, Emails, NoticeItem, NoticeView, RenderError, ResetView, clock_label,
    in_languages, priority_label, promised_date, staff_headline, staff_language, staff_text,
    staff_time, target_words, tier_label,
};
use crate::settings::MailSettings;
use crate::transport::Transport;

mod no_complaint;

/// A member of staff an email goes to: their name, address and the language they read.
type Recipient = (String, String, Language);

/// The names and addresses of `to`, for the message's `To`.
fn addresses(to: &[Recipient]) -> Vec<(String, String)> {
    to.iter()
        .map(|(name, email, _)| (name.clone(), email.clone()))
        .collect()
}

/// Whom a staff email greets, in `lang`: the one recipient by name, several as the team.
fn greeted(to: &[Recipient], lang: Language) -> String {
    match to {
        [(name, _, _)] => name.clone(),
        _ => staff_text(lang, "staff-team", &[]),
    }
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
        match claimed.kind {
            EmailKind::Notification => return self.deliver_notification(claimed).await,
            EmailKind::Digest => return self.deliver_digest(claimed).await,
            EmailKind::PasswordReset => return self.deliver_password_reset(claimed).await,
            EmailKind::WebhookSwitchedOff => return self.deliver_webhook_off(claimed).await,
            EmailKind::MeetingDue => return self.deliver_meeting_due(claimed).await,
            EmailKind::SurveyInvitation => return self.deliver_survey(claimed).await,
            kind if kind.is_for_staff() => return self.deliver_alert(claimed).await,
            _ => {}
        }
        let id = &claimed.row.id;
        let Some(reference) = &claimed.reference else {
            return self
                .store
                .outbox
                .cancel(id, "The email names no complaint.")
                .await;
        };
        let events = self.store.complaints.events_of(reference).await?;
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
        // The files a reply carries, read from the store (sealed with the customer's key).
        let mut files: Vec<FileToSend> = Vec::new();
        if let Some(redress_domain::ComplaintEvent {
            change: redress_domain::ComplaintChange::ReplySent { attachments, .. },
            ..
        }) = events.get(index)
            && let Some(key) = key.as_ref()
        {
            for file in attachments {
                let name = key
                    .open(claimed.customer, &file.name)
                    .unwrap_or_else(|_| "file".into());
                match self.store.attachments.open(file.id).await? {
                    Some(Ok(opened)) => {
                        files.push((name, file.content_type.clone(), opened.bytes));
                    }
                    Some(Err(redress_store::OpenError::Erased)) => {
                        return self
                            .store
                            .outbox
                            .cancel(id, "The customer's personal data was erased.")
                            .await;
                    }
                    _ => {
                        let error = format!("the file {name} is missing from the store");
                        let retry = self.retry_at(claimed.row.attempts, self.clock.now());
                        return self
                            .store
                            .outbox
                            .mark_failed(id, &error, self.clock.now(), retry)
                            .await;
                    }
                }
            }
        }
        // Threaded under the complaint's first email the customer has (or is about to).
        let thread = self
            .store
            .outbox
            .thread_of(reference.as_str(), claimed.row.sequence)
            .await?;
        let rendered = view.and_then(|mut view| {
            let token = self.store.links.token(
                reference,
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
            Err(RenderError::NoAddress) => {
                return self
                    .store
                    .outbox
                    .cancel(
                        id,
                        "The customer gave no email address; nothing is sent (the staff's calls keep them informed).",
                    )
                    .await;
            }
            Err(error) => Err(error.to_string()),
            Ok(mail) => build_message(
                &self.settings,
                id,
                thread.as_deref(),
                &mail,
                &files,
                self.clock.now(),
            )
            .map(|message| {
                let copy = copy_of(&message, &mail, &files);
                (message, copy)
            }),
        };
        let (message, copy) = match message {
            Ok((message, copy)) => (Ok(message), Some(copy)),
            Err(error) => (Err(error), None),
        };
        let id = id.clone();
        let customer = claimed.customer;
        // The copy is kept once the server has accepted the email and before it is recorded
        // as sent: whoever sees it sent can open it as it was sent.
        let keep = async {
            if let (Some(copy), Some(key)) = (copy, key.as_ref()) {
                self.keep_copy(&id, customer, key, &copy).await;
            }
        };
        self.send_and_record_then(claimed, message, keep).await?;
        Ok(())
    }

    /// Keeps a copy of a sent email to a customer, sealed with their key, for staff to open
    /// from the timeline. The email is sent already: a failure here is logged, not retried.
    async fn keep_copy(
        &self,
        id: &str,
        customer: redress_domain::CustomerId,
        key: &redress_store::vault::SealingKey,
        copy: &SentCopy,
    ) {
        let sealed = match serde_json::to_vec(copy) {
            Ok(json) => key.seal_bytes(customer, &json),
            Err(error) => {
                tracing::warn!(%id, %error, "the copy of a sent email cannot be serialised");
                return;
            }
        };
        if let Err(error) = self
            .store
            .outbox
            .keep_copy(id, customer, &sealed, self.clock.now())
            .await
        {
            tracing::warn!(%id, %error, "the copy of a sent email could not be kept");
        }
    }

    /// Sends a built message (or records why it could not be built) and records the result.
    /// Returns whether it was sent.
    async fn send_and_record(
        &self,
        claimed: &Claimed,
        message: Result<Message, String>,
    ) -> Result<bool, StoreError> {
        self.send_and_record_then(claimed, message, async {}).await
    }

    /// As [`Self::send_and_record`], doing `after_sending` once the server has accepted the
    /// message and before it is recorded as sent.
    async fn send_and_record_then(
        &self,
        claimed: &Claimed,
        message: Result<Message, String>,
        after_sending: impl std::future::Future<Output = ()>,
    ) -> Result<bool, StoreError> {
        let id = &claimed.row.id;
        let sent = match message {
            // The whole chain of causes is what the outbox records and the log says.
            Ok(message) => self
                .transport
                .send(id, &message)
                .await
                .map_err(|e| redress_store::chain(&e)),
            Err(error) => Err(error),
        };
        let now = self.clock.now();
        match sent {
            Ok(()) => {
                tracing::debug!(%id, "email sent");
                after_sending.await;
                self.record_sent(id, now).await.map(|()| true)
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
                self.store
                    .outbox
                    .mark_failed(id, &error, now, retry)
                    .await
                    .map(|()| false)
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
        let id = &claimed.row.id;
        let Some(reference) = claimed.reference.as_ref().map(|r| r.as_str()) else {
            return self
                .store
                .outbox
                .cancel(id, "The alert names no complaint.")
                .await;
        };
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
        let owner = sla
            .owner
            .as_ref()
            .map(|o| o.id)
            .or(sla.team.as_ref().map(|t| t.id));
        let told = if claimed.kind == EmailKind::SlaBreach {
            NotificationKind::SlaBreach
        } else {
            NotificationKind::SlaAtRisk
        };
        let to = match self.recipients(owner, told).await? {
            Ok(to) => to,
            Err(why) => return self.store.outbox.cancel(id, why).await,
        };
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
        let due = due.with_timezone(&policy.calendar.time_zone);
        // The clock's rule stays in English (it is the policy's own sentence).
        let view = |lang: Language| AlertView {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: greeted(&to, lang),
            to: to.iter().map(|(_, email, _)| email.clone()).collect(),
            reference: reference.to_string(),
            summary: summary.clone(),
            clock: clock_label(clock, lang),
            rule: clock.rule().into(),
            target: match (state.target, state.deadline) {
                (Some(target), _) => target_words(target, lang),
                (None, Some(date)) => promised_date(date, lang),
                (None, None) => String::new(),
            },
            due: staff_time(&due, lang, false),
            time_zone: policy.calendar.time_zone.name().to_string(),
            priority: priority_label(sla.priority, lang),
            tier: tier_label(sla.tier, lang),
            owner: sla.owner.as_ref().map(|o| o.name.clone()),
            link: format!(
                "{}/complaints/{reference}",
                self.settings.public_url.trim_end_matches('/')
            ),
            organisation: self.settings.sender.organisation.clone(),
        };
        let mailboxes = addresses(&to);
        let message = in_languages(to.iter().map(|(_, _, lang)| *lang), |lang| {
            self.emails.render_alert(claimed.kind, &view(lang))
        })
        .map_err(|e| e.to_string())
        .and_then(|mail| build_alert(&self.settings, id, &mail, &mailboxes, self.clock.now()));
        self.send_and_record(claimed, message).await.map(|_| ())
    }

    /// Who an email to staff goes to: `to` when it is an active account; when it is a team
    /// (a complaint nobody owns), the team's active members, or for SLA alerts its active
    /// managers; failing all of them, the active managers, failing them the admins. Each only
    /// if they take this kind by email at once. Each comes with the language they read (their
    /// account's, English when they have not chosen). `Err`: why nobody is told now.
    async fn recipients(
        &self,
        to: Option<uuid::Uuid>,
        kind: NotificationKind,
    ) -> Result<Result<Vec<Recipient>, &'static str>, StoreError> {
        use redress_store::Role;
        let mut people = Vec::new();
        if let Some(to) = to.filter(|o| !o.is_nil()) {
            if let Some(account) = self.store.accounts.get(to).await? {
                if account.active {
                    people.push(account);
                }
            } else if let Some(team) = self.store.teams.get(to).await? {
                let sla = matches!(
                    kind,
                    NotificationKind::SlaAtRisk | NotificationKind::SlaBreach
                );
                for member in team
                    .members
                    .iter()
                    .filter(|m| m.active && (m.manager || !sla))
                {
                    if let Some(account) = self.store.accounts.get(member.account_id).await? {
                        people.push(account);
                    }
                }
            }
        }
        if people.is_empty() {
            let accounts = self.store.accounts.list().await?;
            for role in [Role::Manager, Role::Admin] {
                people.extend(
                    accounts
                        .iter()
                        .filter(|a| a.active && a.role == role)
                        .cloned(),
                );
                if !people.is_empty() {
                    break;
                }
            }
        }
        if people.is_empty() {
            return Ok(Err("There is no active owner, manager or admin to tell."));
        }
        let mut to = Vec::new();
        for person in people {
            if self.store.notifications.preference(person.id, kind).await? == Delivery::Instant {
                let language = staff_language(person.language.as_deref());
                to.push((person.name, person.email, language));
            }
        }
        if to.is_empty() {
            return Ok(Err(
                "Nobody to tell takes this by email at once (digest or none).",
            ));
        }
        Ok(Ok(to))
    }

    /// Sends a notification to the staff member it names (or the managers).
    async fn deliver_notification(&self, claimed: &Claimed) -> Result<(), StoreError> {
        let id = &claimed.row.id;
        let notification_id = id.strip_prefix("notify.").unwrap_or(id);
        let Some((recipient, notification)) = self.store.notifications.get(notification_id).await?
        else {
            return self
                .store
                .outbox
                .cancel(id, "The notification is gone.")
                .await;
        };
        let Some(kind) = NotificationKind::from_code(&notification.kind) else {
            return self
                .store
                .outbox
                .cancel(id, "Not a kind of notification.")
                .await;
        };
        let to = match self.recipients(Some(recipient), kind).await? {
            Ok(to) => to,
            Err(why) => return self.store.outbox.cancel(id, why).await,
        };
        let view = |lang: Language| NoticeView {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: greeted(&to, lang),
            items: vec![self.item(&notification, chrono_tz::UTC, lang)],
            preferences_link: self.link("/account#notifications"),
            organisation: self.settings.sender.organisation.clone(),
        };
        let mailboxes = addresses(&to);
        let message = in_languages(to.iter().map(|(_, _, lang)| *lang), |lang| {
            self.emails
                .render_notice(EmailKind::Notification, &view(lang))
        })
        .map_err(|e| e.to_string())
        .and_then(|mail| build_alert(&self.settings, id, &mail, &mailboxes, self.clock.now()));
        self.send_and_record(claimed, message).await.map(|_| ())
    }

    /// Sends a member of staff their daily digest.
    async fn deliver_digest(&self, claimed: &Claimed) -> Result<(), StoreError> {
        let id = &claimed.row.id;
        let Some((staff, day)) = redress_store::notifications::parse_digest_id(id) else {
            return self.store.outbox.cancel(id, "Not a digest id.").await;
        };
        let Some(account) = self.store.accounts.get(staff).await?.filter(|a| a.active) else {
            return self
                .store
                .outbox
                .cancel(id, "The account is gone or inactive.")
                .await;
        };
        let zone: chrono_tz::Tz = account
            .time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        let items = self
            .store
            .notifications
            .digest(staff, account.role, zone, day)
            .await?;
        if items.is_empty() {
            return self.store.outbox.cancel(id, "Nothing to tell.").await;
        }
        let lang = staff_language(account.language.as_deref());
        let view = NoticeView {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: account.name.clone(),
            items: items.iter().map(|n| self.item(n, zone, lang)).collect(),
            preferences_link: self.link("/account#notifications"),
            organisation: self.settings.sender.organisation.clone(),
        };
        let to = [(account.name, account.email)];
        let message = self
            .emails
            .render_notice(EmailKind::Digest, &view)
            .map_err(|e| e.to_string())
            .and_then(|mail| build_alert(&self.settings, id, &mail, &to, self.clock.now()));
        self.send_and_record(claimed, message).await.map(|_| ())
    }

    /// The link to choose a new password, to the person who asked (while it still works).
    async fn deliver_password_reset(&self, claimed: &Claimed) -> Result<(), StoreError> {
        let id = &claimed.row.id;
        let resets = &self.store.password_resets;
        let Some(reset) = redress_store::password_resets::parse_outbox_id(id) else {
            return self
                .store
                .outbox
                .cancel(id, "Not a password reset id.")
                .await;
        };
        let Some(staff) = resets.usable(reset, self.clock.now()).await? else {
            return self
                .store
                .outbox
                .cancel(id, "The link was used or ran out before it could be sent.")
                .await;
        };
        let Some(account) = self.store.accounts.get(staff).await?.filter(|a| a.active) else {
            return self
                .store
                .outbox
                .cancel(id, "The account is gone or inactive.")
                .await;
        };
        let view = ResetView {
            lang: staff_language(account.language.as_deref()).code().into(),
            subject: String::new(),
            to_name: account.name.clone(),
            link: self.link(&format!("/reset-password/{}", resets.token(reset))),
            minutes: redress_store::password_resets::LINK_LIFETIME.num_minutes(),
            organisation: self.settings.sender.organisation.clone(),
        };
        let to = [(account.name, account.email)];
        let message = self
            .emails
            .render_reset(&view)
            .map_err(|e| e.to_string())
            .and_then(|mail| build_alert(&self.settings, id, &mail, &to, self.clock.now()));
        self.send_and_record(claimed, message).await.map(|_| ())
    }

    pub(super) fn link(&self, path: &str) -> String {
        format!("{}{path}", self.settings.public_url.trim_end_matches('/'))
    }

    /// One notification as an email tells it, in `lang` (its headline, when the store wrote
    /// it from its kind, and its time in `zone`).
    fn item(
        &self,
        notification: &redress_store::Notification,
        zone: chrono_tz::Tz,
        lang: Language,
    ) -> NoticeItem {
        NoticeItem {
            headline: staff_headline(
                &notification.kind,
                &notification.actor,
                &notification.headline,
                lang,
            ),
            reference: notification.reference.clone(),
            summary: notification.summary.clone().unwrap_or_default(),
            at: staff_time(&notification.at.with_timezone(&zone), lang, true),
            link: self.link(&format!("/complaints/{}", notification.reference)),
        }
    }

    /// Sends until shut down: woken when projectors write (new outbox rows), and every `poll`
    /// for retries that fall due.
    pub async fn run(self, wake: EventSignal, poll: Duration, shutdown: watch::Receiver<bool>) {
        let batch = self.settings.batch;
        crate::drain::keep_drained("mail", batch, || self.send_due(), wake, poll, shutdown).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Rendered, Sender};

    fn settings() -> MailSettings {
        MailSettings {
            from: "Complaints <complaints@redress.example>".into(),
            domain: "redress.example".into(),
            max_attempts: 4,
            retry_base: Duration::from_secs(30),
            sender: Sender {
                organisation: "Redress".into(),
                ombudsman: "the Ombudsman".into(),
                reply_to: None,
                ombudsman_in: vec![],
                currency: redress_domain::Currency::default(),
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
            Some("RDR-7KX4-9PQM.1.receipt"),
            &rendered("Ana Pop", "Your complaint RDR-7KX4-9PQM"),
            &[],
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
    fn a_reply_carries_its_files_beside_its_text_and_html_and_its_copy_lists_them() {
        let files = vec![(
            "factură \"mai\".pdf".to_string(),
            "application/pdf".to_string(),
            b"%PDF-1.4 a tiny file".to_vec(),
        )];
        let mail = rendered("Ana Pop", "Your complaint RDR-7KX4-9PQM");
        let message = build_message(
            &settings(),
            "RDR-7KX4-9PQM.9.reply",
            Some("RDR-7KX4-9PQM.1.receipt"),
            &mail,
            &files,
            Utc::now(),
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("multipart/mixed"), "{text}");
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("Content-Type: application/pdf"));
        assert!(text.contains("In-Reply-To: <RDR-7KX4-9PQM.1.receipt@redress.example>"));
        let copy = copy_of(&message, &mail, &files);
        assert_eq!(
            copy.files,
            vec![(files[0].0.clone(), "application/pdf".into(), 20)]
        );
        assert!(copy.headers.iter().any(|(name, value)| name == "Message-ID"
            && value.contains("RDR-7KX4-9PQM.9.reply@redress.example")));
        assert_eq!(copy.text, "Hello");
    }

    #[test]
    fn address_lines_are_folded_to_rfc_5322_length_and_read_back_whole() {
        // Names and addresses whose "To:" line ran to 80-92 characters unfolded.
        for (name, address) in [
            (
                "Maximilian Alexander Fitzgerald-Worthington",
                "max.fitzgerald.worthington@example.co.uk",
            ),
            (
                "Ioana-Alexandra Constantinescu Popescu",
                "ioana.alexandra.constantinescu@example.ro",
            ),
            (
                "María José García Fernández",
                "maria.jose.garcia.fernandez@example.es",
            ),
        ] {
            let mut mail = rendered(name, "Your complaint RDR-7KX4-9PQM");
            mail.to_email = address.into();
            let message = build_message(
                &settings(),
                "RDR-7KX4-9PQM.1.receipt",
                None,
                &mail,
                &[],
                Utc::now(),
            )
            .unwrap();
            let raw = message.formatted();
            let text = String::from_utf8(raw.clone()).unwrap();
            let headers = text.split("\r\n\r\n").next().unwrap();
            for line in headers.split("\r\n") {
                assert!(line.len() <= 78, "{} characters: {line:?}", line.len());
            }
            // Unfolded, the reader gets the name and address back whole.
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let to = parsed.to().and_then(|to| to.first()).unwrap();
            assert_eq!(to.address(), Some(address));
            assert_eq!(to.name(), Some(name));
        }
    }

    #[test]
    fn nothing_people_write_can_add_a_header() {
        let message = build_message(
            &settings(),
            "RDR-7KX4-9PQM.1.receipt",
            None,
            &rendered(
                "Ana\r\nBcc: evil@example.com",
                "Hi\r\nBcc: evil@example.com\r\n\r\nbody",
            ),
            &[],
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
