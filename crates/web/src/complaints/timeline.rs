//! The timeline of a complaint as staff read it (every event, with what the customer was
//! told marked apart from what is for staff only), the six steps' progress, and the opener of
//! the customer's sealed data.

use chrono::{DateTime, Utc};
use redress_domain::{
    Actor, Audience, Complaint, ComplaintChange, ComplaintEvent, CustomerId, Direction, Sealed,
    Step, audience,
};
use redress_store::vault::SealingKey;
use serde::Serialize;

use crate::AppState;
use crate::error::AppError;

/// One of the six steps, as the progress indicator shows it.
#[derive(Debug, Serialize)]
pub(crate) struct StepView {
    number: u8,
    title: &'static str,
    done: bool,
    current: bool,
    at: Option<DateTime<Utc>>,
    by: Option<String>,
    detail: Option<String>,
}

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

/// "12 KB", "3.4 MB", "64 bytes".
pub(crate) fn size_words(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// An email to the customer, as staff see it on the timeline.
#[derive(Debug, Serialize)]
pub(crate) struct EmailStatus {
    pub(crate) id: String,
    kind: &'static str,
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

    pub(crate) fn of(row: redress_store::OutboxRow) -> Self {
        Self {
            kind: super::emails::label(&row.kind),
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
        | ComplaintChange::ComplaintLinked { .. } => None,
    }
}

fn by(actor: &Actor) -> String {
    actor.display_name().to_string()
}

pub(crate) fn line(label: &str, text: impl Into<String>) -> (String, String) {
    (label.to_string(), text.into())
}

/// Files as the timeline lists them: (id, name, size in words).
fn files_of(
    files: &[redress_domain::AttachedFile],
    opener: &Opener,
) -> Vec<(String, String, String)> {
    files
        .iter()
        .map(|f| (f.id.to_string(), opener.open(&f.name), size_words(f.size)))
        .collect()
}

/// The timeline of `events`, oldest first (each entry knows whether the customer was told).
pub(crate) fn timeline(events: &[ComplaintEvent], opener: &Opener) -> Vec<TimelineEntry> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| timeline_entry(i + 1, event, events.get(i + 1), opener))
        .collect()
}

/// One event as staff read it; `next` is the event after it (it tells whether an email came
/// from the customer's own address).
pub(crate) fn timeline_entry(
    sequence: usize,
    event: &ComplaintEvent,
    next: Option<&ComplaintEvent>,
    opener: &Opener,
) -> TimelineEntry {
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
            format!("Complaint received ({})", channel.label()),
            [
                Some(line("Summary", summary.clone())),
                Some(line("Category", category.clone())),
                Some(line("Priority", priority.label())),
                Some(line("What happened", opener.open(description))),
                remedy_requested
                    .as_ref()
                    .map(|r| line("The customer asks for", opener.open(r))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::ComplaintAcknowledged { apology } => (
            "Step 1 · Acknowledged with an apology".into(),
            vec![line("Apology", apology.clone())],
        ),
        ComplaintChange::CustomerStatementRecorded {
            channel,
            statement,
            shared,
        } => match (&event.by, shared) {
            (Actor::Customer, _) => (
                format!("The customer wrote ({})", channel.label()),
                vec![line("Their words", opener.open(statement))],
            ),
            (_, true) => (
                format!("What the customer told us ({})", channel.label()),
                vec![line(
                    "Our summary, shared with the customer",
                    opener.open(statement),
                )],
            ),
            (_, false) => (
                format!("What the customer told us ({})", channel.label()),
                vec![line("Our record", opener.open(statement))],
            ),
        },
        ComplaintChange::PointsOfComplaintRecorded { points, sent } => {
            look = "points";
            (
                if *sent {
                    "Step 2 · Points of complaint, sent to the customer".into()
                } else {
                    "Step 2 · Points of complaint".into()
                },
                points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| line(&format!("Point {}", i + 1), opener.open(p)))
                    .collect(),
            )
        }
        ComplaintChange::ReplySent {
            message,
            attachments,
            ..
        } => {
            look = "reply";
            files = files_of(attachments, opener);
            (
                "Reply to the customer".into(),
                vec![line("Message", opener.open(message))],
            )
        }
        ComplaintChange::InternalNoteAdded { note, mentions } => {
            look = "note";
            let mut lines = vec![line("Note", opener.open(note))];
            if !mentions.is_empty() {
                lines.push(line(
                    "Mentions",
                    mentions
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ));
            }
            ("Internal note".into(), lines)
        }
        ComplaintChange::FilesAttached { files: added } => {
            files = files_of(added, opener);
            ("Files added".into(), vec![])
        }
        ComplaintChange::FactRecorded { fact, source } => (
            "Step 3 · Fact established".into(),
            [
                Some(line("Fact", fact.clone())),
                source.as_ref().map(|s| line("Source", s.clone())),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::InvestigationConcluded { findings } => (
            "Step 3 · Investigation concluded".into(),
            vec![line("Findings", findings.clone())],
        ),
        ComplaintChange::ActionCommitted { action, due_on } => (
            "Step 4 · Committed to an action".into(),
            vec![
                line("Action", action.clone()),
                line("Done by", due_on.to_string()),
            ],
        ),
        ComplaintChange::OwnerAssigned { owner, previous } => (
            format!("Step 5 · {} is responsible", owner.name),
            previous
                .iter()
                .map(|p| line("Before", p.name.clone()))
                .collect(),
        ),
        ComplaintChange::ProgressUpdateSent {
            message,
            next_update_on,
        } => (
            "Step 6 · Progress update sent".into(),
            vec![
                line("Update", message.clone()),
                line("Next update by", next_update_on.to_string()),
            ],
        ),
        ComplaintChange::WaitingOnCustomer { request } => (
            "Waiting on the customer".into(),
            vec![line("We asked for", request.clone())],
        ),
        ComplaintChange::CustomerResponded { response } => (
            "The customer responded".into(),
            vec![line("Their answer", opener.open(response))],
        ),
        ComplaintChange::ComplaintResolved {
            outcome,
            decisions,
            reasons,
            remedy,
            redress_paid_cents,
        } => (
            format!("Resolved: {}", outcome.label().to_lowercase()),
            decisions
                .iter()
                .map(|d| {
                    line(
                        &format!("Point {}: {}", d.point, d.outcome.label().to_lowercase()),
                        d.reasons.clone(),
                    )
                })
                .map(Some)
                .chain([
                    Some(line("Reasons", reasons.clone())),
                    remedy.as_ref().map(|r| line("Remedy", r.clone())),
                    redress_paid_cents.map(|c| {
                        line(
                            "Redress paid",
                            opener.currency.format(c, redress_domain::Language::En),
                        )
                    }),
                ])
                .flatten()
                .collect(),
        ),
        ComplaintChange::ComplaintClosed => ("Closed".into(), vec![]),
        ComplaintChange::ComplaintReopened { reason } => {
            ("Reopened".into(), vec![line("Why", reason.clone())])
        }
        ComplaintChange::SatisfactionRecorded {
            score,
            comment,
            would_change,
        } => (
            format!("Satisfaction: {score} of 5"),
            [
                comment.as_ref().map(|c| line("Comment", opener.open(c))),
                would_change
                    .as_ref()
                    .map(|w| line("Would change", opener.open(w))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::PriorityChanged { from, to } => (
            format!("Priority changed from {} to {}", from.label(), to.label()),
            vec![],
        ),
        ComplaintChange::CategoryChanged { from, to } => {
            (format!("Category changed from {from} to {to}"), vec![])
        }
        ComplaintChange::CommunicationRecorded {
            direction,
            channel,
            summary,
        } => (
            format!("{} ({})", direction.label(), channel.label()),
            vec![line("Summary", opener.open(summary))],
        ),
        ComplaintChange::PersonalDataErased { reason } => (
            "Personal data erased".into(),
            vec![line("Why", reason.clone())],
        ),
        ComplaintChange::TeamChanged {
            team,
            previous,
            reason,
        } => (
            match previous {
                Some(previous) => format!("Moved from the team {} to {}", previous.name, team.name),
                None => format!("Routed to the team {}", team.name),
            },
            vec![line("Why", reason.clone())],
        ),
        ComplaintChange::TagAdded { tag } => (format!("Tagged \"{tag}\""), vec![]),
        ComplaintChange::MergedInto { survivor } => (
            format!("Merged into {survivor} as a duplicate"),
            vec![line(
                "The customer",
                format!("is told their complaint is handled with {survivor}"),
            )],
        ),
        ComplaintChange::DuplicateMerged { duplicate } => {
            (format!("Took in the duplicate {duplicate}"), vec![])
        }
        ComplaintChange::ComplaintLinked { other } => (format!("Linked with {other}"), vec![]),
        ComplaintChange::TagRemoved { tag } => (format!("Tag \"{tag}\" removed"), vec![]),
        ComplaintChange::BreachCauseRecorded {
            clock,
            cycle,
            cause,
        } => (
            format!("Cause of an SLA breach recorded: {}", clock.label()),
            vec![line("Run", cycle.to_string()), line("Cause", cause.clone())],
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
                files: attachments
                    .iter()
                    .map(|f| (f.id.to_string(), opener.open(&f.name), size_words(f.size)))
                    .collect(),
                refused: refused
                    .iter()
                    .map(|f| {
                        (
                            opener.open(&f.name),
                            format!("{} ({})", f.reason, size_words(f.size)),
                        )
                    })
                    .collect(),
            });
            (
                "Email received".into(),
                [
                    Some(line("Subject", opener.open(subject))),
                    sender.as_ref().map(|s| {
                        line(
                            "From",
                            format!("{} (not the customer's address)", opener.open(s)),
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
        by: by(&event.by),
        title,
        lines,
        audience: audience(event, next),
        look,
        files,
        email: None,
        inbound,
    }
}

/// The six steps: which are done, by whom and when, and which is next.
pub(crate) fn steps(events: &[ComplaintEvent], complaint: &Complaint) -> Vec<StepView> {
    let last = |pick: &dyn Fn(&ComplaintChange) -> Option<String>| {
        events
            .iter()
            .rev()
            .find_map(|e| pick(&e.change).map(|detail| (e.occurred_at, by(&e.by), detail)))
    };
    let progress = complaint.progress();
    let current = progress.step();
    let acknowledged =
        last(&|c| matches!(c, ComplaintChange::ComplaintAcknowledged { .. }).then(String::new));
    // Step 2 is done when the points of complaint are recorded (a complaint concluded
    // before points existed passed it without them).
    let listened = last(&|c| match c {
        ComplaintChange::PointsOfComplaintRecorded { points, sent } => Some(format!(
            "{} point{}{}",
            points.len(),
            if points.len() == 1 { "" } else { "s" },
            if *sent { ", sent to the customer" } else { "" }
        )),
        _ => None,
    });
    let heard = progress.listened || progress.investigation_concluded;
    let concluded = last(&|c| match c {
        ComplaintChange::InvestigationConcluded { findings } => Some(findings.clone()),
        _ => None,
    });
    let committed = complaint
        .commitment()
        .map(|c| format!("{} — by {}", c.action, c.due_on));
    let committed_at =
        last(&|c| matches!(c, ComplaintChange::ActionCommitted { .. }).then(String::new));
    let owned = last(&|c| match c {
        ComplaintChange::OwnerAssigned { owner, .. } => Some(owner.name.clone()),
        _ => None,
    });
    // Once resolved, the outcome was the last word owed: no "next update by" any more.
    let updated = if progress.resolved {
        last(&|c| {
            matches!(c, ComplaintChange::ComplaintResolved { .. })
                .then(|| "the outcome sent; no further update owed".to_string())
        })
    } else {
        last(&|c| match c {
            ComplaintChange::ProgressUpdateSent { next_update_on, .. } => {
                Some(format!("next update by {next_update_on}"))
            }
            _ => None,
        })
    };
    let view = |number,
                title,
                done: bool,
                step: Option<Step>,
                found: Option<(DateTime<Utc>, String, String)>| {
        let (at, who, detail) = match found {
            Some((at, who, detail)) => {
                (Some(at), Some(who), (!detail.is_empty()).then_some(detail))
            }
            None => (None, None, None),
        };
        StepView {
            number,
            title,
            done,
            current: step == Some(current),
            at,
            by: who,
            detail,
        }
    };
    vec![
        view(
            1,
            "Apologise",
            progress.acknowledged,
            Some(Step::Acknowledge),
            acknowledged,
        ),
        view(2, "Listen", heard, Some(Step::Listen), listened),
        view(
            3,
            "Establish the facts",
            progress.investigation_concluded,
            Some(Step::EstablishFacts),
            concluded,
        ),
        view(
            4,
            "Commit to action",
            progress.action_committed,
            Some(Step::CommitToAction),
            committed_at.map(|(at, who, _)| (at, who, committed.unwrap_or_default())),
        ),
        view(
            5,
            "Name the owner",
            progress.owner_named,
            Some(Step::NameOwner),
            owned,
        ),
        view(
            6,
            "Keep informed",
            progress.resolved,
            Some(Step::KeepInformed),
            updated,
        ),
    ]
}
