//! The timeline of a complaint as staff read it (every event, with what the customer was
//! told marked apart from what is for staff only), and the opener of the customer's sealed
//! data. The six steps' progress is [`super::steps`].

use chrono::{DateTime, Utc};
use redress_domain::{
    Actor, Audience, ComplaintChange, ComplaintEvent, CustomerId, Direction, Language, Sealed,
    audience,
};
use redress_store::CategoryMap;
use redress_store::vault::SealingKey;
use serde::Serialize;

use crate::AppState;
use crate::error::AppError;
use crate::locale::{self, text, text_with};
use crate::words::counted;

/// One event, as the timeline shows it.
#[derive(Debug, Serialize)]
pub(crate) struct TimelineEntry {
    pub(crate) sequence: usize,
    pub(crate) at: DateTime<Utc>,
    pub(crate) by: String,
    pub(crate) title: String,
    pub(crate) lines: Vec<(String, String)>,
    /// Whether the customer was told any of it (`customer`) or it is for staff only
    /// (`staff`), as the domain decides ([`redress_domain::audience`]).
    pub(crate) audience: Audience,
    /// What kind of entry it is, for its look: `note`, `reply`, `points`, or `event`.
    pub(crate) look: &'static str,
    /// Files it carries (a reply's, a customer's upload): (id, name, size in words).
    pub(crate) files: Vec<(String, String, String)>,
    /// The email this event owed the customer, and how its delivery stands.
    pub(crate) email: Option<EmailStatus>,
    /// An email that arrived: its files and its original, for staff to open.
    pub(crate) inbound: Option<InboundView>,
}

/// An email that arrived, as staff see it on the timeline.
#[derive(Debug, Serialize)]
pub(crate) struct InboundView {
    /// The intake's id of the message (its original is at `/emails/{id}`).
    id: String,
    /// Files kept: (id, name, size in words).
    files: Vec<(String, String, String)>,
    /// Files refused: (name, why).
    refused: Vec<(String, String)>,
}

/// "12 KB", "3.4 MB", "64 bytes", in English (the customer's status page says sizes so).
pub(crate) fn size_words(bytes: u64) -> String {
    size_in(Language::En, bytes)
}

/// "12 KB", "3.4 MB", "64 bytes" in `language` (a decimal comma in Spanish and Romanian).
pub(crate) fn size_in(language: Language, bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        let size = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0));
        let size = match language {
            Language::Es | Language::Ro => size.replace('.', ","),
            Language::En | Language::Zh => size,
        };
        text_with(language, "tl-size-mb", &[("size", size)])
    } else if bytes >= 1024 {
        text_with(
            language,
            "tl-size-kb",
            &[("size", bytes.div_ceil(1024).to_string())],
        )
    } else {
        counted(language, "tl-size-bytes", bytes, &[])
    }
}

/// An email to the customer, as staff see it on the timeline.
#[derive(Debug, Serialize)]
pub(crate) struct EmailStatus {
    pub(crate) id: String,
    kind: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    pub(crate) failing: bool,
}

impl EmailStatus {
    /// As it stood at `at`: sent if it had been by then, else waiting (attempts and errors
    /// between then and now are not kept, so none are shown).
    pub(crate) fn as_at(&mut self, at: DateTime<Utc>) {
        if self.sent_at.is_some_and(|sent| sent <= at) {
            return;
        }
        self.sent_at = None;
        self.state = "pending".into();
        self.attempts = 0;
        self.last_error = None;
        self.failing = false;
    }

    /// The email of `row`, its kind named in `language`.
    pub(crate) fn of(row: redress_store::OutboxRow, language: Language) -> Self {
        Self {
            kind: super::emails::label(language, &row.kind),
            failing: row.state == "dead" || (row.state == "pending" && row.last_error.is_some()),
            id: row.id,
            state: row.state,
            attempts: row.attempts,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            sent_at: row.sent_at,
        }
    }
}

/// Opens a complaint's personal data with its customer's key.
pub(crate) struct Opener {
    customer: CustomerId,
    pub(crate) key: Option<SealingKey>,
    /// The installation's currency, for the amounts staff read ("£24.99", not "24.99").
    currency: redress_domain::Currency,
}

impl Opener {
    /// Whether the customer's key is still held (not erased).
    pub(crate) fn holds_key(&self) -> bool {
        self.key.is_some()
    }

    pub(crate) fn open(&self, sealed: &Sealed) -> String {
        match &self.key {
            Some(key) => key
                .open(self.customer, sealed)
                .unwrap_or_else(|_| "(unreadable)".into()),
            None => "(erased)".into(),
        }
    }
}

/// The opener of `customer`'s personal data (which shows "(erased)" once their key is gone).
pub(crate) async fn opener_for(state: &AppState, customer: CustomerId) -> Result<Opener, AppError> {
    Ok(Opener {
        customer,
        key: state.store.vault.key(customer).await?,
        currency: state.currency.clone(),
    })
}

/// Which way an event spoke with the customer, if it did: what the customer told us, and
/// what we told them (the method: record every communication). For the contact file's log,
/// which staff read; what the customer may read is [`redress_domain::for_customer`]'s.
pub(crate) fn communication_direction(change: &ComplaintChange) -> Option<Direction> {
    match change {
        ComplaintChange::ComplaintReceived { .. }
        | ComplaintChange::CustomerStatementRecorded { .. }
        | ComplaintChange::CustomerResponded { .. }
        | ComplaintChange::FilesAttached { .. }
        | ComplaintChange::SatisfactionRecorded { .. } => Some(Direction::Inbound),
        ComplaintChange::ComplaintAcknowledged { .. }
        | ComplaintChange::ActionCommitted { .. }
        | ComplaintChange::OwnerAssigned { .. }
        | ComplaintChange::ProgressUpdateSent { .. }
        | ComplaintChange::WaitingOnCustomer { .. }
        | ComplaintChange::ReplySent { .. }
        | ComplaintChange::PointsOfComplaintRecorded { sent: true, .. }
        | ComplaintChange::ComplaintResolved { .. }
        | ComplaintChange::MergedInto { .. } => Some(Direction::Outbound),
        ComplaintChange::CommunicationRecorded { direction, .. } => Some(*direction),
        ComplaintChange::FactRecorded { .. }
        | ComplaintChange::InvestigationConcluded { .. }
        | ComplaintChange::PointsOfComplaintRecorded { sent: false, .. }
        | ComplaintChange::InternalNoteAdded { .. }
        | ComplaintChange::ComplaintClosed
        | ComplaintChange::ComplaintReopened { .. }
        | ComplaintChange::PriorityChanged { .. }
        | ComplaintChange::CategoryChanged { .. }
        | ComplaintChange::PersonalDataErased { .. }
        // The email's words are the event before it, which is counted.
        | ComplaintChange::EmailReceived { .. }
        | ComplaintChange::BreachCauseRecorded { .. }
        | ComplaintChange::TeamChanged { .. }
        | ComplaintChange::TagAdded { .. }
        | ComplaintChange::TagRemoved { .. }
        | ComplaintChange::DuplicateMerged { .. }
        | ComplaintChange::ComplaintLinked { .. }
        | ComplaintChange::RootCausesRecorded { .. } => None,
    }
}

/// Who did something, as the timeline names them: staff and the system by name, the customer
/// as "Customer" in `language`.
pub(crate) fn by(actor: &Actor, language: Language) -> String {
    match actor {
        Actor::Customer => text(language, "tl-by-customer"),
        other => other.display_name().to_string(),
    }
}

pub(crate) fn line(label: &str, text: impl Into<String>) -> (String, String) {
    (label.to_string(), text.into())
}

/// Files as the timeline lists them: (id, name, size in words).
fn files_of(
    files: &[redress_domain::AttachedFile],
    opener: &Opener,
    language: Language,
) -> Vec<(String, String, String)> {
    files
        .iter()
        .map(|f| {
            (
                f.id.to_string(),
                opener.open(&f.name),
                size_in(language, f.size),
            )
        })
        .collect()
}

/// The timeline of `events`, oldest first (each entry knows whether the customer was told), in
/// `language`, with the categories named by `categories`.
pub(crate) fn timeline(
    events: &[ComplaintEvent],
    opener: &Opener,
    language: Language,
    categories: &CategoryMap,
) -> Vec<TimelineEntry> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            timeline_entry(
                i + 1,
                event,
                events.get(i + 1),
                opener,
                language,
                categories,
            )
        })
        .collect()
}

/// One event as staff read it, in `language`; `next` is the event after it (it tells whether
/// an email came from the customer's own address).
pub(crate) fn timeline_entry(
    sequence: usize,
    event: &ComplaintEvent,
    next: Option<&ComplaintEvent>,
    opener: &Opener,
    language: Language,
    categories: &CategoryMap,
) -> TimelineEntry {
    let say = |key: &str| text(language, key);
    let with = |key: &str, args: &[(&str, String)]| text_with(language, key, args);
    let labelled = |key: &str, value: String| line(&say(key), value);
    let channel_words =
        |c: &redress_domain::Channel| locale::label(language, "channel", c.code(), c.label());
    let outcome_words = |o: &redress_domain::Outcome| {
        locale::label(language, "outcome", o.code(), o.label()).to_lowercase()
    };
    let priority_words =
        |p: &redress_domain::Priority| locale::label(language, "priority", p.code(), p.label());
    let mut inbound = None;
    let mut look = "event";
    let mut files = Vec::new();
    let (title, lines): (String, Vec<(String, String)>) = match &event.change {
        ComplaintChange::ComplaintReceived {
            channel,
            category,
            summary,
            description,
            remedy_requested,
            priority,
            ..
        } => (
            with("tl-received", &[("channel", channel_words(channel))]),
            [
                Some(labelled("tl-line-summary", summary.clone())),
                Some(labelled(
                    "tl-line-category",
                    categories.label(category, language),
                )),
                Some(labelled("tl-line-priority", priority_words(priority))),
                Some(labelled("tl-line-what-happened", opener.open(description))),
                remedy_requested
                    .as_ref()
                    .map(|r| labelled("tl-line-asks-for", opener.open(r))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::ComplaintAcknowledged { apology } => (
            say("tl-acknowledged"),
            vec![labelled("tl-line-apology", apology.clone())],
        ),
        ComplaintChange::CustomerStatementRecorded {
            channel,
            statement,
            shared,
        } => match (&event.by, shared) {
            (Actor::Customer, _) => (
                with("tl-customer-wrote", &[("channel", channel_words(channel))]),
                vec![labelled("tl-line-their-words", opener.open(statement))],
            ),
            (_, true) => (
                with("tl-customer-told", &[("channel", channel_words(channel))]),
                vec![labelled("tl-line-shared-summary", opener.open(statement))],
            ),
            (_, false) => (
                with("tl-customer-told", &[("channel", channel_words(channel))]),
                vec![labelled("tl-line-our-record", opener.open(statement))],
            ),
        },
        ComplaintChange::PointsOfComplaintRecorded { points, sent } => {
            look = "points";
            (
                if *sent {
                    say("tl-points-sent")
                } else {
                    say("tl-points")
                },
                points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        line(
                            &with("tl-line-point", &[("number", (i + 1).to_string())]),
                            opener.open(p),
                        )
                    })
                    .collect(),
            )
        }
        ComplaintChange::ReplySent {
            message,
            attachments,
            ..
        } => {
            look = "reply";
            files = files_of(attachments, opener, language);
            (
                say("tl-reply"),
                vec![labelled("tl-line-message", opener.open(message))],
            )
        }
        ComplaintChange::InternalNoteAdded { note, mentions } => {
            look = "note";
            let mut lines = vec![labelled("tl-line-note", opener.open(note))];
            if !mentions.is_empty() {
                lines.push(labelled(
                    "tl-line-mentions",
                    mentions
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ));
            }
            (say("tl-note"), lines)
        }
        ComplaintChange::FilesAttached { files: added } => {
            files = files_of(added, opener, language);
            (say("tl-files-added"), vec![])
        }
        ComplaintChange::FactRecorded { fact, source } => (
            say("tl-fact"),
            [
                Some(labelled("tl-line-fact", fact.clone())),
                source
                    .as_ref()
                    .map(|s| labelled("tl-line-source", s.clone())),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::InvestigationConcluded { findings } => (
            say("tl-concluded"),
            vec![labelled("tl-line-findings", findings.clone())],
        ),
        ComplaintChange::ActionCommitted { action, due_on } => (
            say("tl-committed"),
            vec![
                labelled("tl-line-action", action.clone()),
                labelled("tl-line-done-by", due_on.to_string()),
            ],
        ),
        ComplaintChange::OwnerAssigned { owner, previous } => (
            with("tl-owner", &[("name", owner.name.clone())]),
            previous
                .iter()
                .map(|p| labelled("tl-line-before", p.name.clone()))
                .collect(),
        ),
        ComplaintChange::ProgressUpdateSent {
            message,
            next_update_on,
        } => (
            say("tl-update-sent"),
            vec![
                labelled("tl-line-update", message.clone()),
                labelled("tl-line-next-update-by", next_update_on.to_string()),
            ],
        ),
        ComplaintChange::WaitingOnCustomer { request } => (
            say("tl-waiting"),
            vec![labelled("tl-line-asked-for", request.clone())],
        ),
        ComplaintChange::CustomerResponded { response } => (
            say("tl-responded"),
            vec![labelled("tl-line-their-answer", opener.open(response))],
        ),
        ComplaintChange::ComplaintResolved {
            outcome,
            decisions,
            reasons,
            remedy,
            redress_paid_cents,
        } => (
            with("tl-resolved", &[("outcome", outcome_words(outcome))]),
            decisions
                .iter()
                .map(|d| {
                    line(
                        &with(
                            "tl-line-point-decided",
                            &[
                                ("number", d.point.to_string()),
                                ("outcome", outcome_words(&d.outcome)),
                            ],
                        ),
                        d.reasons.clone(),
                    )
                })
                .map(Some)
                .chain([
                    Some(labelled("tl-line-reasons", reasons.clone())),
                    remedy
                        .as_ref()
                        .map(|r| labelled("tl-line-remedy", r.clone())),
                    redress_paid_cents.map(|c| {
                        labelled("tl-line-redress-paid", opener.currency.format(c, language))
                    }),
                ])
                .flatten()
                .collect(),
        ),
        ComplaintChange::ComplaintClosed => (say("tl-closed"), vec![]),
        ComplaintChange::ComplaintReopened { reason } => (
            say("tl-reopened"),
            vec![labelled("tl-line-why", reason.clone())],
        ),
        ComplaintChange::SatisfactionRecorded {
            score,
            comment,
            would_change,
        } => (
            with("tl-satisfaction", &[("score", score.to_string())]),
            [
                comment
                    .as_ref()
                    .map(|c| labelled("tl-line-comment", opener.open(c))),
                would_change
                    .as_ref()
                    .map(|w| labelled("tl-line-would-change", opener.open(w))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::PriorityChanged { from, to } => (
            with(
                "tl-priority-changed",
                &[("from", priority_words(from)), ("to", priority_words(to))],
            ),
            vec![],
        ),
        ComplaintChange::CategoryChanged { from, to } => (
            with(
                "tl-category-changed",
                &[
                    ("from", categories.label(from, language)),
                    ("to", categories.label(to, language)),
                ],
            ),
            vec![],
        ),
        ComplaintChange::CommunicationRecorded {
            direction,
            channel,
            summary,
        } => (
            with(
                "tl-communication",
                &[
                    (
                        "direction",
                        locale::label(language, "direction", direction.code(), direction.label()),
                    ),
                    ("channel", channel_words(channel)),
                ],
            ),
            vec![labelled("tl-line-summary", opener.open(summary))],
        ),
        ComplaintChange::PersonalDataErased { reason } => (
            say("tl-erased"),
            vec![labelled("tl-line-why", reason.clone())],
        ),
        ComplaintChange::TeamChanged {
            team,
            previous,
            reason,
        } => (
            match previous {
                Some(previous) => with(
                    "tl-team-moved",
                    &[("from", previous.name.clone()), ("to", team.name.clone())],
                ),
                None => with("tl-team-routed", &[("team", team.name.clone())]),
            },
            vec![labelled("tl-line-why", reason.clone())],
        ),
        ComplaintChange::TagAdded { tag } => (with("tl-tagged", &[("tag", tag.clone())]), vec![]),
        ComplaintChange::RootCausesRecorded { causes } => (
            with("tl-root-causes", &[("causes", causes.join(", "))]),
            vec![],
        ),
        ComplaintChange::MergedInto { survivor } => (
            with("tl-merged-into", &[("survivor", survivor.to_string())]),
            vec![labelled(
                "tl-line-the-customer",
                with(
                    "tl-line-told-handled-with",
                    &[("survivor", survivor.to_string())],
                ),
            )],
        ),
        ComplaintChange::DuplicateMerged { duplicate } => (
            with("tl-took-duplicate", &[("duplicate", duplicate.to_string())]),
            vec![],
        ),
        ComplaintChange::ComplaintLinked { other } => {
            (with("tl-linked", &[("other", other.to_string())]), vec![])
        }
        ComplaintChange::TagRemoved { tag } => {
            (with("tl-tag-removed", &[("tag", tag.clone())]), vec![])
        }
        ComplaintChange::BreachCauseRecorded {
            clock,
            cycle,
            cause,
        } => (
            with(
                "tl-breach-cause",
                &[(
                    "clock",
                    locale::label(language, "clock", clock.code(), clock.label()),
                )],
            ),
            vec![
                labelled("tl-line-run", cycle.to_string()),
                labelled("tl-line-cause", cause.clone()),
            ],
        ),
        ComplaintChange::EmailReceived {
            id,
            subject,
            sender,
            attachments,
            refused,
        } => {
            look = "email";
            inbound = Some(InboundView {
                id: id.to_string(),
                files: files_of(attachments, opener, language),
                refused: refused
                    .iter()
                    .map(|f| {
                        (
                            opener.open(&f.name),
                            format!("{} ({})", f.reason, size_in(language, f.size)),
                        )
                    })
                    .collect(),
            });
            (
                say("tl-email-received"),
                [
                    Some(labelled("tl-line-subject", opener.open(subject))),
                    sender.as_ref().map(|s| {
                        labelled(
                            "tl-line-from",
                            with("tl-line-not-their-address", &[("sender", opener.open(s))]),
                        )
                    }),
                ]
                .into_iter()
                .flatten()
                .collect(),
            )
        }
    };
    TimelineEntry {
        sequence,
        at: event.occurred_at,
        by: by(&event.by, language),
        title,
        lines,
        audience: audience(event, next),
        look,
        files,
        email: None,
        inbound,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::NaiveDate;
    use redress_domain::{
        AttachedFile, Channel, Outcome, PointDecision, Priority, Reference, RefusedFile,
        SealedCustomer, SlaClock, StaffMember, TeamRef, Tier,
    };
    use redress_store::Category;
    use uuid::Uuid;

    use super::*;
    use crate::complaints::steps::steps;
    use redress_domain::Complaint;

    fn sealed() -> Sealed {
        Sealed("sealed".into())
    }

    fn file(size: u64) -> AttachedFile {
        AttachedFile {
            id: Uuid::nil(),
            name: sealed(),
            content_type: "application/pdf".into(),
            size,
        }
    }

    fn staff(name: &str) -> StaffMember {
        StaffMember {
            id: Uuid::nil(),
            name: name.into(),
        }
    }

    fn team(name: &str) -> TeamRef {
        TeamRef {
            id: Uuid::nil(),
            name: name.into(),
        }
    }

    /// One event of every kind, with the titles it had in English before the timeline spoke
    /// other languages.
    fn every_change() -> Vec<(ComplaintChange, &'static str)> {
        let reference = Reference::parse("RDR-7KX4-9PQM").unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        vec![
            (
                ComplaintChange::ComplaintReceived {
                    reference: reference.clone(),
                    customer: SealedCustomer {
                        id: CustomerId(Uuid::nil()),
                        name: sealed(),
                        email: None,
                        phone: None,
                    },
                    language: Language::Ro,
                    company: None,
                    tier: Tier::Standard,
                    channel: Channel::Phone,
                    category: "billing".into(),
                    summary: "Charged twice".into(),
                    description: sealed(),
                    remedy_requested: Some(sealed()),
                    priority: Priority::High,
                },
                "Complaint received (Phone)",
            ),
            (
                ComplaintChange::ComplaintAcknowledged {
                    apology: "Sorry".into(),
                },
                "Step 1 · Acknowledged with an apology",
            ),
            (
                ComplaintChange::CustomerStatementRecorded {
                    channel: Channel::Email,
                    statement: sealed(),
                    shared: true,
                },
                "What the customer told us (Email)",
            ),
            (
                ComplaintChange::PointsOfComplaintRecorded {
                    points: vec![sealed(), sealed()],
                    sent: true,
                },
                "Step 2 · Points of complaint, sent to the customer",
            ),
            (
                ComplaintChange::FactRecorded {
                    fact: "Two charges".into(),
                    source: Some("Ledger".into()),
                },
                "Step 3 · Fact established",
            ),
            (
                ComplaintChange::InvestigationConcluded {
                    findings: "A bug".into(),
                },
                "Step 3 · Investigation concluded",
            ),
            (
                ComplaintChange::ActionCommitted {
                    action: "Refund".into(),
                    due_on: date,
                },
                "Step 4 · Committed to an action",
            ),
            (
                ComplaintChange::OwnerAssigned {
                    owner: staff("Ana Pop"),
                    previous: Some(staff("Ion")),
                },
                "Step 5 · Ana Pop is responsible",
            ),
            (
                ComplaintChange::ProgressUpdateSent {
                    message: "Soon".into(),
                    next_update_on: date,
                },
                "Step 6 · Progress update sent",
            ),
            (
                ComplaintChange::WaitingOnCustomer {
                    request: "A receipt".into(),
                },
                "Waiting on the customer",
            ),
            (
                ComplaintChange::CustomerResponded { response: sealed() },
                "The customer responded",
            ),
            (
                ComplaintChange::ComplaintResolved {
                    outcome: Outcome::PartlyUpheld,
                    decisions: vec![PointDecision {
                        point: 1,
                        outcome: Outcome::NotUpheld,
                        reasons: "No".into(),
                    }],
                    reasons: "Because".into(),
                    remedy: Some("Refund".into()),
                    redress_paid_cents: Some(2_499),
                },
                "Resolved: partly upheld",
            ),
            (ComplaintChange::ComplaintClosed, "Closed"),
            (
                ComplaintChange::ComplaintReopened {
                    reason: "Again".into(),
                },
                "Reopened",
            ),
            (
                ComplaintChange::SatisfactionRecorded {
                    score: 4,
                    comment: Some(sealed()),
                    would_change: Some(sealed()),
                },
                "Satisfaction: 4 of 5",
            ),
            (
                ComplaintChange::PriorityChanged {
                    from: Priority::Normal,
                    to: Priority::Urgent,
                },
                "Priority changed from Normal to Urgent",
            ),
            (
                ComplaintChange::CategoryChanged {
                    from: "billing".into(),
                    to: "a legacy value".into(),
                },
                "Category changed from Billing to a legacy value",
            ),
            (
                ComplaintChange::CommunicationRecorded {
                    direction: Direction::Outbound,
                    channel: Channel::Phone,
                    summary: sealed(),
                },
                "To the customer (Phone)",
            ),
            (
                ComplaintChange::PersonalDataErased {
                    reason: "Asked".into(),
                },
                "Personal data erased",
            ),
            (
                ComplaintChange::EmailReceived {
                    id: Uuid::nil(),
                    subject: sealed(),
                    sender: Some(sealed()),
                    attachments: vec![file(3 * 1024 * 1024 + 400_000)],
                    refused: vec![RefusedFile {
                        name: sealed(),
                        size: 20,
                        reason: "not allowed".into(),
                    }],
                },
                "Email received",
            ),
            (
                ComplaintChange::ReplySent {
                    message: sealed(),
                    attachments: vec![file(12_000)],
                    saved_reply: None,
                },
                "Reply to the customer",
            ),
            (
                ComplaintChange::InternalNoteAdded {
                    note: sealed(),
                    mentions: vec![staff("Ana Pop")],
                },
                "Internal note",
            ),
            (
                ComplaintChange::FilesAttached {
                    files: vec![file(1), file(64)],
                },
                "Files added",
            ),
            (
                ComplaintChange::BreachCauseRecorded {
                    clock: SlaClock::Resolve,
                    cycle: 1,
                    cause: "Holidays".into(),
                },
                "Cause of an SLA breach recorded: Resolve",
            ),
            (
                ComplaintChange::TeamChanged {
                    team: team("Billing"),
                    previous: Some(team("Complaints")),
                    reason: "Money".into(),
                },
                "Moved from the team Complaints to Billing",
            ),
            (
                ComplaintChange::TagAdded {
                    tag: "refund".into(),
                },
                "Tagged \"refund\"",
            ),
            (
                ComplaintChange::TagRemoved {
                    tag: "refund".into(),
                },
                "Tag \"refund\" removed",
            ),
            (
                ComplaintChange::MergedInto {
                    survivor: reference.clone(),
                },
                "Merged into RDR-7KX4-9PQM as a duplicate",
            ),
            (
                ComplaintChange::DuplicateMerged {
                    duplicate: reference.clone(),
                },
                "Took in the duplicate RDR-7KX4-9PQM",
            ),
            (
                ComplaintChange::ComplaintLinked { other: reference },
                "Linked with RDR-7KX4-9PQM",
            ),
            (
                ComplaintChange::RootCausesRecorded {
                    causes: vec!["courier-late".into(), "wrong-tariff".into()],
                },
                "Root causes: courier-late, wrong-tariff",
            ),
        ]
    }

    #[test]
    fn the_timeline_reads_as_before_in_english_and_fully_in_every_language() {
        let opener = Opener {
            customer: CustomerId(Uuid::nil()),
            key: None,
            currency: redress_domain::Currency::parse("GBP").unwrap(),
        };
        let categories = CategoryMap::new(
            vec![Category {
                code: "billing".into(),
                names: ["Billing", "Facturación", "Facturare", "账单"]
                    .map(String::from)
                    .to_vec(),
                fca_group: None,
                position: 1,
                retired: false,
            }],
            HashMap::new(),
        );
        let at = DateTime::parse_from_rfc3339("2026-03-02T10:15:00Z")
            .unwrap()
            .to_utc();
        let (changes, titles): (Vec<_>, Vec<_>) = every_change().into_iter().unzip();
        let events: Vec<ComplaintEvent> = changes
            .into_iter()
            .map(|change| ComplaintEvent {
                occurred_at: at,
                by: Actor::Staff(staff("Ana Pop")),
                change,
            })
            .collect();
        let english = timeline(&events, &opener, Language::En, &categories);
        for (entry, title) in english.iter().zip(&titles) {
            assert_eq!(&entry.title, title);
        }
        let lines = |n: usize| -> Vec<(&str, &str)> {
            english[n]
                .lines
                .iter()
                .map(|(l, t)| (l.as_str(), t.as_str()))
                .collect()
        };
        assert_eq!(
            lines(0),
            [
                ("Summary", "Charged twice"),
                ("Category", "Billing"),
                ("Priority", "High"),
                ("What happened", "(erased)"),
                ("The customer asks for", "(erased)"),
            ]
        );
        assert_eq!(
            lines(11),
            [
                ("Point 1: not upheld", "No"),
                ("Reasons", "Because"),
                ("Remedy", "Refund"),
                ("Redress paid", "£24.99"),
            ]
        );
        assert_eq!(
            lines(19),
            [
                ("Subject", "(erased)"),
                ("From", "(erased) (not the customer's address)"),
            ]
        );
        assert_eq!(
            lines(27),
            [(
                "The customer",
                "is told their complaint is handled with RDR-7KX4-9PQM"
            )]
        );
        let inbound = english[19].inbound.as_ref().unwrap();
        assert_eq!(inbound.files[0].2, "3.4 MB");
        assert_eq!(inbound.refused[0].1, "not allowed (20 bytes)");
        assert_eq!(english[20].files[0].2, "12 KB");
        assert_eq!(
            (
                english[22].files[0].2.as_str(),
                english[22].files[1].2.as_str()
            ),
            ("1 bytes", "64 bytes")
        );
        let complaint = Complaint::from_events(&events);
        let steps_en = steps(&events, &complaint, Language::En);
        assert_eq!(
            steps_en
                .iter()
                .map(|s| s.title.as_str())
                .collect::<Vec<_>>(),
            [
                "Apologise",
                "Listen",
                "Establish the facts",
                "Commit to action",
                "Name the owner",
                "Keep informed"
            ]
        );
        assert_eq!(
            steps_en[1].detail.as_deref(),
            Some("2 points, sent to the customer")
        );
        for language in Language::ALL {
            let read = timeline(&events, &opener, *language, &categories);
            let steps = steps(&events, &complaint, *language);
            let words = read
                .iter()
                .flat_map(|e| {
                    std::iter::once(e.title.clone())
                        .chain(e.lines.iter().flat_map(|(l, t)| [l.clone(), t.clone()]))
                        .chain(e.files.iter().map(|f| f.2.clone()))
                })
                .chain(
                    steps
                        .iter()
                        .flat_map(|s| std::iter::once(s.title.clone()).chain(s.detail.clone())),
                );
            for words in words {
                assert!(
                    !words.is_empty() && !words.contains("Unknown localization"),
                    "{language:?}: {words:?}"
                );
            }
        }
        let spanish = timeline(&events, &opener, Language::Es, &categories);
        assert_eq!(spanish[0].title, "Reclamación recibida (Teléfono)");
        assert_eq!(spanish[0].lines[1].1, "Facturación");
        assert_eq!(spanish[11].title, "Resuelta: estimada en parte");
        assert_eq!(spanish[19].inbound.as_ref().unwrap().files[0].2, "3,4 MB");
        assert_eq!(size_in(Language::Ro, 64), "64 de octeți");
        assert_eq!(size_words(64), "64 bytes", "the customer's page as before");
    }
}
