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

/// The projector of notifications.
pub struct NotificationsProjector {
    clock: std::sync::Arc<dyn redress_domain::Clock>,
}

impl NotificationsProjector {
    /// Its name.
    pub const NAME: &'static str = "notifications";

    /// The projector; `clock` decides which notifications are recent enough for an email.
    pub fn new(clock: std::sync::Arc<dyn redress_domain::Clock>) -> Self {
        Self { clock }
    }
}

/// Who is told of what a customer did: the owner, or the managers.
fn owner_or_managers(owner: Option<Uuid>) -> Uuid {
    owner.unwrap_or(MANAGERS)
}

#[async_trait]
impl Projector for NotificationsProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["notifications", "notification_owners"]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        self.apply_batch(tx, keys, std::slice::from_ref(stored))
            .await
    }

    /// The owners of the batch's complaints are read once and written once; notifications
    /// are written as they arise.
    async fn apply_batch(
        &self,
        tx: &mut Tx,
        _keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let start: i64 = on_db!(tx, |q| sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) FROM notification_start"
        )
        .fetch_one(q)
        .await)?;
        // Only what the customer does and reopenings need a complaint's owner (and its time
        // of receipt) from earlier batches; the rest of a batch reads nothing.
        let mut wanted: Vec<&str> = events
            .iter()
            .filter(|e| {
                matches!(e.event.by, Actor::Customer)
                    || matches!(e.event.change, ComplaintChange::ComplaintReopened { .. })
            })
            .map(|e| e.reference.as_str())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        // reference → (owner, received at)
        let mut owners: HashMap<String, (Option<Uuid>, DateTime<Utc>)> = HashMap::new();
        for chunk in wanted.chunks(500) {
            let sql = format!(
                "SELECT reference, owner_id, received_at FROM notification_owners
                  WHERE reference IN ({})",
                crate::db::placeholders(tx.backend(), 1, chunk.len())
            );
            let rows: Vec<(String, Option<Uuid>, DateTime<Utc>)> = on_db!(tx, |q| {
                let mut query = sqlx::query_as(&sql);
                for reference in chunk {
                    query = query.bind(*reference);
                }
                query.fetch_all(q).await
            })?;
            owners.extend(rows.into_iter().map(|(r, o, at)| (r, (o, at))));
        }
        let mut touched: Vec<String> = Vec::new();
        let now = self.clock.now();
        for stored in events {
            let reference = stored.reference.as_str();
            let event = &stored.event;
            let (owner, received_at) = owners
                .get(reference)
                .copied()
                .unwrap_or((None, event.occurred_at));
            let actor_id = match &event.by {
                Actor::Staff(member) => Some(member.id),
                _ => None,
            };
            let actor_name = match &event.by {
                Actor::Staff(member) => member.name.as_str(),
                _ => "",
            };
            let by_customer = matches!(event.by, Actor::Customer);
            let mut tell: Vec<(NotificationKind, Uuid)> = Vec::new();
            match &event.change {
                ComplaintChange::ComplaintReceived { .. } => {
                    owners.insert(reference.to_string(), (None, event.occurred_at));
                }
                ComplaintChange::OwnerAssigned { owner: new, .. } => {
                    owners.insert(reference.to_string(), (Some(new.id), received_at));
                    tell.push((NotificationKind::Assigned, new.id));
                }
                // Files sent with the complaint itself are part of its arrival.
                ComplaintChange::FilesAttached { .. } if event.occurred_at == received_at => {}
                ComplaintChange::CustomerStatementRecorded { .. }
                | ComplaintChange::CustomerResponded { .. }
                | ComplaintChange::FilesAttached { .. }
                | ComplaintChange::CommunicationRecorded {
                    direction: Direction::Inbound,
                    ..
                } if by_customer => {
                    tell.push((NotificationKind::CustomerWrote, owner_or_managers(owner)));
                }
                ComplaintChange::InternalNoteAdded { mentions, .. } => {
                    tell.extend(mentions.iter().map(|m| (NotificationKind::Mentioned, m.id)));
                }
                ComplaintChange::ComplaintReopened { .. } => {
                    tell.push((NotificationKind::Reopened, owner_or_managers(owner)));
                }
                _ => {}
            }
            // Written back only when the owner (or the complaint itself) is new.
            let changes_owner = matches!(
                event.change,
                ComplaintChange::ComplaintReceived { .. } | ComplaintChange::OwnerAssigned { .. }
            );
            if changes_owner && !touched.iter().any(|r| r == reference) {
                touched.push(reference.to_string());
            }
            if stored.checkpoint.position <= start {
                continue;
            }
            for (kind, recipient) in tell {
                // Nobody hears of their own doing.
                if Some(recipient) == actor_id {
                    continue;
                }
                let event_key = match kind {
                    NotificationKind::CustomerWrote => event.occurred_at.timestamp_micros(),
                    _ => stored.sequence,
                };
                let id = notification_id(reference, event_key, kind, recipient);
                record(
                    tx,
                    Source::Events,
                    &NewNotification {
                        id: id.clone(),
                        recipient,
                        kind,
                        reference,
                        actor: actor_name,
                        at: event.occurred_at,
                    },
                )
                .await?;
                if now - event.occurred_at <= EMAIL_MAX_AGE {
                    Outbox::enqueue_staff_alert(
                        tx,
                        &email_id(&id),
                        reference,
                        EmailKind::Notification,
                        recipient,
                        now,
                        event.occurred_at,
                        now,
                    )
                    .await?;
                }
            }
        }
        for reference in touched {
            let Some((owner, received_at)) = owners.get(&reference).copied() else {
                continue;
            };
            on_db!(tx, |q| sqlx::query(
                "INSERT INTO notification_owners (reference, owner_id, received_at)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (reference) DO UPDATE SET owner_id = excluded.owner_id"
            )
            .bind(&reference)
            .bind(owner)
            .bind(received_at)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}

/// Who sees what is addressed to [`MANAGERS`]: managers and admins.
fn sees_managers(role: crate::Role) -> bool {
    role >= crate::Role::Manager
}

/// Notifications as staff read them, and their choices.
#[derive(Clone)]
pub struct Notifications {
    db: Database,
}

/// A row of the list: id, kind, reference, actor, at, read at, summary.
/// A notification as `get` reads it: its recipient, id, kind, reference, actor, time and the
/// complaint's summary.
type RecipientRow = (
    Uuid,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<String>,
);

type ListRow = (
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
);

impl Notifications {
    /// Over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// How many notifications `staff` (of `role`) has not read.
    pub async fn unread(&self, staff: Uuid, role: crate::Role) -> Result<i64, StoreError> {
        let team = if sees_managers(role) { MANAGERS } else { staff };
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM all_notifications n
              WHERE (n.recipient = $1 OR n.recipient = $2)
                AND NOT EXISTS (SELECT 1 FROM notification_reads r
                                 WHERE r.recipient = $1 AND r.notification_id = n.id)"
        )
        .bind(staff)
        .bind(team)
        .fetch_one(pool)
        .await)?)
    }

    /// The newest `limit` notifications of `staff` (of `role`), newest first.
    pub async fn list(
        &self,
        staff: Uuid,
        role: crate::Role,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let team = if sees_managers(role) { MANAGERS } else { staff };
        let rows: Vec<ListRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT n.id, n.kind, n.reference, n.actor, n.at, r.read_at, c.summary
               FROM all_notifications n
               LEFT JOIN notification_reads r ON r.recipient = $1 AND r.notification_id = n.id
               LEFT JOIN complaint_list c ON c.reference = n.reference
              WHERE n.recipient = $1 OR n.recipient = $2
              ORDER BY n.at DESC, n.id DESC
              LIMIT $3"
        )
        .bind(staff)
        .bind(team)
        .bind(limit.clamp(1, 1_000))
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(to_notification).collect())
    }

    /// Marks one notification read; `false` when `staff` has no such notification.
    pub async fn mark_read(
        &self,
        staff: Uuid,
        role: crate::Role,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let team = if sees_managers(role) { MANAGERS } else { staff };
        let known: i64 = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM all_notifications WHERE id = $1 AND (recipient = $2 OR recipient = $3)"
        )
        .bind(id)
        .bind(staff)
        .bind(team)
        .fetch_one(pool)
        .await
        })?;
        if known == 0 {
            return Ok(false);
        }
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO notification_reads (recipient, notification_id, read_at)
             VALUES ($1, $2, $3) ON CONFLICT (recipient, notification_id) DO NOTHING"
        )
        .bind(staff)
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(true)
    }

    /// Marks every notification of `staff` up to `now` read.
    pub async fn mark_all_read(
        &self,
        staff: Uuid,
        role: crate::Role,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let team = if sees_managers(role) { MANAGERS } else { staff };
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO notification_reads (recipient, notification_id, read_at)
             SELECT $1, n.id, $3 FROM all_notifications n
              WHERE (n.recipient = $1 OR n.recipient = $2) AND n.at <= $3
             ON CONFLICT (recipient, notification_id) DO NOTHING"
        )
        .bind(staff)
        .bind(team)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// One notification by id (for the email that tells it).
    pub async fn get(&self, id: &str) -> Result<Option<(Uuid, Notification)>, StoreError> {
        let row: Option<RecipientRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT n.recipient, n.id, n.kind, n.reference, n.actor, n.at, c.summary
                   FROM all_notifications n
                   LEFT JOIN complaint_list c ON c.reference = n.reference
                  WHERE n.id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(
            row.map(|(recipient, id, kind, reference, actor, at, summary)| {
                (
                    recipient,
                    to_notification((id, kind, reference, actor, at, None, summary)),
                )
            }),
        )
    }

    /// Each kind's choice of `staff` (instant where none was made).
    pub async fn preferences(
        &self,
        staff: Uuid,
    ) -> Result<Vec<(NotificationKind, Delivery)>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT kind, delivery FROM notification_preferences WHERE staff_id = $1"
        )
        .bind(staff)
        .fetch_all(pool)
        .await)?;
        Ok(NotificationKind::ALL
            .into_iter()
            .map(|kind| {
                let delivery = rows
                    .iter()
                    .find(|(k, _)| k == kind.code())
                    .and_then(|(_, d)| Delivery::from_code(d))
                    .unwrap_or(Delivery::Instant);
                (kind, delivery)
            })
            .collect())
    }

    /// One choice of `staff`.
    pub async fn preference(
        &self,
        staff: Uuid,
        kind: NotificationKind,
    ) -> Result<Delivery, StoreError> {
        let code: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT delivery FROM notification_preferences WHERE staff_id = $1 AND kind = $2"
        )
        .bind(staff)
        .bind(kind.code())
        .fetch_optional(pool)
        .await)?;
        Ok(code
            .as_deref()
            .and_then(Delivery::from_code)
            .unwrap_or(Delivery::Instant))
    }

    /// Saves `staff`'s choices.
    pub async fn set_preferences(
        &self,
        staff: Uuid,
        choices: &[(NotificationKind, Delivery)],
    ) -> Result<(), StoreError> {
        for (kind, delivery) in choices {
            on_pool!(&self.db, |pool| sqlx::query(
                "INSERT INTO notification_preferences (staff_id, kind, delivery)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (staff_id, kind) DO UPDATE SET delivery = excluded.delivery"
            )
            .bind(staff)
            .bind(kind.code())
            .bind(delivery.code())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// What the digest of `staff` (of `role`) for local day `day` (in `zone`) tells: the
    /// notifications of the kinds they take by digest, from the digest hour the day before
    /// to the digest hour of `day`.
    pub async fn digest(
        &self,
        staff: Uuid,
        role: crate::Role,
        zone: chrono_tz::Tz,
        day: NaiveDate,
    ) -> Result<Vec<Notification>, StoreError> {
        let (from, to) = digest_window(zone, day);
        let kinds: Vec<NotificationKind> = self
            .preferences(staff)
            .await?
            .into_iter()
            .filter(|(_, d)| *d == Delivery::Digest)
            .map(|(k, _)| k)
            .collect();
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let team = if sees_managers(role) { MANAGERS } else { staff };
        let rows: Vec<ListRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT n.id, n.kind, n.reference, n.actor, n.at, NULL, c.summary
               FROM all_notifications n
               LEFT JOIN complaint_list c ON c.reference = n.reference
              WHERE (n.recipient = $1 OR n.recipient = $2) AND n.at >= $3 AND n.at < $4
              ORDER BY n.at, n.id"
        )
        .bind(staff)
        .bind(team)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(to_notification)
            .filter(|n| {
                NotificationKind::from_code(&n.kind).is_some_and(|kind| kinds.contains(&kind))
            })
            .collect())
    }

    /// Queues today's digest for every active member of staff who takes some kind by digest,
    /// once their local digest hour has passed and the digest has something to tell. Its
    /// outbox id names the person and the day, so it is queued once however often (and on
    /// however many instances) this runs. Returns how many were queued now.
    pub async fn queue_digests(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let people: Vec<(Uuid, String, Option<String>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT DISTINCT a.id, a.role, a.time_zone FROM staff_accounts a
                   JOIN notification_preferences p ON p.staff_id = a.id
                  WHERE a.active AND p.delivery = 'digest'",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut queued = 0;
        for (staff, role, zone) in people {
            let zone: chrono_tz::Tz = zone
                .as_deref()
                .and_then(|z| z.parse().ok())
                .unwrap_or(chrono_tz::UTC);
            let local = now.with_timezone(&zone);
            let Some(hour) = NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0) else {
                continue;
            };
            if local.time() < hour {
                continue;
            }
            let day = local.date_naive();
            let role = crate::Role::parse(&role).unwrap_or(crate::Role::Agent);
            if self.digest(staff, role, zone, day).await?.is_empty() {
                continue;
            }
            let id = digest_id(staff, day);
            if Outbox::enqueue_digest(&self.db, &id, staff, now).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }
}

/// The outbox id of `staff`'s digest for local day `day`.
pub fn digest_id(staff: Uuid, day: NaiveDate) -> String {
    format!("digest.{}.{day}", staff.simple())
}

/// The staff member and local day of a digest's outbox id.
pub fn parse_digest_id(id: &str) -> Option<(Uuid, NaiveDate)> {
    let mut parts = id.split('.');
    if parts.next()? != "digest" {
        return None;
    }
    let staff = Uuid::parse_str(parts.next()?).ok()?;
    let day = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    Some((staff, day))
}

/// `[from, to)` of the digest of local day `day` in `zone`: the digest hour the day before
/// to the digest hour of the day.
pub fn digest_window(zone: chrono_tz::Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |date: NaiveDate| {
        date.and_hms_opt(DIGEST_HOUR, 0, 0)
            .and_then(|t| zone.from_local_datetime(&t).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc())
    };
    (at(day - Duration::days(1)), at(day))
}

fn to_notification((id, kind, reference, actor, at, read_at, summary): ListRow) -> Notification {
    let headline = NotificationKind::from_code(&kind).map_or_else(
        || kind.clone(),
        |k| {
            if actor.is_empty() || k.headline().starts_with(char::is_uppercase) {
                k.headline().to_string()
            } else {
                format!("{actor} {}", k.headline())
            }
        },
    );
    Notification {
        id,
        kind,
        headline,
        reference,
        summary,
        actor,
        at,
        read_at,
    }
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
