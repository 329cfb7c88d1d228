//! The email policy: which email an event owes the customer, and the id (and `Message-ID`)
//! it carries. The outbox projector in `redress-store` asks it through
//! [`redress_store::MailPolicy`]; intake reads the same ids back to find the complaint a
//! customer's reply is about.

use redress_domain::ComplaintChange;
use redress_store::{EmailKind, MailPolicy};

/// Redress's email policy, handed to the store when it opens (see [`redress_store::Store::open`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy;

impl MailPolicy for Policy {
    fn owed(
        &self,
        reference: &str,
        sequence: i64,
        change: &ComplaintChange,
    ) -> Option<(String, EmailKind)> {
        let kind = owed_kind(change)?;
        Some((outbox_id(reference, sequence, kind), kind))
    }
}

/// The email an event owes the customer, if any.
pub fn owed_kind(change: &ComplaintChange) -> Option<EmailKind> {
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
        ComplaintChange::MergedInto { .. } => EmailKind::Merged,
        _ => return None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_back_as_the_complaint_event_and_kind_it_was_made_from() {
        for kind in EmailKind::ALL {
            let id = outbox_id("RDR-7KX4-9PQM", 12, kind);
            assert_eq!(parse_outbox_id(&id), Some(("RDR-7KX4-9PQM", 12, kind)));
        }
        for other in [
            "RDR-7KX4-9PQM.12",
            "RDR-7KX4-9PQM.x.owner",
            "RDR-7KX4-9PQM.1.owner.x",
            "a.-1.owner",
        ] {
            assert_eq!(parse_outbox_id(other), None, "{other}");
        }
    }

    #[test]
    fn only_what_the_customer_is_told_owes_an_email() {
        let owed = Policy.owed("RDR-7KX4-9PQM", 3, &ComplaintChange::ComplaintClosed);
        assert_eq!(
            owed,
            Some(("RDR-7KX4-9PQM.3.survey".to_string(), EmailKind::Survey))
        );
        assert_eq!(
            owed_kind(&ComplaintChange::ComplaintReopened { reason: "x".into() }),
            None
        );
        let kept = ComplaintChange::PointsOfComplaintRecorded {
            points: vec![],
            sent: false,
        };
        assert_eq!(owed_kind(&kept), None, "points kept for staff are not sent");
        let sent = ComplaintChange::PointsOfComplaintRecorded {
            points: vec![],
            sent: true,
        };
        assert_eq!(owed_kind(&sent), Some(EmailKind::Points));
    }
}
