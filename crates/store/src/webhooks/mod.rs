//! Webhooks: the endpoints admins register, and the deliveries owed to them. The `webhooks`
//! projector adds one delivery per endpoint for each event of the kinds it wants, in the
//! runtime's transaction (so exactly once per event, and a rebuild adds nothing: a delivery's
//! id is derived from the endpoint and the event). Senders claim due deliveries under a short
//! lease, one complaint's in the order of its events; a failed attempt is retried after a
//! growing pause, and an endpoint that fails too often in a row is switched off.
//!
//! A delivery holds no personal data: the sender renders the payload from the event when it
//! sends it, with the customer's details only for an endpoint allowed them and only while the
//! customer's key exists.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

mod projector;

pub use projector::WebhookProjector;

/// The kinds of event an endpoint can want: every event's name.
pub const KINDS: [&str; 31] = [
    "ComplaintReceived",
    "ComplaintAcknowledged",
    "CustomerStatementRecorded",
    "PointsOfComplaintRecorded",
    "FactRecorded",
    "InvestigationConcluded",
    "ActionCommitted",
    "OwnerAssigned",
    "ProgressUpdateSent",
    "WaitingOnCustomer",
    "CustomerResponded",
    "ComplaintResolved",
    "ComplaintClosed",
    "ComplaintReopened",
    "SatisfactionRecorded",
    "PriorityChanged",
    "CategoryChanged",
    "CommunicationRecorded",
    "PersonalDataErased",
    "EmailReceived",
    "BreachCauseRecorded",
    "ReplySent",
    "InternalNoteAdded",
    "FilesAttached",
    "TeamChanged",
    "TagAdded",
    "TagRemoved",
    "MergedInto",
    "DuplicateMerged",
    "ComplaintLinked",
    "RootCausesRecorded",
];

/// An endpoint as admins see it (its secret only once, when it is made).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Endpoint {
    /// Its id.
    pub id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The kinds wanted: event names, space-separated, or `*` for all.
    pub kinds: String,
    /// Whether payloads carry the customer's name and address.
    pub personal_data: bool,
    /// Whether it is sent to.
    pub active: bool,
    /// Failed attempts in a row.
    pub failures: i32,
    /// Why it was switched off, when it was by failures.
    pub switched_off: Option<String>,
    /// Told of events after this global position.
    pub starts_after: i64,
    /// The admin who registered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl Endpoint {
    /// Whether it wants events named `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        self.kinds == "*" || self.kinds.split_whitespace().any(|k| k == kind)
    }
}

/// A delivery, as the log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Delivery {
    /// Its id: `{endpoint}:{reference}:{sequence}`.
    pub id: String,
    /// The endpoint.
    pub endpoint_id: Uuid,
    /// The event's global position.
    pub position: i64,
    /// The complaint.
    pub reference: String,
    /// The event's number within the complaint.
    pub sequence: i64,
    /// The event's name.
    pub kind: String,
    /// `pending` or `delivered`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When it is tried next (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// Held by a sender until then.
    pub claimed_until: Option<DateTime<Utc>>,
    /// When the endpoint took it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The last answer's HTTP status.
    pub last_status: Option<i32>,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// How long the last answer took, in milliseconds.
    pub last_ms: Option<i64>,
    /// When the event happened.
    pub event_at: DateTime<Utc>,
    /// When the delivery was queued.
    pub created_at: DateTime<Utc>,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DeliveryAttempt {
    /// Its number, from 1.
    pub attempt: i32,
    /// When.
    pub at: DateTime<Utc>,
    /// The HTTP status, when the endpoint answered.
    pub status: Option<i32>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub ms: i64,
}

/// A claimed delivery and the endpoint it goes to.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// Its endpoint, with the secret that signs it.
    pub endpoint: Endpoint,
    /// The secret.
    pub secret: String,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// Another answer, or none.
    Failed {
        /// The status, when the endpoint answered.
        status: Option<u16>,
        /// What went wrong, in words for admins.
        error: String,
    },
}

/// The outbox id of the email telling `admin` that `endpoint` was switched off at `at`.
pub fn switched_off_id(endpoint: Uuid, admin: Uuid, at: DateTime<Utc>) -> String {
    format!("webhook-off:{endpoint}:{admin}:{}", at.timestamp_millis())
}

/// The endpoint an outbox id of [`switched_off_id`] names.
pub fn endpoint_of_switched_off_id(id: &str) -> Option<Uuid> {
    let rest = id.strip_prefix("webhook-off:")?;
    Uuid::parse_str(rest.split(':').next()?).ok()
}

/// The pause after the `attempts`-th failed attempt: `base` doubled each time, at most an
/// hour.
pub fn pause_after(attempts: i32, base: Duration) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 16) - 1).unwrap_or(0);
    let pause = base * 2i32.saturating_pow(doublings);
    pause.min(Duration::hours(1))
}

const COLUMNS: &str = "id, endpoint_id, position, reference, sequence, kind, state, attempts, \
                       next_attempt_at, claimed_until, delivered_at, last_status, last_error, \
                       last_ms, event_at, created_at";

const ENDPOINT_COLUMNS: &str = "id, url, kinds, personal_data, active, failures, switched_off, \
                                starts_after, created_by, created_at";

/// The endpoints and their deliveries.
#[derive(Debug, Clone)]
pub struct Webhooks {
    db: Database,
}

impl Webhooks {
    /// The webhooks in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Registers an endpoint that will be told of events from now on; returns it and its
    /// secret (the only time it is seen).
    pub async fn create(
        &self,
        url: &str,
        kinds: &str,
        personal_data: bool,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(Endpoint, String), StoreError> {
        use rand::RngCore;
        let mut bytes = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!(
            "whsec_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let mut tx = self.db.begin().await?;
        let starts_after = crate::event_log::head_position(&mut tx).await?;
        tx.commit().await?;
        let endpoint = Endpoint {
            id: Uuid::new_v4(),
            url: url.to_string(),
            kinds: kinds.to_string(),
            personal_data,
            active: true,
            failures: 0,
            switched_off: None,
            starts_after,
            created_by: by.to_string(),
            created_at: now,
        };
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, secret, kinds, personal_data, active,
                                            failures, starts_after, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, 0, $6, $7, $8)"
        )
        .bind(endpoint.id)
        .bind(&endpoint.url)
        .bind(&secret)
        .bind(&endpoint.kinds)
        .bind(endpoint.personal_data)
        .bind(endpoint.starts_after)
        .bind(&endpoint.created_by)
        .bind(endpoint.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok((endpoint, secret))
    }

    /// Every endpoint, newest first.
    pub async fn list(&self) -> Result<Vec<Endpoint>, StoreError> {
        let sql =
            format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at DESC");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .fetch_all(pool)
            .await)?)
    }

    /// The endpoint `id`.
    pub async fn get(&self, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Switches endpoint `id` on (its failures forgotten: what waits is sent, in order) or
    /// off; false when there is no such endpoint.
    pub async fn set_active(&self, id: Uuid, active: bool) -> Result<bool, StoreError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE webhook_endpoints SET active = $2, failures = 0, switched_off = NULL
              WHERE id = $1"
        )
        .bind(id)
        .bind(active)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    /// Claims up to `limit` due deliveries of switched-on endpoints for `lease`, counting an
    /// attempt on each. A delivery is due only when no earlier event of its complaint waits
    /// for the same endpoint, so each endpoint hears of a complaint's events in order.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let lock = match self.db {
            Database::Postgres(_) => "FOR UPDATE OF d SKIP LOCKED",
            Database::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET claimed_until = $1, attempts = attempts + 1
              WHERE id IN (
                    SELECT d.id FROM webhook_deliveries d
                      JOIN webhook_endpoints e ON e.id = d.endpoint_id
                     WHERE d.state = 'pending' AND e.active AND d.next_attempt_at <= $2
                       AND (d.claimed_until IS NULL OR d.claimed_until <= $2)
                       AND NOT EXISTS (
                           SELECT 1 FROM webhook_deliveries earlier
                            WHERE earlier.endpoint_id = d.endpoint_id
                              AND earlier.reference = d.reference
                              AND earlier.sequence < d.sequence
                              AND earlier.state = 'pending')
                     ORDER BY d.next_attempt_at, d.position
                     LIMIT $3 {lock})
             RETURNING {COLUMNS}"
        );
        let mut rows: Vec<Delivery> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(now + lease)
            .bind(now)
            .bind(limit.max(1))
            .fetch_all(pool)
            .await)?;
        rows.sort_by_key(|d| d.position);
        // Each endpoint read once per claim, however many of its deliveries were claimed.
        let mut endpoints: std::collections::HashMap<Uuid, Option<EndpointWithSecret>> =
            std::collections::HashMap::new();
        let sql = format!("SELECT {ENDPOINT_COLUMNS}, secret FROM webhook_endpoints WHERE id = $1");
        let mut claimed = Vec::with_capacity(rows.len());
        for delivery in rows {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                endpoints.entry(delivery.endpoint_id)
            {
                let found: Option<EndpointWithSecret> = on_pool!(&self.db, |pool| {
                    sqlx::query_as(&sql)
                        .bind(delivery.endpoint_id)
                        .fetch_optional(pool)
                        .await
                })?;
                slot.insert(found);
            }
            if let Some(Some(found)) = endpoints.get(&delivery.endpoint_id) {
                claimed.push(ClaimedDelivery {
                    delivery,
                    secret: found.secret.clone(),
                    endpoint: found.endpoint.clone(),
                });
            }
        }
        Ok(claimed)
    }

    /// Records how the attempt at `claimed` ended, `ms` milliseconds long: delivered, or
    /// failed and tried again after [`pause_after`]. Returns true when this failure switched
    /// the endpoint off (its `max_failures`-th in a row).
    pub async fn record(
        &self,
        claimed: &ClaimedDelivery,
        outcome: &Outcome,
        ms: i64,
        now: DateTime<Utc>,
        base_pause: Duration,
        max_failures: i32,
    ) -> Result<bool, StoreError> {
        let delivery = &claimed.delivery;
        let (status, error) = match outcome {
            Outcome::Delivered { status } => (Some(i32::from(*status)), None),
            Outcome::Failed { status, error } => (status.map(i32::from), Some(error.as_str())),
        };
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error, ms)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, attempt) DO NOTHING"
        )
        .bind(&delivery.id)
        .bind(delivery.attempts)
        .bind(now)
        .bind(status)
        .bind(error)
        .bind(ms)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if let Outcome::Delivered { .. } = outcome {
            on_pool!(&self.db, |pool| sqlx::query(
                "UPDATE webhook_deliveries
                    SET state = 'delivered', delivered_at = $2, claimed_until = NULL,
                        last_status = $3, last_error = NULL, last_ms = $4
                  WHERE id = $1"
            )
            .bind(&delivery.id)
            .bind(now)
            .bind(status)
            .bind(ms)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
            on_pool!(&self.db, |pool| sqlx::query(
                "UPDATE webhook_endpoints SET failures = 0 WHERE id = $1 AND failures > 0"
            )
            .bind(delivery.endpoint_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
            return Ok(false);
        }
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE webhook_deliveries
                SET next_attempt_at = $2, claimed_until = NULL, last_status = $3,
                    last_error = $4, last_ms = $5
              WHERE id = $1 AND state = 'pending'"
        )
        .bind(&delivery.id)
        .bind(now + pause_after(delivery.attempts, base_pause))
        .bind(status)
        .bind(error)
        .bind(ms)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        let reason = format!(
            "Switched off after {max_failures} failed attempts in a row; the last: {}",
            error.unwrap_or("no answer")
        );
        let after: Option<(i32, bool)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "UPDATE webhook_endpoints
                SET failures = failures + 1,
                    active = CASE WHEN failures + 1 >= $2 THEN FALSE ELSE active END,
                    switched_off = CASE WHEN failures + 1 >= $2 AND active THEN $3
                                        ELSE switched_off END
              WHERE id = $1
             RETURNING failures, active"
        )
        .bind(delivery.endpoint_id)
        .bind(max_failures.max(1))
        .bind(&reason)
        .fetch_optional(pool)
        .await)?;
        // Switched off by this failure: the one that reached the limit (a later one, in
        // flight at the time, finds it already past). Every active admin is emailed.
        let switched = matches!(after, Some((failures, false)) if failures == max_failures.max(1));
        if switched {
            let admins: Vec<Uuid> = on_pool!(&self.db, |pool| sqlx::query_scalar(
                "SELECT id FROM staff_accounts WHERE role = 'admin' AND active"
            )
            .fetch_all(pool)
            .await)?;
            for admin in admins {
                let id = switched_off_id(delivery.endpoint_id, admin, now);
                crate::Outbox::enqueue_webhook_off(&self.db, &id, admin, now).await?;
            }
        }
        Ok(switched)
    }

    /// Queues delivery `id` to be sent again at once (delivered or not); false when there is
    /// no such delivery.
    pub async fn resend(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE webhook_deliveries
                SET state = 'pending', next_attempt_at = $2, claimed_until = NULL
              WHERE id = $1"
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    /// The delivery `id`.
    pub async fn delivery(&self, id: &str) -> Result<Option<Delivery>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE id = $1");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// An endpoint's latest `limit` deliveries, newest first.
    pub async fn log(&self, endpoint: Uuid, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1
              ORDER BY position DESC LIMIT $2"
        );
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(endpoint)
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    /// Every attempt at delivery `id`, first first.
    pub async fn attempts(&self, id: &str) -> Result<Vec<DeliveryAttempt>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT attempt, at, status, error, ms FROM webhook_attempts
              WHERE delivery_id = $1 ORDER BY attempt"
        )
        .bind(id)
        .fetch_all(pool)
        .await)?)
    }

    /// Deliveries waiting (pending) across every endpoint.
    pub async fn waiting(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'"
        )
        .fetch_one(pool)
        .await)?)
    }
}

#[derive(sqlx::FromRow)]
struct EndpointWithSecret {
    #[sqlx(flatten)]
    endpoint: Endpoint,
    secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_an_hour() {
        let base = Duration::seconds(10);
        assert_eq!(pause_after(1, base), Duration::seconds(10));
        assert_eq!(pause_after(2, base), Duration::seconds(20));
        assert_eq!(pause_after(4, base), Duration::seconds(80));
        assert_eq!(pause_after(30, base), Duration::hours(1));
    }
}
