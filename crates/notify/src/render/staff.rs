//! Emails to staff (SLA alerts, notifications, digests, the password reset link) in their
//! reader's language (`crates/notify/locales/*/staff-emails.ftl`), and one email for people
//! who read different languages ([`in_languages`]).

use redress_domain::Language;
use redress_store::EmailKind;

use super::*;

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

    /// Renders the email telling an admin that a webhook endpoint was switched off, in the
    /// view's language.
    pub fn render_webhook_off(&self, view: &WebhookOffView) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        let lang = staff_language(Some(&view.lang));
        view.lang = lang.code().into();
        view.subject = one_line(&staff_text(lang, "staff-subject-webhook-off", &[]));
        let (text, html) = self.parts(EmailKind::WebhookSwitchedOff, &view)?;
        Ok(Rendered {
            subject: view.subject,
            text,
            html,
            to_name: one_line(&view.to_name),
            to_email: String::new(),
        })
    }

    /// Renders the reminder that a meeting with a key account is due, in the view's language.
    pub fn render_meeting_due(&self, view: &MeetingDueView) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        let lang = staff_language(Some(&view.lang));
        view.lang = lang.code().into();
        view.subject = one_line(&staff_text(
            lang,
            "staff-subject-meeting-due",
            &[("company", &view.company)],
        ));
        let (text, html) = self.parts(EmailKind::MeetingDue, &view)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
        all.push((
            "webhook switched off".into(),
            emails
                .render_webhook_off(&WebhookOffView::sample_in(lang))
                .unwrap(),
        ));
        all.push((
            "meeting due".into(),
            emails
                .render_meeting_due(&MeetingDueView::sample_in(lang))
                .unwrap(),
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
            "company",
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
