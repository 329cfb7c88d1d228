//! Notifications to staff: who hears about what on their complaints.
//!
//! - The `notifications` projector derives them from events: a complaint assigned to someone
//!   (they hear), the customer writing, adding information or files, or answering a request
//!   (the owner hears), a colleague mentioned in an internal note (they hear), a complaint
//!   reopened (the owner hears). Nobody hears of their own doing. A complaint without an
//!   owner tells its team's managers: the row's recipient is then [`MANAGERS`], and every
//!   manager (or admin, when there are no managers) sees it. Events recorded before
//!   notifications existed tell nobody (`notification_start`).
//! - The `sla` projector adds its own, as clocks fall at risk or are breached
//!   (`sla_notifications`, written through [`record`]).
//! - What each person has read is kept apart from the derived rows (rebuilds keep it).
//! - Each person chooses per kind how they hear by email: at once, in a daily digest, or not
//!   by email. A notification queues an email for it (when its event is recent); the sender
//!   reads the recipient's choice when it goes out. Digests are queued once a day per person
//!   ([`Notifications::queue_digests`]).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use redress_domain::{Actor, ComplaintChange, Direction};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Database, Tx};
use crate::event_log::StoredEvent;
use crate::outbox::{EmailKind, Outbox};
use crate::projection::Projector;
use crate::vault::KeyRing;
use crate::{StoreError, on_db, on_pool};

mod inbox;
mod projector;

pub use inbox::*;
pub use projector::*;

/// The recipient of a notification for a complaint nobody owns: its team's managers.
pub const MANAGERS: Uuid = Uuid::nil();

/// How old an event may be when first projected and still queue an email (a rebuild, or a
/// projector that was down, tells nobody by email of the past).
pub const EMAIL_MAX_AGE: Duration = Duration::hours(24);

/// The local hour digests go out at.
pub const DIGEST_HOUR: u32 = 8;

/// What a notification tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A complaint was assigned to you.
    Assigned,
    /// The customer wrote, added information or files, or answered a request.
    CustomerWrote,
    /// A colleague mentioned you in an internal note.
    Mentioned,
    /// A complaint of yours was reopened.
    Reopened,
    /// An SLA clock of yours is at risk.
    SlaAtRisk,
    /// An SLA clock of yours was breached.
    SlaBreach,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::Assigned,
        NotificationKind::CustomerWrote,
        NotificationKind::Mentioned,
        NotificationKind::Reopened,
        NotificationKind::SlaAtRisk,
        NotificationKind::SlaBreach,
    ];

    /// The code in tables, forms and ids.
    pub fn code(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "assigned",
            NotificationKind::CustomerWrote => "customer_wrote",
            NotificationKind::Mentioned => "mentioned",
            NotificationKind::Reopened => "reopened",
            NotificationKind::SlaAtRisk => "sla_at_risk",
            NotificationKind::SlaBreach => "sla_breach",
        }
    }

    /// What it is, for the preferences page.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "A complaint is assigned to me",
            NotificationKind::CustomerWrote => {
                "The customer writes, adds information or answers on my complaint"
            }
            NotificationKind::Mentioned => "A colleague mentions me in a note",
            NotificationKind::Reopened => "My complaint is reopened",
            NotificationKind::SlaAtRisk => "An SLA clock of mine is at risk",
            NotificationKind::SlaBreach => "An SLA clock of mine is breached",
        }
    }

    /// What happened, in a line (after the actor's name where there is one).
    pub fn headline(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "assigned the complaint to you",
            NotificationKind::CustomerWrote => "The customer wrote",
            NotificationKind::Mentioned => "mentioned you in an internal note",
            NotificationKind::Reopened => "reopened the complaint",
            NotificationKind::SlaAtRisk => "An SLA clock is at risk",
            NotificationKind::SlaBreach => "An SLA clock was breached",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The SLA alert email of this kind, for the SLA kinds.
    pub fn alert(self) -> Option<EmailKind> {
        match self {
            NotificationKind::SlaAtRisk => Some(EmailKind::SlaAtRisk),
            NotificationKind::SlaBreach => Some(EmailKind::SlaBreach),
            _ => None,
        }
    }
}

/// How a person hears of one kind by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// An email at once.
    Instant,
    /// In a daily digest.
    Digest,
    /// Not by email (in Redress only).
    Never,
}

impl Delivery {
    /// Every choice.
    pub const ALL: [Delivery; 3] = [Delivery::Instant, Delivery::Digest, Delivery::Never];

    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            Delivery::Instant => "instant",
            Delivery::Digest => "digest",
            Delivery::Never => "none",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Delivery::Instant => "Email at once",
            Delivery::Digest => "Daily digest",
            Delivery::Never => "Not by email",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }
}

/// One notification, as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// Its id.
    pub id: String,
    /// Its kind (code).
    pub kind: String,
    /// What happened, in words.
    pub headline: String,
    /// The complaint.
    pub reference: String,
    /// Its summary (staff-facing), when the complaint is listed.
    pub summary: Option<String>,
    /// Who did it (a colleague's name, or empty).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// When its recipient read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// The id of a notification: what it tells, of which event, to whom. `event` is the event's
/// number in the complaint; for the customer's words it is the moment they were recorded (in
/// microseconds), so what one of their messages records (their words and their files) is
/// told once.
pub fn notification_id(
    reference: &str,
    event: i64,
    kind: NotificationKind,
    recipient: Uuid,
) -> String {
    format!("{reference}.{event}.{}.{}", kind.code(), recipient.simple())
}

/// The outbox id of the email that tells notification `id`.
pub fn email_id(id: &str) -> String {
    format!("notify.{id}")
}

/// Which table a notification goes to (each has its own writer).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    /// The notifications projector's.
    Events,
    /// The SLA projector's.
    Sla,
}

/// One notification to write.
pub(crate) struct NewNotification<'a> {
    pub(crate) id: String,
    pub(crate) recipient: Uuid,
    pub(crate) kind: NotificationKind,
    pub(crate) reference: &'a str,
    pub(crate) actor: &'a str,
    pub(crate) at: DateTime<Utc>,
}

/// Writes a notification in a projector's transaction (once: ids are derived).
pub(crate) async fn record(
    tx: &mut Tx,
    source: Source,
    notification: &NewNotification<'_>,
) -> Result<(), StoreError> {
    let sql = match source {
        Source::Events => {
            "INSERT INTO notifications (id, recipient, kind, reference, actor, at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING"
        }
        Source::Sla => {
            "INSERT INTO sla_notifications (id, recipient, kind, reference, actor, at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING"
        }
    };
    on_db!(tx, |q| sqlx::query(sql)
        .bind(&notification.id)
        .bind(notification.recipient)
        .bind(notification.kind.code())
        .bind(notification.reference)
        .bind(notification.actor)
        .bind(notification.at)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_covers_the_day_up_to_its_hour_in_the_persons_zone() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let (from, to) = digest_window(chrono_tz::Europe::Bucharest, day);
        assert_eq!(from.to_rfc3339(), "2026-12-07T06:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-08T06:00:00+00:00");
        let id = digest_id(Uuid::from_u128(7), day);
        assert_eq!(parse_digest_id(&id), Some((Uuid::from_u128(7), day)));
        assert_eq!(parse_digest_id("RDR-1.2.receipt"), None);
    }
}
