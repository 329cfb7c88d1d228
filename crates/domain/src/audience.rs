//! Who may read what: every text an event carries is for the customer or for staff only, and
//! this module is the one place that decides which. Customer surfaces (their emails, their
//! status page, the "what we told you" of their export) read a complaint through
//! [`for_customer`], which hands them only the texts meant for them; staff pages mark what
//! is [`Audience::Staff`] with [`audience`].
//!
//! | text | audience |
//! |---|---|
//! | the complaint as made (what happened, what they ask for) | customer |
//! | the apology, the points of complaint once sent, the commitment and its date, the owner's name, progress updates and their dates, what we ask of them, replies and their files, the outcome with each point's decision | customer |
//! | what the customer wrote themselves (status page, email, survey, files) | customer |
//! | staff's record of what the customer said on a call or visit | staff, unless the agent shares it as "our summary of what you told us" |
//! | the one-line summary, category, priority, tier | staff |
//! | facts, findings, internal notes, records of communications, reasons for reopening, breach causes, erasure | staff |
//! | points of complaint not sent | staff |
//! | an email from someone other than the customer | staff |

use chrono::{DateTime, NaiveDate, Utc};

use crate::events::{AttachedFile, ComplaintChange, ComplaintEvent};
use crate::points::PointDecision;
use crate::values::{Actor, Outcome, Reference, Sealed};

/// Who may read a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The customer (and staff).
    Customer,
    /// Staff only.
    Staff,
}

/// One thing on the customer's side of the conversation, with only what they may read.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerEntry<'a> {
    /// The event's number in the complaint (from 1), e.g. to find the email it owed.
    pub sequence: usize,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether the customer said it (else we did).
    pub from_customer: bool,
    /// What was said.
    pub said: Said<'a>,
}

/// What was said, as the customer may read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Said<'a> {
    /// Their complaint as it arrived.
    Complaint {
        /// What happened, in their words (or as we took it down).
        description: &'a Sealed,
        /// What they asked us to do.
        remedy_requested: Option<&'a Sealed>,
        /// Whether staff took it down (a call, a visit) rather than the customer writing it.
        taken_down_by_us: bool,
    },
    /// Step 1: our apology.
    Apology(&'a str),
    /// Something they wrote to us (status page, email, an answer to our request).
    TheirWords(&'a Sealed),
    /// Staff's record of what they told us, shared with them.
    OurSummary(&'a Sealed),
    /// Step 2: what we understood their complaint to be.
    Points(&'a [Sealed]),
    /// Step 4: what we will do, and by when.
    Commitment {
        /// The action.
        action: &'a str,
        /// Done by.
        due_on: NaiveDate,
    },
    /// Step 5: who is responsible.
    Owner(&'a str),
    /// Step 6: how things stand, and when they will hear from us next.
    Update {
        /// The update.
        message: &'a str,
        /// The next update by.
        next_update_on: NaiveDate,
    },
    /// What we asked them for.
    Request(&'a str),
    /// A reply in our own words, with its files.
    Reply {
        /// The message.
        message: &'a Sealed,
        /// The files sent with it.
        attachments: &'a [AttachedFile],
    },
    /// The decision.
    Outcome {
        /// Upheld, partly upheld or not upheld.
        outcome: Outcome,
        /// Why.
        reasons: &'a str,
        /// What we do to put it right.
        remedy: Option<&'a str>,
        /// Money paid, in minor units.
        redress_paid_cents: Option<i64>,
        /// Each point's decision, with the point as last recorded before the decision.
        decisions: Vec<(&'a PointDecision, Option<&'a Sealed>)>,
    },
    /// Files they sent (with their form, a note or an email).
    Files(&'a [AttachedFile]),
    /// How they rated the handling.
    Rating {
        /// 1 to 5.
        score: u8,
        /// Their comment.
        comment: Option<&'a Sealed>,
        /// What they would change.
        would_change: Option<&'a Sealed>,
    },
    /// The complaint was reopened (why is for staff).
    Reopened,
    /// The complaint was closed.
    Closed,
    /// The complaint was a duplicate: it is handled with this other one.
    Merged(&'a Reference),
}

/// Whether any part of `event` is for the customer (`next`: the event after it, which tells
/// whether an email came from the customer's own address).
pub fn audience(event: &ComplaintEvent, next: Option<&ComplaintEvent>) -> Audience {
    if customer_side(event, next, &[]).is_some() {
        Audience::Customer
    } else {
        Audience::Staff
    }
}

/// What the customer may read of their complaint, oldest first.
pub fn for_customer(events: &[ComplaintEvent]) -> Vec<CustomerEntry<'_>> {
    let mut points: &[Sealed] = &[];
    let mut entries = Vec::new();
    for (index, event) in events.iter().enumerate() {
        if let ComplaintChange::PointsOfComplaintRecorded { points: latest, .. } = &event.change {
            points = latest;
        }
        if let Some((from_customer, said)) = customer_side(event, events.get(index + 1), points) {
            entries.push(CustomerEntry {
                sequence: index + 1,
                at: event.occurred_at,
                from_customer,
                said,
            });
        }
    }
    entries
}

/// What the customer may read of the event at `index` (as [`for_customer`] gives it).
pub fn customer_entry(events: &[ComplaintEvent], index: usize) -> Option<CustomerEntry<'_>> {
    let points = events[..index.min(events.len())]
        .iter()
        .rev()
        .find_map(|e| match &e.change {
            ComplaintChange::PointsOfComplaintRecorded { points, .. } => Some(points.as_slice()),
            _ => None,
        })
        .unwrap_or(&[]);
    let event = events.get(index)?;
    let points = match &event.change {
        ComplaintChange::PointsOfComplaintRecorded { points, .. } => points.as_slice(),
        _ => points,
    };
    customer_side(event, events.get(index + 1), points).map(|(from_customer, said)| CustomerEntry {
        sequence: index + 1,
        at: event.occurred_at,
        from_customer,
        said,
    })
}

/// `(said by the customer, what)` of an event, if the customer may read any of it.
fn customer_side<'a>(
    event: &'a ComplaintEvent,
    next: Option<&ComplaintEvent>,
    points: &'a [Sealed],
) -> Option<(bool, Said<'a>)> {
    let by_customer = matches!(event.by, Actor::Customer);
    // An email from another address is recorded as a communication "by the customer", and
    // the email's own event after it names the sender: that is not the customer speaking.
    let from_someone_else = matches!(
        next.map(|n| &n.change),
        Some(ComplaintChange::EmailReceived {
            sender: Some(_),
            ..
        })
    );
    let ours = |said| Some((false, said));
    let theirs = |said| Some((true, said));
    match &event.change {
        ComplaintChange::ComplaintReceived {
            description,
            remedy_requested,
            ..
        } => theirs(Said::Complaint {
            description,
            remedy_requested: remedy_requested.as_ref(),
            taken_down_by_us: matches!(event.by, Actor::Staff(_)),
        }),
        ComplaintChange::ComplaintAcknowledged { apology } => ours(Said::Apology(apology)),
        ComplaintChange::CustomerStatementRecorded {
            statement, shared, ..
        } => {
            if by_customer {
                theirs(Said::TheirWords(statement))
            } else if *shared {
                ours(Said::OurSummary(statement))
            } else {
                None
            }
        }
        ComplaintChange::CustomerResponded { response } if by_customer => {
            theirs(Said::TheirWords(response))
        }
        ComplaintChange::CommunicationRecorded { summary, .. }
            if by_customer && !from_someone_else =>
        {
            theirs(Said::TheirWords(summary))
        }
        ComplaintChange::PointsOfComplaintRecorded { points, sent: true } => {
            ours(Said::Points(points))
        }
        ComplaintChange::ActionCommitted { action, due_on } => ours(Said::Commitment {
            action,
            due_on: *due_on,
        }),
        ComplaintChange::OwnerAssigned { owner, .. } => ours(Said::Owner(&owner.name)),
        ComplaintChange::ProgressUpdateSent {
            message,
            next_update_on,
        } => ours(Said::Update {
            message,
            next_update_on: *next_update_on,
        }),
        ComplaintChange::WaitingOnCustomer { request } => ours(Said::Request(request)),
        ComplaintChange::ReplySent {
            message,
            attachments,
            ..
        } => ours(Said::Reply {
            message,
            attachments,
        }),
        ComplaintChange::ComplaintResolved {
            outcome,
            decisions,
            reasons,
            remedy,
            redress_paid_cents,
        } => ours(Said::Outcome {
            outcome: *outcome,
            reasons,
            remedy: remedy.as_deref(),
            redress_paid_cents: *redress_paid_cents,
            decisions: decisions
                .iter()
                .map(|d| {
                    let point = usize::try_from(d.point)
                        .ok()
                        .and_then(|n| n.checked_sub(1))
                        .and_then(|i| points.get(i));
                    (d, point)
                })
                .collect(),
        }),
        ComplaintChange::FilesAttached { files } if by_customer => theirs(Said::Files(files)),
        ComplaintChange::EmailReceived {
            sender: None,
            attachments,
            ..
        } if by_customer && !attachments.is_empty() => theirs(Said::Files(attachments)),
        ComplaintChange::SatisfactionRecorded {
            score,
            comment,
            would_change,
        } if by_customer => theirs(Said::Rating {
            score: *score,
            comment: comment.as_ref(),
            would_change: would_change.as_ref(),
        }),
        ComplaintChange::ComplaintReopened { .. } => ours(Said::Reopened),
        ComplaintChange::ComplaintClosed => ours(Said::Closed),
        ComplaintChange::MergedInto { survivor } => ours(Said::Merged(survivor)),
        // Staff only: what staff took down or found, their notes, triage and bookkeeping.
        ComplaintChange::CustomerResponded { .. }
        | ComplaintChange::CommunicationRecorded { .. }
        | ComplaintChange::PointsOfComplaintRecorded { sent: false, .. }
        | ComplaintChange::FactRecorded { .. }
        | ComplaintChange::InvestigationConcluded { .. }
        | ComplaintChange::InternalNoteAdded { .. }
        | ComplaintChange::FilesAttached { .. }
        | ComplaintChange::EmailReceived { .. }
        | ComplaintChange::SatisfactionRecorded { .. }
        | ComplaintChange::PriorityChanged { .. }
        | ComplaintChange::CategoryChanged { .. }
        | ComplaintChange::PersonalDataErased { .. }
        | ComplaintChange::BreachCauseRecorded { .. }
        | ComplaintChange::TeamChanged { .. }
        | ComplaintChange::TagAdded { .. }
        | ComplaintChange::TagRemoved { .. }
        | ComplaintChange::DuplicateMerged { .. }
        | ComplaintChange::ComplaintLinked { .. }
        | ComplaintChange::RootCausesRecorded { .. } => None,
    }
}
