//! What an email shows, folded from the complaint's events up to the one that owes it (only
//! what the customer may read), and the staff alerts and notices.

use super::*;

/// What a staff alert's template sees, in its recipients' language (`lang`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertView {
    /// Language code (`en` unless the recipient chose another).
    pub lang: String,
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

impl Default for AlertView {
    fn default() -> Self {
        Self {
            lang: "en".into(),
            subject: String::new(),
            to_name: String::new(),
            to: Vec::new(),
            reference: String::new(),
            summary: String::new(),
            clock: String::new(),
            rule: String::new(),
            target: String::new(),
            due: String::new(),
            time_zone: String::new(),
            priority: String::new(),
            tier: String::new(),
            owner: None,
            link: String::new(),
            organisation: String::new(),
        }
    }
}

impl AlertView {
    /// A view with every field filled, to check templates.
    pub fn sample() -> Self {
        Self::sample_in(Language::En)
    }

    /// The sample in `lang`: its clock, target, due time, priority and tier in its words.
    pub fn sample_in(lang: Language) -> Self {
        use chrono::TimeZone;
        let due = chrono_tz::Europe::London
            .with_ymd_and_hms(2026, 12, 1, 17, 0, 0)
            .single()
            .expect("a plain London time");
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Maria Ionescu".into(),
            to: vec!["maria@example.com".into()],
            reference: "RDR-7KX4-9PQM".into(),
            summary: "Parcel never arrived".into(),
            clock: clock_label(redress_domain::SlaClock::Resolve, lang),
            rule: "Starts on receipt.".into(),
            target: target_words(
                redress_domain::Target::business(10, redress_domain::Unit::Days),
                lang,
            ),
            due: staff_time(&due, lang, false),
            time_zone: "Europe/London".into(),
            priority: priority_label(redress_domain::Priority::Normal, lang),
            tier: tier_label(redress_domain::Tier::KeyAccount, lang),
            owner: Some("Maria Ionescu".into()),
            link: "https://example.com/complaints/RDR-7KX4-9PQM".into(),
            organisation: "Redress".into(),
        }
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
    /// The complaint a duplicate was merged into.
    pub survivor: Option<String>,
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

/// What a staff notification's (or digest's) template sees, in its recipients' language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeView {
    /// Language code (`en` unless the recipient chose another).
    pub lang: String,
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

/// The email with a link to choose a new password, in its recipient's language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResetView {
    /// Language code (`en` unless the recipient chose another).
    pub lang: String,
    /// The subject.
    pub subject: String,
    /// Who it goes to.
    pub to_name: String,
    /// The link (it works once).
    pub link: String,
    /// How long it works, in minutes.
    pub minutes: i64,
    /// The organisation.
    pub organisation: String,
}

impl Default for ResetView {
    fn default() -> Self {
        Self {
            lang: "en".into(),
            subject: String::new(),
            to_name: String::new(),
            link: String::new(),
            minutes: 0,
            organisation: String::new(),
        }
    }
}

impl ResetView {
    /// A view to check the templates with.
    pub fn sample() -> Self {
        Self::sample_in(Language::En)
    }

    /// The sample in `lang`.
    pub fn sample_in(lang: Language) -> Self {
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Ana Agent".into(),
            link: "https://redress.example/reset-password/abc.def".into(),
            minutes: 30,
            organisation: "Example Ltd".into(),
        }
    }
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

impl Default for NoticeView {
    fn default() -> Self {
        Self {
            lang: "en".into(),
            subject: String::new(),
            to_name: String::new(),
            items: Vec::new(),
            preferences_link: String::new(),
            organisation: String::new(),
        }
    }
}

impl NoticeView {
    /// A view with every field filled, to check templates.
    pub fn sample() -> Self {
        Self::sample_in(Language::En)
    }

    /// The sample in `lang`: its headline and time in its words.
    pub fn sample_in(lang: Language) -> Self {
        use chrono::TimeZone;
        let at = chrono_tz::UTC
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .single()
            .expect("a plain UTC time");
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Maria Ionescu".into(),
            items: vec![NoticeItem {
                headline: staff_headline(
                    "mentioned",
                    "James Carter",
                    "James Carter mentioned you in an internal note",
                    lang,
                ),
                reference: "RDR-7KX4-9PQM".into(),
                summary: "Parcel never arrived".into(),
                at: staff_time(&at, lang, true),
                link: "https://example.com/complaints/RDR-7KX4-9PQM".into(),
            }],
            preferences_link: "https://example.com/account#notifications".into(),
            organisation: "Redress".into(),
        }
    }
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
            survivor: Some("RDR-3MNB-7QWE".into()),
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
            Said::Merged(survivor) => view.survivor = Some(survivor.to_string()),
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
