//! Rendering customer emails: the complaint's events up to the one that owes the email are
//! folded into an [`EmailView`], and `templates/emails/{kind}.txt` and `.html` render it in
//! the customer's language with Fluent (`crates/notify/locales/{lang}/emails.ftl`). Emails to
//! staff (SLA alerts, notifications, digests, password resets) are in their reader's language
//! (`staff-emails.ftl`; see [`in_languages`] for an email to people who read different ones).
//! Admins may override any template from a directory.

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

mod notice_views;
mod staff;
mod views;
mod words;

pub use notice_views::*;
pub use staff::*;
pub use views::*;
pub use words::*;

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
        include_str!("../../../../templates/emails/base.txt"),
    ),
    (
        "emails/base.html",
        include_str!("../../../../templates/emails/base.html"),
    ),
    (
        "emails/receipt.txt",
        include_str!("../../../../templates/emails/receipt.txt"),
    ),
    (
        "emails/receipt.html",
        include_str!("../../../../templates/emails/receipt.html"),
    ),
    (
        "emails/acknowledgement.txt",
        include_str!("../../../../templates/emails/acknowledgement.txt"),
    ),
    (
        "emails/acknowledgement.html",
        include_str!("../../../../templates/emails/acknowledgement.html"),
    ),
    (
        "emails/merged.txt",
        include_str!("../../../../templates/emails/merged.txt"),
    ),
    (
        "emails/merged.html",
        include_str!("../../../../templates/emails/merged.html"),
    ),
    (
        "emails/owner.txt",
        include_str!("../../../../templates/emails/owner.txt"),
    ),
    (
        "emails/owner.html",
        include_str!("../../../../templates/emails/owner.html"),
    ),
    (
        "emails/commitment.txt",
        include_str!("../../../../templates/emails/commitment.txt"),
    ),
    (
        "emails/commitment.html",
        include_str!("../../../../templates/emails/commitment.html"),
    ),
    (
        "emails/progress.txt",
        include_str!("../../../../templates/emails/progress.txt"),
    ),
    (
        "emails/progress.html",
        include_str!("../../../../templates/emails/progress.html"),
    ),
    (
        "emails/request.txt",
        include_str!("../../../../templates/emails/request.txt"),
    ),
    (
        "emails/request.html",
        include_str!("../../../../templates/emails/request.html"),
    ),
    (
        "emails/outcome.txt",
        include_str!("../../../../templates/emails/outcome.txt"),
    ),
    (
        "emails/outcome.html",
        include_str!("../../../../templates/emails/outcome.html"),
    ),
    (
        "emails/survey.txt",
        include_str!("../../../../templates/emails/survey.txt"),
    ),
    (
        "emails/survey.html",
        include_str!("../../../../templates/emails/survey.html"),
    ),
    (
        "emails/status_link.txt",
        include_str!("../../../../templates/emails/status_link.txt"),
    ),
    (
        "emails/status_link.html",
        include_str!("../../../../templates/emails/status_link.html"),
    ),
    (
        "emails/staff_base.html",
        include_str!("../../../../templates/emails/staff_base.html"),
    ),
    (
        "emails/sla_at_risk.txt",
        include_str!("../../../../templates/emails/sla_at_risk.txt"),
    ),
    (
        "emails/sla_at_risk.html",
        include_str!("../../../../templates/emails/sla_at_risk.html"),
    ),
    (
        "emails/sla_breach.txt",
        include_str!("../../../../templates/emails/sla_breach.txt"),
    ),
    (
        "emails/sla_breach.html",
        include_str!("../../../../templates/emails/sla_breach.html"),
    ),
    (
        "emails/reply.txt",
        include_str!("../../../../templates/emails/reply.txt"),
    ),
    (
        "emails/reply.html",
        include_str!("../../../../templates/emails/reply.html"),
    ),
    (
        "emails/points.txt",
        include_str!("../../../../templates/emails/points.txt"),
    ),
    (
        "emails/points.html",
        include_str!("../../../../templates/emails/points.html"),
    ),
    (
        "emails/notification.txt",
        include_str!("../../../../templates/emails/notification.txt"),
    ),
    (
        "emails/notification.html",
        include_str!("../../../../templates/emails/notification.html"),
    ),
    (
        "emails/digest.txt",
        include_str!("../../../../templates/emails/digest.txt"),
    ),
    (
        "emails/digest.html",
        include_str!("../../../../templates/emails/digest.html"),
    ),
    (
        "emails/password_reset.txt",
        include_str!("../../../../templates/emails/password_reset.txt"),
    ),
    (
        "emails/password_reset.html",
        include_str!("../../../../templates/emails/password_reset.html"),
    ),
    (
        "emails/webhook_switched_off.txt",
        include_str!("../../../../templates/emails/webhook_switched_off.txt"),
    ),
    (
        "emails/webhook_switched_off.html",
        include_str!("../../../../templates/emails/webhook_switched_off.html"),
    ),
    (
        "emails/survey_invitation.txt",
        include_str!("../../../../templates/emails/survey_invitation.txt"),
    ),
    (
        "emails/survey_invitation.html",
        include_str!("../../../../templates/emails/survey_invitation.html"),
    ),
    (
        "emails/meeting_due.txt",
        include_str!("../../../../templates/emails/meeting_due.txt"),
    ),
    (
        "emails/meeting_due.html",
        include_str!("../../../../templates/emails/meeting_due.html"),
    ),
];

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
                EmailKind::PasswordReset => {
                    emails.render_reset(&ResetView::sample())?;
                }
                EmailKind::WebhookSwitchedOff => {
                    emails.render_webhook_off(&WebhookOffView::sample_in(Language::En))?;
                }
                EmailKind::MeetingDue => {
                    emails.render_meeting_due(&MeetingDueView::sample_in(Language::En))?;
                }
                EmailKind::SurveyInvitation => {
                    for language in Language::ALL {
                        emails.render_survey_invitation(&SurveyInvitationView::sample_in(
                            *language,
                        ))?;
                    }
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
            // The survey's invitation is about no complaint: checked below.
            let invitation = emails
                .render_survey_invitation(&SurveyInvitationView::sample_in(*language))
                .unwrap();
            assert!(!invitation.text.contains('\u{2068}') && !invitation.text.contains('\u{2069}'));
            assert!(
                invitation.text.contains("/survey/5b0c.sig/stop"),
                "{language:?}"
            );
            assert!(
                invitation
                    .html
                    .contains(&format!("<html lang=\"{}\"", language.code()))
            );
            for kind in EmailKind::ALL
                .into_iter()
                .filter(|k| !k.is_for_staff() && *k != EmailKind::SurveyInvitation)
            {
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
