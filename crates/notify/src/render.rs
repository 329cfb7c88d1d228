//! Rendering customer emails: the complaint's events up to the one that owes the email are
//! folded into an [`EmailView`], and `templates/emails/{kind}.txt` and `.html` render it in
//! the customer's language with Fluent (`crates/notify/locales/{lang}/emails.ftl`). Admins
//! may override any template from a directory.

use std::path::Path;

use chrono::NaiveDate;
use fluent_templates::{FluentLoader, Loader, static_loader};
use redress_domain::{
    ComplaintChange, ComplaintEvent, CustomerId, Language, Said, Sealed, customer_entry,
};
use redress_store::EmailKind;
use redress_store::vault::SealingKey;
use serde::Serialize;
use tera::Tera;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Plain-text mail must not carry Unicode isolation marks around every variable.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The email templates, compiled in; a directory may override any of them.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "emails/base.txt",
        include_str!("../../../templates/emails/base.txt"),
    ),
    (
        "emails/base.html",
        include_str!("../../../templates/emails/base.html"),
    ),
    (
        "emails/receipt.txt",
        include_str!("../../../templates/emails/receipt.txt"),
    ),
    (
        "emails/receipt.html",
        include_str!("../../../templates/emails/receipt.html"),
    ),
    (
        "emails/acknowledgement.txt",
        include_str!("../../../templates/emails/acknowledgement.txt"),
    ),
    (
        "emails/acknowledgement.html",
        include_str!("../../../templates/emails/acknowledgement.html"),
    ),
    (
        "emails/owner.txt",
        include_str!("../../../templates/emails/owner.txt"),
    ),
    (
        "emails/owner.html",
        include_str!("../../../templates/emails/owner.html"),
    ),
    (
        "emails/commitment.txt",
        include_str!("../../../templates/emails/commitment.txt"),
    ),
    (
        "emails/commitment.html",
        include_str!("../../../templates/emails/commitment.html"),
    ),
    (
        "emails/progress.txt",
        include_str!("../../../templates/emails/progress.txt"),
    ),
    (
        "emails/progress.html",
        include_str!("../../../templates/emails/progress.html"),
    ),
    (
        "emails/request.txt",
        include_str!("../../../templates/emails/request.txt"),
    ),
    (
        "emails/request.html",
        include_str!("../../../templates/emails/request.html"),
    ),
    (
        "emails/outcome.txt",
        include_str!("../../../templates/emails/outcome.txt"),
    ),
    (
        "emails/outcome.html",
        include_str!("../../../templates/emails/outcome.html"),
    ),
    (
        "emails/survey.txt",
        include_str!("../../../templates/emails/survey.txt"),
    ),
    (
        "emails/survey.html",
        include_str!("../../../templates/emails/survey.html"),
    ),
    (
        "emails/status_link.txt",
        include_str!("../../../templates/emails/status_link.txt"),
    ),
    (
        "emails/status_link.html",
        include_str!("../../../templates/emails/status_link.html"),
    ),
    (
        "emails/staff_base.html",
        include_str!("../../../templates/emails/staff_base.html"),
    ),
    (
        "emails/sla_at_risk.txt",
        include_str!("../../../templates/emails/sla_at_risk.txt"),
    ),
    (
        "emails/sla_at_risk.html",
        include_str!("../../../templates/emails/sla_at_risk.html"),
    ),
    (
        "emails/sla_breach.txt",
        include_str!("../../../templates/emails/sla_breach.txt"),
    ),
    (
        "emails/sla_breach.html",
        include_str!("../../../templates/emails/sla_breach.html"),
    ),
    (
        "emails/reply.txt",
        include_str!("../../../templates/emails/reply.txt"),
    ),
    (
        "emails/reply.html",
        include_str!("../../../templates/emails/reply.html"),
    ),
    (
        "emails/points.txt",
        include_str!("../../../templates/emails/points.txt"),
    ),
    (
        "emails/points.html",
        include_str!("../../../templates/emails/points.html"),
    ),
    (
        "emails/notification.txt",
        include_str!("../../../templates/emails/notification.txt"),
    ),
    (
        "emails/notification.html",
        include_str!("../../../templates/emails/notification.html"),
    ),
    (
        "emails/digest.txt",
        include_str!("../../../templates/emails/digest.txt"),
    ),
    (
        "emails/digest.html",
        include_str!("../../../templates/emails/digest.html"),
    ),
];

/// What a staff alert's template sees (staff read English).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlertView {
    /// The subject.
    pub subject: String,
    /// Who it goes to (a name; several managers are greeted as "team").
    pub to_name: String,
    /// Their addresses.
    pub to: Vec<String>,
    /// The complaint.
    pub reference: String,
    /// Its summary.
    pub summary: String,
    /// The clock's label.
    pub clock: String,
    /// Its rule.
    pub rule: String,
    /// Its target, in words.
    pub target: String,
    /// Its due time, in the calendar's zone.
    pub due: String,
    /// That zone.
    pub time_zone: String,
    /// Priority label.
    pub priority: String,
    /// Tier label.
    pub tier: String,
    /// The owner's name.
    pub owner: Option<String>,
    /// The complaint page.
    pub link: String,
    /// The organisation.
    pub organisation: String,
}

impl AlertView {
    /// A view with every field filled, to check templates.
    pub fn sample() -> Self {
        Self {
            subject: String::new(),
            to_name: "Maria Ionescu".into(),
            to: vec!["maria@example.com".into()],
            reference: "RDR-7KX4-9PQM".into(),
            summary: "Parcel never arrived".into(),
            clock: "Resolve".into(),
            rule: "Starts on receipt.".into(),
            target: "10 business days".into(),
            due: "Tue 1 Dec 2026 17:00".into(),
            time_zone: "Europe/London".into(),
            priority: "Normal".into(),
            tier: "Key account".into(),
            owner: Some("Maria Ionescu".into()),
            link: "https://example.com/complaints/RDR-7KX4-9PQM".into(),
            organisation: "Redress".into(),
        }
    }
}

/// Why an email could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template is broken (a bug, or a bad override).
    #[error("template error: {0}")]
    Template(String),
    /// The events do not hold what the email needs.
    #[error("{0}")]
    Missing(String),
    /// The customer's personal data was erased: the email must not be sent.
    #[error("the customer's personal data was erased")]
    Erased,
    /// The customer gave no email address: nothing is sent (staff reach them by phone).
    #[error("the customer gave no email address")]
    NoAddress,
}

impl From<tera::Error> for RenderError {
    fn from(error: tera::Error) -> Self {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        RenderError::Template(message)
    }
}

/// Who writes, and what the emails may point to.
#[derive(Debug, Clone, Serialize)]
pub struct Sender {
    /// The organisation's name, as customers know it.
    pub organisation: String,
    /// Where an unhappy customer may turn (an ombudsman or regulator), in words.
    pub ombudsman: String,
    /// The same in other languages, where given (else `ombudsman`).
    pub ombudsman_in: Vec<(Language, String)>,
    /// Where customers' replies go (the `Reply-To` of their emails), when a mailbox is read;
    /// `None`: nobody reads replies, and emails do not invite them.
    pub reply_to: Option<String>,
    /// The currency redress is paid in.
    pub currency: redress_domain::Currency,
}

impl Sender {
    /// Where an unhappy customer writing `language` may turn, in their language.
    pub fn ombudsman_for(&self, language: Language) -> &str {
        self.ombudsman_in
            .iter()
            .find(|(l, _)| *l == language)
            .map_or(self.ombudsman.as_str(), |(_, text)| text.as_str())
    }
}

/// What a template sees.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EmailView {
    /// Language code.
    pub lang: String,
    /// The subject (the same for every email of a complaint, so they thread).
    pub subject: String,
    /// The complaint's reference.
    pub reference: String,
    /// The customer's name.
    pub name: String,
    /// The customer's email address.
    pub email: String,
    /// The organisation.
    pub organisation: String,
    /// Whether replies to the email reach someone (a mailbox is read).
    pub replies_read: bool,
    /// Where to turn if unhappy.
    pub ombudsman: String,
    /// A link to the customer's status page, once there is one.
    pub status_link: Option<String>,
    /// Step 1: the apology.
    pub apology: Option<String>,
    /// Step 5: the owner's name, and the one before.
    pub owner: Option<String>,
    /// The owner before a change.
    pub previous: Option<String>,
    /// Step 4: the action, and its date in words.
    pub action: Option<String>,
    /// The action's date.
    pub due: Option<String>,
    /// Step 6: the update and the next date.
    pub message: Option<String>,
    /// The next update's date.
    pub next: Option<String>,
    /// What we ask of the customer.
    pub request: Option<String>,
    /// The outcome's code.
    pub outcome: Option<String>,
    /// Why.
    pub reasons: Option<String>,
    /// The remedy.
    pub remedy: Option<String>,
    /// Money paid, formatted.
    pub amount: Option<String>,
    /// A reply in our own words.
    pub reply: Option<String>,
    /// The names of the files sent with it.
    pub files: Vec<String>,
    /// The points of complaint as we understood them.
    pub points: Vec<String>,
    /// The outcome's decision on each point.
    pub decisions: Vec<DecisionView>,
}

/// One point's decision, as the outcome email tells it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DecisionView {
    /// The point, as we understood it.
    pub point: String,
    /// Its outcome's code.
    pub outcome: String,
    /// Why.
    pub reasons: String,
}

/// What a staff notification's template sees (staff read English).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NoticeView {
    /// The subject.
    pub subject: String,
    /// Who it goes to (a name; several managers are greeted as "team").
    pub to_name: String,
    /// What happened, in a line, with the complaint.
    pub items: Vec<NoticeItem>,
    /// Where to change what they hear about.
    pub preferences_link: String,
    /// The organisation.
    pub organisation: String,
}

/// One thing a notification email tells.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NoticeItem {
    /// What happened.
    pub headline: String,
    /// The complaint.
    pub reference: String,
    /// Its summary.
    pub summary: String,
    /// When, in words.
    pub at: String,
    /// The complaint page.
    pub link: String,
}

impl NoticeView {
    /// A view with every field filled, to check templates.
    pub fn sample() -> Self {
        Self {
            subject: String::new(),
            to_name: "Maria Ionescu".into(),
            items: vec![NoticeItem {
                headline: "James Carter mentioned you in an internal note".into(),
                reference: "RDR-7KX4-9PQM".into(),
                summary: "Parcel never arrived".into(),
                at: "Tue 1 Dec 2026 10:00 UTC".into(),
                link: "https://example.com/complaints/RDR-7KX4-9PQM".into(),
            }],
            preferences_link: "https://example.com/account#notifications".into(),
            organisation: "Redress".into(),
        }
    }
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// The customer's name and address.
    pub to_name: String,
    /// The address.
    pub to_email: String,
}

/// The email templates and translations.
pub struct Emails {
    tera: Tera,
}

impl Emails {
    /// The compiled-in templates, with any `emails/*.txt|html` file found in `overrides`
    /// (a directory holding an `emails/` folder, or the folder itself) taking their place.
    pub fn new(overrides: Option<&Path>) -> Result<Self, RenderError> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())?;
        if let Some(dir) = overrides {
            let dir = if dir.join("emails").is_dir() {
                dir.join("emails")
            } else {
                dir.to_path_buf()
            };
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                RenderError::Template(format!(
                    "cannot read the email template directory {}: {e}",
                    dir.display()
                ))
            })?;
            let mut files = Vec::new();
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if TEMPLATES
                    .iter()
                    .any(|(known, _)| *known == format!("emails/{name}"))
                {
                    files.push((path.clone(), Some(format!("emails/{name}"))));
                }
            }
            tera.add_template_files(files)?;
        }
        tera.register_function("fluent", FluentLoader::new(&*LOCALES));
        // Every template must render: a broken override fails at start, not at send time.
        let emails = Self { tera };
        for kind in EmailKind::ALL {
            match kind {
                EmailKind::Notification | EmailKind::Digest => {
                    emails.render_notice(kind, &NoticeView::sample())?;
                }
                kind if kind.is_for_staff() => {
                    emails.render_alert(kind, &AlertView::sample())?;
                }
                kind => {
                    emails.render(kind, &EmailView::sample())?;
                    emails.render(kind, &EmailView::sample_without_points())?;
                }
            }
        }
        Ok(emails)
    }

    /// Renders one email from its view.
    pub fn render(&self, kind: EmailKind, view: &EmailView) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        view.subject = one_line(&translate(&view.lang, "subject", &view.reference));
        let (text, html) = self.parts(kind, &view)?;
        Ok(Rendered {
            subject: view.subject,
            text,
            html,
            to_name: one_line(&view.name),
            to_email: view.email,
        })
    }

    /// The text and HTML parts of an email of `kind`, from its templates.
    fn parts(
        &self,
        kind: EmailKind,
        view: &impl Serialize,
    ) -> Result<(String, String), RenderError> {
        let context = tera::Context::from_serialize(view)?;
        let text = self
            .tera
            .render(&format!("emails/{}.txt", kind.code()), &context)?;
        let html = self
            .tera
            .render(&format!("emails/{}.html", kind.code()), &context)?;
        Ok((text, html))
    }
}

impl Emails {
    /// Renders a notification (or a digest of them) to staff.
    pub fn render_notice(
        &self,
        kind: EmailKind,
        view: &NoticeView,
    ) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        view.subject = one_line(&match (kind, view.items.as_slice()) {
            (EmailKind::Digest, items) => format!(
                "[Redress] Your digest: {} notification{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
            (_, [item, ..]) => format!("[{}] {} — {}", item.reference, item.headline, item.summary),
            (_, []) => "[Redress] A notification".into(),
        });
        let (text, html) = self.parts(kind, &view)?;
        Ok(Rendered {
            subject: view.subject,
            text,
            html,
            to_name: one_line(&view.to_name),
            to_email: String::new(),
        })
    }

    /// Renders an alert to staff.
    pub fn render_alert(&self, kind: EmailKind, view: &AlertView) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        let what = if kind == EmailKind::SlaBreach {
            "missed"
        } else {
            "at risk"
        };
        view.subject = one_line(&format!(
            "[SLA {what}] {}: {} — {}",
            view.reference, view.clock, view.summary
        ));
        let (text, html) = self.parts(kind, &view)?;
        Ok(Rendered {
            subject: view.subject,
            text,
            html,
            to_name: one_line(&view.to_name),
            to_email: view.to.join(", "),
        })
    }
}

fn translate(lang: &str, key: &str, reference: &str) -> String {
    let lang = Language::parse(lang).unwrap_or(Language::En);
    let id = lang_id(lang);
    let mut args = std::collections::HashMap::new();
    args.insert(
        std::borrow::Cow::Borrowed("reference"),
        fluent_templates::fluent_bundle::FluentValue::from(reference.to_string()),
    );
    LOCALES.lookup_with_args(&id, key, &args)
}

fn lang_id(lang: Language) -> fluent_templates::LanguageIdentifier {
    lang.code()
        .parse()
        .unwrap_or_else(|_| fluent_templates::LanguageIdentifier::default())
}

/// No line breaks or control characters in what goes into a header.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A date as a person writing in `lang` would write it.
pub fn long_date(date: NaiveDate, lang: Language) -> String {
    use chrono::Datelike;
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    const RO: [&str; 12] = [
        "ianuarie",
        "februarie",
        "martie",
        "aprilie",
        "mai",
        "iunie",
        "iulie",
        "august",
        "septembrie",
        "octombrie",
        "noiembrie",
        "decembrie",
    ];
    let (d, m, y) = (date.day(), date.month0() as usize, date.year());
    match lang {
        Language::En => format!("{d} {} {y}", EN[m]),
        Language::Es => format!("{d} de {} de {y}", ES[m]),
        Language::Ro => format!("{d} {} {y}", RO[m]),
        Language::Zh => format!("{y}年{}月{d}日", m + 1),
    }
}

/// Money in minor units, as written in `lang`, without its currency (see
/// [`redress_domain::Currency::format`] for amounts with theirs).
pub fn amount(cents: i64, lang: Language) -> String {
    redress_domain::money::number(cents, lang)
}

impl EmailView {
    /// A view with every field filled, to check templates.
    pub fn sample() -> Self {
        Self {
            lang: "en".into(),
            subject: String::new(),
            reference: "RDR-7KX4-9PQM".into(),
            name: "Ana Pop".into(),
            email: "ana@example.com".into(),
            organisation: "Redress".into(),
            replies_read: true,
            ombudsman: "the Ombudsman".into(),
            status_link: Some("https://example.com/status".into()),
            apology: Some("We are sorry.".into()),
            owner: Some("Maria Ionescu".into()),
            previous: Some("James Carter".into()),
            action: Some("Refund".into()),
            due: Some("1 December 2026".into()),
            message: Some("Update".into()),
            next: Some("2 December 2026".into()),
            request: Some("Your order number".into()),
            outcome: Some("upheld".into()),
            reasons: Some("Reasons".into()),
            remedy: Some("Remedy".into()),
            amount: Some("10.00".into()),
            reply: Some("Dear Ana, the vase is on its way.".into()),
            files: vec!["invoice.pdf".into()],
            points: vec![
                "The vase arrived broken.".into(),
                "Nobody called back.".into(),
            ],
            decisions: vec![
                DecisionView {
                    point: "The vase arrived broken.".into(),
                    outcome: "upheld".into(),
                    reasons: "The courier broke it.".into(),
                },
                DecisionView {
                    point: "Nobody called back.".into(),
                    outcome: "not_upheld".into(),
                    reasons: "We called twice.".into(),
                },
            ],
        }
    }

    /// The sample as a complaint recorded before points existed would have it.
    pub fn sample_without_points() -> Self {
        Self {
            files: Vec::new(),
            points: Vec::new(),
            decisions: Vec::new(),
            ..Self::sample()
        }
    }

    /// The view of the email owed by `events[index]`, with the complaint as it stood then.
    /// `key` opens the customer's sealed data; without it the customer was erased.
    pub fn of(
        events: &[ComplaintEvent],
        kind: EmailKind,
        index: usize,
        customer: CustomerId,
        key: Option<&SealingKey>,
        sender: &Sender,
    ) -> Result<Self, RenderError> {
        let key = key.ok_or(RenderError::Erased)?;
        let open = |sealed: &Sealed| {
            key.open(customer, sealed)
                .map_err(|e| RenderError::Missing(format!("a sealed field does not open: {e}")))
        };
        let Some(ComplaintEvent {
            change:
                ComplaintChange::ComplaintReceived {
                    reference,
                    customer: sealed,
                    language,
                    ..
                },
            ..
        }) = events.first()
        else {
            return Err(RenderError::Missing(
                "the complaint's first event is not its receipt".into(),
            ));
        };
        // A fresh status link tells the complaint as it stands now.
        let index = if kind == EmailKind::StatusLink {
            events.len() - 1
        } else {
            index
        };
        if events[..=index.min(events.len() - 1)]
            .iter()
            .any(|e| matches!(e.change, ComplaintChange::PersonalDataErased { .. }))
        {
            return Err(RenderError::Erased);
        }
        if index >= events.len() {
            return Err(RenderError::Missing(format!(
                "no event number {}",
                index + 1
            )));
        }
        let language = *language;
        let Some(email) = &sealed.email else {
            return Err(RenderError::NoAddress);
        };
        let mut view = EmailView {
            lang: language.code().into(),
            reference: reference.to_string(),
            name: open(&sealed.name)?,
            email: open(email)?,
            organisation: sender.organisation.clone(),
            replies_read: sender.reply_to.is_some(),
            ombudsman: sender.ombudsman_for(language).to_string(),
            ..EmailView::default()
        };
        if kind == EmailKind::StatusLink {
            return Ok(view);
        }
        // What the customer may read of the event, and nothing else (redress_domain's
        // audience decides, for every customer surface).
        let Some(entry) = customer_entry(events, index) else {
            return Err(RenderError::Missing(format!(
                "event {} ({}) has nothing for the customer",
                index + 1,
                events[index].change.name()
            )));
        };
        match entry.said {
            Said::Complaint { .. } | Said::Closed => {}
            Said::Apology(apology) => view.apology = Some(apology.to_string()),
            Said::Owner(owner) => {
                view.owner = Some(owner.to_string());
                if let ComplaintChange::OwnerAssigned {
                    previous: Some(previous),
                    ..
                } = &events[index].change
                {
                    view.previous = Some(previous.name.clone());
                }
            }
            Said::Commitment { action, due_on } => {
                view.action = Some(action.to_string());
                view.due = Some(long_date(due_on, language));
            }
            Said::Update {
                message,
                next_update_on,
            } => {
                view.message = Some(message.to_string());
                view.next = Some(long_date(next_update_on, language));
            }
            Said::Request(request) => view.request = Some(request.to_string()),
            Said::Reply {
                message,
                attachments,
            } => {
                view.reply = Some(open(message)?);
                view.files = attachments
                    .iter()
                    .map(|f| open(&f.name))
                    .collect::<Result<_, _>>()?;
            }
            Said::Points(points) => {
                view.points = points.iter().map(&open).collect::<Result<_, _>>()?;
            }
            Said::Outcome {
                outcome,
                reasons,
                remedy,
                redress_paid_cents,
                decisions,
            } => {
                view.outcome = Some(outcome.code().into());
                view.reasons = Some(reasons.to_string());
                view.remedy = remedy.map(str::to_string);
                view.amount = redress_paid_cents
                    .filter(|c| *c > 0)
                    .map(|c| sender.currency.format(c, language));
                view.decisions = decisions
                    .into_iter()
                    .map(|(decision, point)| {
                        Ok(DecisionView {
                            point: point.map(&open).transpose()?.unwrap_or_default(),
                            outcome: decision.outcome.code().into(),
                            reasons: decision.reasons.clone(),
                        })
                    })
                    .collect::<Result<_, RenderError>>()?;
            }
            Said::TheirWords(_)
            | Said::OurSummary(_)
            | Said::Files(_)
            | Said::Rating { .. }
            | Said::Reopened => {
                return Err(RenderError::Missing(format!(
                    "event {} ({}) owes no email",
                    index + 1,
                    events[index].change.name()
                )));
            }
        }
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_email_renders_in_every_language_without_isolation_marks() {
        let emails = Emails::new(None).unwrap();
        for language in Language::ALL {
            let view = EmailView {
                lang: language.code().into(),
                ..EmailView::sample()
            };
            for kind in EmailKind::ALL.into_iter().filter(|k| !k.is_for_staff()) {
                let mail = emails.render(kind, &view).unwrap();
                assert!(mail.subject.contains("RDR-7KX4-9PQM"));
                assert!(!mail.text.contains('\u{2068}') && !mail.text.contains('\u{2069}'));
                assert!(mail.text.contains("RDR-7KX4-9PQM"), "{kind:?} {language:?}");
                assert!(mail.html.contains("<html lang=\""));
                assert!(!mail.text.contains("{{") && !mail.html.contains("{{"));
                // The signature's delimiter is "-- " on a line of its own (RFC 3676), so mail
                // programs can fold the signature away.
                assert!(
                    mail.text.contains("\n-- \n"),
                    "{kind:?} {language:?}: {}",
                    mail.text
                );
            }
        }
    }

    #[test]
    fn emails_invite_replies_only_when_a_mailbox_is_read() {
        let emails = Emails::new(None).unwrap();
        for (lang, read, unread) in [
            (
                "en",
                "your reply reaches the person",
                "Replies to this email are not read",
            ),
            ("ro", "răspunsul ajunge la persoana", "nu sunt citite"),
        ] {
            let mut view = EmailView {
                lang: lang.into(),
                ..EmailView::sample()
            };
            let mail = emails.render(EmailKind::Acknowledgement, &view).unwrap();
            assert!(
                mail.text.contains(read) && mail.html.contains(read),
                "{lang}"
            );
            view.replies_read = false;
            let mail = emails.render(EmailKind::Acknowledgement, &view).unwrap();
            assert!(
                !mail.text.contains(read) && !mail.html.contains(read),
                "{lang}"
            );
            assert!(
                mail.text.contains(unread) && mail.html.contains(unread),
                "{lang}"
            );
        }
    }

    #[test]
    fn staff_alerts_name_the_complaint_the_clock_and_where_to_record_the_cause() {
        let emails = Emails::new(None).unwrap();
        let view = AlertView::sample();
        let risk = emails.render_alert(EmailKind::SlaAtRisk, &view).unwrap();
        assert_eq!(
            risk.subject,
            "[SLA at risk] RDR-7KX4-9PQM: Resolve — Parcel never arrived"
        );
        assert!(
            risk.text
                .contains("due Tue 1 Dec 2026 17:00 (Europe/London)")
        );
        let breach = emails.render_alert(EmailKind::SlaBreach, &view).unwrap();
        assert!(breach.subject.starts_with("[SLA missed] RDR-7KX4-9PQM"));
        assert!(breach.text.contains("record the cause"));
        assert!(
            breach
                .text
                .contains("https://example.com/complaints/RDR-7KX4-9PQM#sla")
        );
        assert!(breach.html.contains("Record the cause"));
        assert!(!breach.text.contains("{{") && !breach.html.contains("{{"));
        assert!(breach.text.contains("\n-- \n") && risk.text.contains("\n-- \n"));
        // Several managers are greeted as a team; every address is a recipient.
        assert_eq!(breach.to_email, "maria@example.com");
    }

    #[test]
    fn each_language_speaks_its_own_words() {
        let emails = Emails::new(None).unwrap();
        let words = [
            (Language::En, "Dear Ana Pop,"),
            (Language::Es, "Estimado/a Ana Pop:"),
            (Language::Ro, "Stimate/Stimată Ana Pop,"),
            (Language::Zh, "尊敬的Ana Pop："),
        ];
        for (language, greeting) in words {
            let view = EmailView {
                lang: language.code().into(),
                ..EmailView::sample()
            };
            let mail = emails.render(EmailKind::Receipt, &view).unwrap();
            assert!(mail.text.starts_with(greeting), "{}", mail.text);
        }
    }

    #[test]
    fn html_parts_escape_what_people_wrote() {
        let emails = Emails::new(None).unwrap();
        let view = EmailView {
            name: "<script>alert(1)</script>".into(),
            apology: Some("We are <b>sorry</b>".into()),
            ..EmailView::sample()
        };
        let mail = emails.render(EmailKind::Acknowledgement, &view).unwrap();
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;b&gt;sorry"));
        assert!(mail.text.contains("We are <b>sorry</b>"), "text is text");
    }

    #[test]
    fn dates_and_amounts_read_as_each_language_writes_them() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(long_date(date, Language::En), "1 December 2026");
        assert_eq!(long_date(date, Language::Es), "1 de diciembre de 2026");
        assert_eq!(long_date(date, Language::Ro), "1 decembrie 2026");
        assert_eq!(long_date(date, Language::Zh), "2026年12月1日");
        assert_eq!(amount(12_345_678, Language::En), "123,456.78");
        assert_eq!(amount(12_345_678, Language::Ro), "123.456,78");
        assert_eq!(amount(5, Language::Es), "0,05");
    }

    #[test]
    fn admins_override_templates_from_a_directory_and_a_broken_one_fails_at_start() {
        let dir = std::env::temp_dir().join(format!("redress-templates-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("emails")).unwrap();
        std::fs::write(
            dir.join("emails/receipt.txt"),
            "Hello {{ name }}, your reference is {{ reference }}. (Our own words.)",
        )
        .unwrap();
        std::fs::write(dir.join("emails/unrelated.txt"), "{{ broken").unwrap();
        let emails = Emails::new(Some(&dir)).unwrap();
        let mail = emails
            .render(EmailKind::Receipt, &EmailView::sample())
            .unwrap();
        assert_eq!(
            mail.text,
            "Hello Ana Pop, your reference is RDR-7KX4-9PQM. (Our own words.)"
        );
        let other = emails
            .render(EmailKind::Owner, &EmailView::sample())
            .unwrap();
        assert!(
            other.text.contains("Maria Ionescu"),
            "the others stay built in"
        );

        std::fs::write(dir.join("emails/owner.html"), "{% if %}").unwrap();
        let error = Emails::new(Some(&dir))
            .err()
            .expect("a broken override is refused");
        assert!(error.to_string().contains("owner.html"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            Emails::new(Some(&dir)).is_err(),
            "a missing directory is an error"
        );
    }

    #[test]
    fn header_text_is_one_line() {
        assert_eq!(one_line("Ana\r\nBcc: x@y"), "Ana Bcc: x@y");
        assert_eq!(one_line("  a \t b\u{7}"), "a b");
    }
}
