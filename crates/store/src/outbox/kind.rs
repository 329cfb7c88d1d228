//! The kinds of email, which one an event owes, and the ids (and Message-IDs) derived from
//! the event that owes it.

use super::*;

/// What an email tells the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// We have your complaint; here is its reference.
    Receipt,
    /// Step 1: we are sorry.
    Acknowledgement,
    /// Step 5: who is responsible (and every change of owner).
    Owner,
    /// Step 4: what we will do, by when.
    Commitment,
    /// Step 6: how things stand, and when you will hear from us next.
    Progress,
    /// We need something from you.
    Request,
    /// The decision, its reasons and remedy, and where to turn if still unhappy.
    Outcome,
    /// After closure: how did we do?
    Survey,
    /// A fresh link to their status page, which they asked for (not owed by an event).
    StatusLink,
    /// To staff: an SLA clock is at risk.
    SlaAtRisk,
    /// To staff: an SLA clock was breached; record the cause.
    SlaBreach,
    /// A reply in our own words (step 6, or any time until closure).
    Reply,
    /// Step 2: here is what we understood; reply if we missed something.
    Points,
    /// To staff: something happened on their complaint (see the notifications module).
    Notification,
    /// To staff: the day's notifications they take by digest.
    Digest,
}

impl EmailKind {
    /// Every kind.
    pub const ALL: [EmailKind; 15] = [
        EmailKind::Receipt,
        EmailKind::Acknowledgement,
        EmailKind::Owner,
        EmailKind::Commitment,
        EmailKind::Progress,
        EmailKind::Request,
        EmailKind::Outcome,
        EmailKind::Survey,
        EmailKind::StatusLink,
        EmailKind::SlaAtRisk,
        EmailKind::SlaBreach,
        EmailKind::Reply,
        EmailKind::Points,
        EmailKind::Notification,
        EmailKind::Digest,
    ];

    /// Whether it goes to staff (its row's `customer_id` names the owner, or is nil for the
    /// team's managers) rather than to the customer.
    pub fn is_for_staff(self) -> bool {
        matches!(
            self,
            EmailKind::SlaAtRisk
                | EmailKind::SlaBreach
                | EmailKind::Notification
                | EmailKind::Digest
        )
    }

    /// The code in the table, the template's name and the Message-ID.
    pub fn code(self) -> &'static str {
        match self {
            EmailKind::Receipt => "receipt",
            EmailKind::Acknowledgement => "acknowledgement",
            EmailKind::Owner => "owner",
            EmailKind::Commitment => "commitment",
            EmailKind::Progress => "progress",
            EmailKind::Request => "request",
            EmailKind::Outcome => "outcome",
            EmailKind::Survey => "survey",
            EmailKind::StatusLink => "status_link",
            EmailKind::SlaAtRisk => "sla_at_risk",
            EmailKind::SlaBreach => "sla_breach",
            EmailKind::Reply => "reply",
            EmailKind::Points => "points",
            EmailKind::Notification => "notification",
            EmailKind::Digest => "digest",
        }
    }

    /// A label for staff.
    pub fn label(self) -> &'static str {
        match self {
            EmailKind::Receipt => "Receipt",
            EmailKind::Acknowledgement => "Apology and acknowledgement",
            EmailKind::Owner => "Who is responsible",
            EmailKind::Commitment => "What we will do",
            EmailKind::Progress => "Progress update",
            EmailKind::Request => "What we need from them",
            EmailKind::Outcome => "The outcome",
            EmailKind::Survey => "Satisfaction survey",
            EmailKind::StatusLink => "A fresh link to their status page",
            EmailKind::SlaAtRisk => "To staff: an SLA clock is at risk",
            EmailKind::SlaBreach => "To staff: an SLA clock was breached",
            EmailKind::Reply => "Reply",
            EmailKind::Points => "What we understood",
            EmailKind::Notification => "To staff: a notification",
            EmailKind::Digest => "To staff: the daily digest",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The email an event owes the customer, if any.
    pub fn for_change(change: &ComplaintChange) -> Option<Self> {
        Some(match change {
            ComplaintChange::ComplaintReceived { .. } => EmailKind::Receipt,
            ComplaintChange::ComplaintAcknowledged { .. } => EmailKind::Acknowledgement,
            ComplaintChange::OwnerAssigned { .. } => EmailKind::Owner,
            ComplaintChange::ActionCommitted { .. } => EmailKind::Commitment,
            ComplaintChange::ProgressUpdateSent { .. } => EmailKind::Progress,
            ComplaintChange::WaitingOnCustomer { .. } => EmailKind::Request,
            ComplaintChange::ComplaintResolved { .. } => EmailKind::Outcome,
            ComplaintChange::ComplaintClosed => EmailKind::Survey,
            ComplaintChange::ReplySent { .. } => EmailKind::Reply,
            ComplaintChange::PointsOfComplaintRecorded { sent: true, .. } => EmailKind::Points,
            _ => return None,
        })
    }
}

/// The id of the email event `sequence` of `reference` owes: the same on every instance and
/// after every rebuild. Its `Message-ID` is `<id@domain>` ([`message_id`]); the domain is a
/// setting, kept out of the key so changing it never makes old events owe new emails.
pub fn outbox_id(reference: &str, sequence: i64, kind: EmailKind) -> String {
    format!("{reference}.{sequence}.{}", kind.code())
}

/// The complaint, event and kind of an outbox id ([`outbox_id`]), if `id` is one.
pub fn parse_outbox_id(id: &str) -> Option<(&str, i64, EmailKind)> {
    let mut parts = id.split('.');
    let (reference, sequence, kind) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !sequence.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((
        reference,
        sequence.parse().ok()?,
        EmailKind::from_code(kind)?,
    ))
}

/// The `Message-ID` (without angle brackets) of outbox message `id`.
pub fn message_id(id: &str, domain: &str) -> String {
    format!("{id}@{domain}")
}

/// The `Message-ID` the messages of a complaint refer to when its receipt was sent (see
/// [`Outbox::thread_of`] for the one to use).
pub fn thread_id(reference: &str, domain: &str) -> String {
    message_id(&outbox_id(reference, 1, EmailKind::Receipt), domain)
}
