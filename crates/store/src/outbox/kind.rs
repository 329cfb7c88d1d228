//! The kinds of email the outbox holds, and the policy (which email an event owes, under
//! which id) it is handed.

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
    /// To staff: a link to choose a new password, which they asked for.
    PasswordReset,
    /// The complaint was a duplicate: it is handled with another one.
    Merged,
    /// To admins: a webhook endpoint failed too often and was switched off.
    WebhookSwitchedOff,
    /// To an account's owner: the next meeting with a key account is due.
    MeetingDue,
    /// To a contact: the periodic survey ("what would you change?"), about no complaint.
    SurveyInvitation,
}

impl EmailKind {
    /// Every kind.
    pub const ALL: [EmailKind; 20] = [
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
        EmailKind::PasswordReset,
        EmailKind::Merged,
        EmailKind::WebhookSwitchedOff,
        EmailKind::MeetingDue,
        EmailKind::SurveyInvitation,
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
                | EmailKind::PasswordReset
                | EmailKind::WebhookSwitchedOff
                | EmailKind::MeetingDue
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
            EmailKind::PasswordReset => "password_reset",
            EmailKind::Merged => "merged",
            EmailKind::WebhookSwitchedOff => "webhook_switched_off",
            EmailKind::MeetingDue => "meeting_due",
            EmailKind::SurveyInvitation => "survey_invitation",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Which email an event owes the customer and the id it is kept (and sent) under: the email
/// policy, which `redress-notify` decides (`redress_notify::Policy`) and the store is handed
/// when it opens, so the outbox projector knows what to write without knowing why.
pub trait MailPolicy: Send + Sync {
    /// The id and kind of the email event `sequence` of `reference` owes, if any. The id must
    /// be the same on every instance and after every rebuild: it is the row's key.
    fn owed(
        &self,
        reference: &str,
        sequence: i64,
        change: &ComplaintChange,
    ) -> Option<(String, EmailKind)>;
}
