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

mod views;
mod words;

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
    /// Renders a notification (or a digest of them) to staff, in the view's language.
    pub fn render_notice(
        &self,
        kind: EmailKind,
        view: &NoticeView,
    ) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        let lang = staff_language(Some(&view.lang));
        view.lang = lang.code().into();
        view.subject = one_line(&match (kind, view.items.as_slice()) {
            (EmailKind::Digest, items) => staff_text(
                lang,
                &format!("staff-subject-digest-{}", plural_form(items.len() as u64)),
                &[("count", &items.len().to_string())],
            ),
            (_, [item, ..]) => staff_text(
                lang,
                "staff-subject-notice",
                &[
                    ("reference", &item.reference),
                    ("headline", &item.headline),
                    ("summary", &item.summary),
                ],
            ),
            (_, []) => staff_text(lang, "staff-subject-notice-empty", &[]),
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

    /// Renders the email with a link to choose a new password, in the view's language.
    pub fn render_reset(&self, view: &ResetView) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        let lang = staff_language(Some(&view.lang));
        view.lang = lang.code().into();
        view.subject = one_line(&staff_text(lang, "staff-subject-reset", &[]));
        let (text, html) = self.parts(EmailKind::PasswordReset, &view)?;
        Ok(Rendered {
            subject: view.subject,
            text,
            html,
            to_name: one_line(&view.to_name),
            to_email: String::new(),
        })
    }

    /// Renders an alert to staff, in the view's language.
    pub fn render_alert(&self, kind: EmailKind, view: &AlertView) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        let lang = staff_language(Some(&view.lang));
        view.lang = lang.code().into();
        let key = if kind == EmailKind::SlaBreach {
            "staff-subject-breach"
        } else {
            "staff-subject-at-risk"
        };
        view.subject = one_line(&staff_text(
            lang,
            key,
            &[
                ("reference", &view.reference),
                ("clock", &view.clock),
                ("summary", &view.summary),
            ],
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

/// The line between the language versions of a staff email's text part.
pub const VERSIONS_APART: &str = "\n\n———\n\n";

/// One staff email for recipients who read different languages.
///
/// A staff email is one outbox row, and one outbox row is ONE message to all its recipients:
/// it is never split into a message per language, so a retry can never send one of them
/// twice. When every recipient reads the same language, the email is in it. When they do
/// not, `render` is called once per language present, in the order the languages first
/// appear in `languages` (the first recipient's first), and the versions are combined:
/// - the subject is the first version's;
/// - the text part is the versions one after the other, joined by a line `———` (with a
///   blank line either side);
/// - the HTML part is the first version's document, with the inner content of each other
///   version's `<body>` appended inside the same body, each wrapped in a `<div lang="xx">`.
///
/// No language given renders English.
pub fn in_languages(
    languages: impl IntoIterator<Item = Language>,
    mut render: impl FnMut(Language) -> Result<Rendered, RenderError>,
) -> Result<Rendered, RenderError> {
    let mut present: Vec<Language> = Vec::new();
    for language in languages {
        if !present.contains(&language) {
            present.push(language);
        }
    }
    let first = present.first().copied().unwrap_or(Language::En);
    let mut combined = render(first)?;
    let mut others = Vec::new();
    for language in present.into_iter().skip(1) {
        others.push((language, render(language)?));
    }
    if others.is_empty() {
        return Ok(combined);
    }
    let mut texts = vec![combined.text.trim_end_matches('\n').to_string()];
    let mut divs = String::new();
    for (language, version) in &others {
        texts.push(version.text.trim_end_matches('\n').to_string());
        divs.push_str(&format!(
            "<div lang=\"{}\">{}</div>\n",
            language.code(),
            body_of(&version.html)
        ));
    }
    combined.text = texts.join(VERSIONS_APART);
    combined.text.push('\n');
    let at = combined
        .html
        .rfind("</body>")
        .unwrap_or(combined.html.len());
    combined.html.insert_str(at, &divs);
    Ok(combined)
}

/// What an HTML document's `<body>` holds (the whole text when it has no body).
fn body_of(html: &str) -> &str {
    let Some(open) = html.find("<body") else {
        return html;
    };
    let Some(start) = html[open..].find('>').map(|i| open + i + 1) else {
        return html;
    };
    let end = html[start..]
        .rfind("</body>")
        .map_or(html.len(), |i| start + i);
    html[start..end].trim_matches('\n')
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
    /// Every staff email of every kind, in `lang`: with and without an owner, a digest of one
    /// and of three, and the password reset.
    fn every_staff_email(emails: &Emails, lang: Language) -> Vec<(String, Rendered)> {
        let mut all = Vec::new();
        for owner in [Some("Maria Ionescu".to_string()), None] {
            let view = AlertView {
                owner: owner.clone(),
                ..AlertView::sample_in(lang)
            };
            for kind in [EmailKind::SlaAtRisk, EmailKind::SlaBreach] {
                let name = format!("{kind:?} owner={}", owner.is_some());
                all.push((name, emails.render_alert(kind, &view).unwrap()));
            }
        }
        let one = NoticeView::sample_in(lang);
        let mut three = one.clone();
        three.items = vec![one.items[0].clone(); 3];
        all.push((
            "notification".into(),
            emails.render_notice(EmailKind::Notification, &one).unwrap(),
        ));
        for view in [&one, &three] {
            let name = format!("digest of {}", view.items.len());
            all.push((name, emails.render_notice(EmailKind::Digest, view).unwrap()));
        }
        all.push((
            "password reset".into(),
            emails.render_reset(&ResetView::sample_in(lang)).unwrap(),
        ));
        all
    }

    #[test]
    fn every_staff_email_renders_in_every_language_with_every_text_found() {
        let emails = Emails::new(None).unwrap();
        for language in Language::ALL {
            for (name, mail) in every_staff_email(&emails, *language) {
                let whole = format!("{}\n{}\n{}", mail.subject, mail.text, mail.html);
                for marker in [
                    "Unknown localization key",
                    "{$",
                    "{ $",
                    "{{",
                    "{%",
                    "staff-",
                    "\u{2068}",
                    "\u{2069}",
                ] {
                    assert!(
                        !whole.contains(marker),
                        "{language:?} {name}: {marker:?} in\n{whole}"
                    );
                }
                assert!(
                    mail.html
                        .contains(&format!("<html lang=\"{}\">", language.code())),
                    "{language:?} {name}"
                );
                assert!(mail.text.contains("\n-- \n"), "{language:?} {name}");
                assert!(!mail.subject.is_empty());
                if *language != Language::En {
                    for english in [
                        "Hello ",
                        "service standard",
                        "Choose what you hear about",
                        "Your digest",
                        "Choose a new password",
                        "Redress, for",
                        "no owner yet",
                        "business days",
                        "Priority",
                    ] {
                        assert!(
                            !whole.contains(english),
                            "{language:?} {name}: {english:?} is still English in\n{whole}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_staff_email_texts_have_the_same_keys_in_every_language_and_all_of_them_format() {
        let file = |lang: &str| {
            let path = format!(
                "{}/locales/{lang}/staff-emails.ftl",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let keys = |lang: &str| -> Vec<String> {
            let text = file(lang);
            assert!(
                text.starts_with("# "),
                "{lang}: the first line is a comment"
            );
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .map(|l| {
                    let (key, value) = l
                        .split_once(" = ")
                        .unwrap_or_else(|| panic!("{lang}: not one message a line: {l}"));
                    assert!(key.starts_with("staff-"), "{lang}: {key}");
                    assert!(
                        !value.starts_with(['[', '*', '.']),
                        "{lang}: {key} begins with a special character"
                    );
                    key.to_string()
                })
                .collect()
        };
        let english = keys("en");
        assert!(english.len() > 50);
        for lang in ["es", "ro", "zh"] {
            assert_eq!(keys(lang), english, "{lang} differs from en");
        }
        // Every text formats in every language itself (no falling back to English), with
        // every argument any of them takes.
        let names = [
            "name",
            "organisation",
            "link",
            "reference",
            "clock",
            "summary",
            "due",
            "zone",
            "target",
            "priority",
            "tier",
            "owner",
            "date",
            "amount",
            "count",
            "headline",
            "at",
            "actor",
            "minutes",
            "choose",
        ];
        let args: std::collections::HashMap<_, _> = names
            .iter()
            .map(|n| {
                (
                    std::borrow::Cow::Borrowed(*n),
                    fluent_templates::fluent_bundle::FluentValue::from("x"),
                )
            })
            .collect();
        for language in Language::ALL {
            for key in &english {
                let text = LOCALES
                    .lookup_single_language(&lang_id(*language), key, Some(&args))
                    .unwrap_or_else(|e| panic!("{language:?} {key}: {e}"));
                assert!(!text.trim().is_empty(), "{language:?} {key}");
            }
        }
        // The labels follow the domain's codes, and English says what the domain says.
        for clock in redress_domain::SlaClock::ALL {
            assert_eq!(clock_label(clock, Language::En), clock.label());
        }
        for priority in redress_domain::Priority::ALL {
            assert_eq!(priority_label(*priority, Language::En), priority.label());
        }
        for tier in redress_domain::Tier::ALL {
            assert_eq!(tier_label(*tier, Language::En), tier.label());
        }
        for kind in redress_store::NotificationKind::ALL {
            let stored = if kind.headline().starts_with(char::is_uppercase) {
                kind.headline().to_string()
            } else {
                format!("Ana {}", kind.headline())
            };
            assert_eq!(
                staff_headline(kind.code(), "Ana", &stored, Language::En),
                stored
            );
            assert_ne!(
                staff_headline(kind.code(), "Ana", &stored, Language::Ro),
                stored
            );
        }
    }

    #[test]
    fn a_spanish_sla_alert_is_in_spanish_from_subject_to_signature() {
        let emails = Emails::new(None).unwrap();
        let view = AlertView::sample_in(Language::Es);
        let breach = emails.render_alert(EmailKind::SlaBreach, &view).unwrap();
        assert_eq!(
            breach.subject,
            "[SLA incumplido] RDR-7KX4-9PQM: Resolver — Parcel never arrived"
        );
        for words in [
            "Hola, Maria Ionescu:",
            "La reclamación RDR-7KX4-9PQM (Parcel never arrived) no ha cumplido su nivel de servicio:",
            "Resolver: vencía el 1 de diciembre de 2026, 17:00 (Europe/London), objetivo 10 días laborables.",
            "Prioridad Normal, Cliente clave, responsable Maria Ionescu.",
            "registra la causa del incumplimiento",
            "https://example.com/complaints/RDR-7KX4-9PQM#sla",
            "Recibes este mensaje porque eres el responsable de esta reclamación.",
        ] {
            assert!(breach.text.contains(words), "{words:?} in\n{}", breach.text);
        }
        assert!(breach.html.contains("<html lang=\"es\">"));
        assert!(breach.html.contains("Registrar la causa"));
        assert!(breach.html.contains("<strong>RDR-7KX4-9PQM</strong>"));
        let risk = emails.render_alert(EmailKind::SlaAtRisk, &view).unwrap();
        assert!(risk.subject.starts_with("[SLA en riesgo] RDR-7KX4-9PQM"));
        assert!(risk.text.contains("corre el riesgo de no cumplir"));
        // The clock's rule is the policy's own sentence, and stays as written.
        assert!(risk.text.contains("Starts on receipt."));
    }

    #[test]
    fn staff_in_several_languages_get_one_email_with_a_version_in_each() {
        let emails = Emails::new(None).unwrap();
        let mut calls = Vec::new();
        let mail = in_languages([Language::Es, Language::En, Language::Es], |lang| {
            calls.push(lang);
            let view = AlertView {
                to_name: staff_text(lang, "staff-team", &[]),
                ..AlertView::sample_in(lang)
            };
            emails.render_alert(EmailKind::SlaBreach, &view)
        })
        .unwrap();
        assert_eq!(calls, [Language::Es, Language::En], "once per language");
        assert!(
            mail.subject.starts_with("[SLA incumplido]"),
            "the first's subject"
        );
        let versions: Vec<&str> = mail.text.split("\n\n———\n\n").collect();
        assert_eq!(versions.len(), 2, "{}", mail.text);
        assert!(versions[0].starts_with("Hola, equipo:"));
        assert!(versions[0].contains("no ha cumplido su nivel de servicio"));
        assert!(versions[1].starts_with("Hello team,"));
        assert!(versions[1].contains("has missed its service standard"));
        assert!(mail.text.ends_with('\n') && !mail.text.ends_with("\n\n"));
        // One HTML document: the Spanish one, with the English body inside its body.
        assert_eq!(mail.html.matches("<html").count(), 1);
        assert_eq!(mail.html.matches("<body").count(), 1);
        assert_eq!(mail.html.matches("</body>").count(), 1);
        assert!(mail.html.contains("<html lang=\"es\">"));
        let english = mail
            .html
            .find("<div lang=\"en\">")
            .expect("the English version");
        let spanish = mail.html.find("Registrar la causa").unwrap();
        let record = mail.html.find("Record the cause").unwrap();
        assert!(spanish < english && english < record);
        assert!(record < mail.html.find("</body>").unwrap());
        assert!(!mail.html[english..].contains("<head>"));

        // One language: the email as it is.
        let alone = in_languages([Language::Ro, Language::Ro], |lang| {
            emails.render_alert(EmailKind::SlaAtRisk, &AlertView::sample_in(lang))
        })
        .unwrap();
        assert_eq!(
            alone,
            emails
                .render_alert(EmailKind::SlaAtRisk, &AlertView::sample_in(Language::Ro))
                .unwrap()
        );
        assert!(!alone.text.contains("———") && !alone.html.contains("<div lang="));
    }

    #[test]
    fn notices_and_their_headlines_are_told_in_the_readers_language() {
        let emails = Emails::new(None).unwrap();
        let mail = emails
            .render_notice(
                EmailKind::Notification,
                &NoticeView::sample_in(Language::Zh),
            )
            .unwrap();
        assert_eq!(
            mail.subject,
            "[RDR-7KX4-9PQM] James Carter 在内部备注中提到了您 — Parcel never arrived"
        );
        assert!(
            mail.text.contains("2026年12月1日 10:00 UTC"),
            "{}",
            mail.text
        );
        let digest = emails
            .render_notice(EmailKind::Digest, &NoticeView::sample_in(Language::Ro))
            .unwrap();
        assert_eq!(
            digest.subject,
            "[Redress] Rezumatul dumneavoastră: 1 notificare"
        );
        assert!(digest.text.contains("1 decembrie 2026, 10:00 UTC"));
        assert!(
            digest
                .text
                .contains("James Carter v-a menționat într-o notă internă")
        );
        let reset = emails
            .render_reset(&ResetView::sample_in(Language::Es))
            .unwrap();
        assert_eq!(reset.subject, "[Redress] Elige una nueva contraseña");
        assert!(reset.text.contains("en los próximos 30 minutos"));

        // What the store wrote from the kind is translated; anything else is kept.
        assert_eq!(
            staff_headline(
                "assigned",
                "James Carter",
                "James Carter assigned the complaint to you",
                Language::Es
            ),
            "James Carter te ha asignado la reclamación"
        );
        assert_eq!(
            staff_headline("customer_wrote", "", "The customer wrote", Language::Ro),
            "Clientul a scris"
        );
        for (kind, actor, headline) in [
            ("assigned", "James Carter", "Someone else wrote this"),
            ("assigned", "", "assigned the complaint to you"),
            ("no_such_kind", "", "The customer wrote"),
        ] {
            assert_eq!(
                staff_headline(kind, actor, headline, Language::Es),
                headline
            );
        }
    }

    #[test]
    fn targets_and_times_in_staff_emails_read_as_each_language_writes_them() {
        use redress_domain::{Target, Unit};
        let words = |target, lang| target_words(target, lang);
        assert_eq!(
            words(Target::business(10, Unit::Days), Language::En),
            "10 business days"
        );
        assert_eq!(
            words(Target::business(1, Unit::Days), Language::En),
            "1 business day"
        );
        assert_eq!(
            words(Target::calendar(8, Unit::Weeks), Language::En),
            "8 weeks"
        );
        assert_eq!(
            words(Target::business(3, Unit::Days), Language::Ro),
            "3 zile lucrătoare"
        );
        assert_eq!(
            words(Target::business(20, Unit::Days), Language::Ro),
            "20 de zile lucrătoare"
        );
        assert_eq!(
            words(Target::business(4, Unit::Hours), Language::Es),
            "4 horas laborables"
        );
        assert_eq!(
            words(Target::calendar(15, Unit::Days), Language::Zh),
            "15 天"
        );
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            promised_date(date, Language::En),
            "the date we gave the customer, 2026-12-01"
        );
        assert_eq!(
            promised_date(date, Language::Es),
            "la fecha que dimos al cliente, el 1 de diciembre de 2026"
        );
        let at = date.and_hms_opt(17, 5, 0).unwrap().and_utc();
        assert_eq!(
            staff_time(&at, Language::En, true),
            "Tue 1 Dec 2026 17:05 UTC"
        );
        assert_eq!(staff_time(&at, Language::En, false), "Tue 1 Dec 2026 17:05");
        assert_eq!(
            staff_time(&at, Language::Ro, false),
            "1 decembrie 2026, 17:05"
        );
        assert_eq!(staff_time(&at, Language::Zh, false), "2026年12月1日 17:05");
        assert_eq!(staff_language(None), Language::En);
        assert_eq!(staff_language(Some("xx")), Language::En);
        assert_eq!(staff_language(Some("es")), Language::Es);
    }
}
