//! The outbox: the emails customers are owed, derived from events by a catch-up projector
//! (rows and checkpoint in one transaction, so an event yields its email exactly once), and
//! claimed by senders on any instance (`FOR UPDATE SKIP LOCKED` on PostgreSQL) under a short
//! lease. A sender that dies mid-send leaves its lease to run out; the message is then sent
//! again, the only duplicate possible (the one in flight).
//!
//! A row holds no personal data: the sender renders the message from the complaint's events
//! when it sends it. Message ids are derived from the event, so rebuilding the projection adds
//! nothing (the email policy, handed in as a [`MailPolicy`], derives them), and every message
//! of one complaint threads under its receipt's id.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use redress_domain::{Clock, ComplaintChange, CustomerId, Reference};
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Database, Tx};
use crate::event_log::StoredEvent;
use crate::projection::{Projector, Wake};
use crate::vault::KeyRing;
use crate::{StoreError, on_db, on_pool};

mod enqueue;
mod kind;
mod projector;

pub use kind::*;
pub use projector::*;

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OutboxRow {
    /// Its id (for an email an event owes, the one [`MailPolicy::owed`] gave).
    pub id: String,
    /// The complaint.
    pub reference: String,
    /// The event that owes it.
    pub sequence: i64,
    /// Its kind (code).
    pub kind: String,
    /// The customer.
    pub customer_id: Uuid,
    /// Language code.
    pub language: String,
    /// pending, sent, dead or cancelled.
    pub state: String,
    /// Sending attempts so far.
    pub attempts: i64,
    /// When it is (next) due.
    pub next_attempt_at: DateTime<Utc>,
    /// The lease of the sender working on it.
    pub claimed_until: Option<DateTime<Utc>>,
    /// The last failure, or why it was skipped or cancelled.
    pub last_error: Option<String>,
    /// When the event happened.
    pub event_at: DateTime<Utc>,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
    /// When the SMTP server (or the mail directory) accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, reference, sequence, kind, customer_id, language, state, \
    attempts, next_attempt_at, claimed_until, last_error, event_at, created_at, sent_at";

/// A message a sender has claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The row as claimed (attempts already counts this one).
    pub row: OutboxRow,
    /// The complaint (none for a digest, which tells of several).
    pub reference: Option<Reference>,
    /// The customer.
    pub customer: CustomerId,
    /// The kind.
    pub kind: EmailKind,
}

/// One attempt at sending a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Attempt {
    /// Its number, from 1.
    pub attempt: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// sent, failed, or failed for the last time.
    pub outcome: String,
    /// What the server (or the renderer) said.
    pub error: Option<String>,
}

/// An email to a customer as it was sent: what staff open from the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SentCopy {
    /// The headers, in order, as sent.
    pub headers: Vec<(String, String)>,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// The files attached: (name, media type, size in bytes).
    pub files: Vec<(String, String, u64)>,
}

/// Counts by state, for operations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    /// Waiting to be sent (including retries).
    pub pending: i64,
    /// Of which failed at least once.
    pub failing: i64,
    /// Given up.
    pub dead: i64,
    /// Sent.
    pub sent: i64,
}

/// A message waiting to be sent: `($1 id, $2 reference, $3 kind, $4 recipient, $5 language,
/// $6 send at, $7 the moment it tells of, $8 queued at)`: how messages no event of the
/// complaint owes (a status link, staff alerts, digests) are queued, all in one shape (the
/// projector's rows add their event's sequence, and a state).
const INSERT_PENDING: &str =
    "INSERT INTO outbox (id, reference, sequence, kind, customer_id, language, state,
                                  next_attempt_at, event_at, created_at)
             VALUES ($1, $2, 0, $3, $4, $5, 'pending', $6, $7, $8)
             ON CONFLICT (id) DO NOTHING";

/// Queries and state changes of the outbox.
#[derive(Clone)]
pub struct Outbox {
    db: Database,
}

impl Outbox {
    /// The outbox in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Claims up to `limit` due messages for `lease`, counting an attempt on each. Senders on
    /// other instances skip rows claimed here.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        let lock = match self.db {
            Database::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Database::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1
              WHERE id IN (
                    SELECT id FROM outbox
                     WHERE state = 'pending' AND next_attempt_at <= $2
                       AND (claimed_until IS NULL OR claimed_until <= $2)
                     ORDER BY next_attempt_at, id
                     LIMIT $3 {lock})
             RETURNING {COLUMNS}"
        );
        let rows: Vec<OutboxRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(now + lease)
            .bind(now)
            .bind(limit.max(1))
            .fetch_all(pool)
            .await)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let kind = EmailKind::from_code(&row.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("outbox kind {:?}", row.kind)))?;
            let reference = match kind {
                EmailKind::Digest
                | EmailKind::PasswordReset
                | EmailKind::WebhookSwitchedOff
                | EmailKind::MeetingDue
                | EmailKind::SurveyInvitation => None,
                _ => Some(
                    Reference::parse(&row.reference)
                        .map_err(|e| StoreError::Corrupt(format!("outbox reference: {e}")))?,
                ),
            };
            claimed.push(Claimed {
                customer: CustomerId(row.customer_id),
                reference,
                kind,
                row,
            });
        }
        claimed.sort_by_key(|c| (c.row.next_attempt_at, c.row.id.clone()));
        Ok(claimed)
    }

    /// Renews the lease on a claimed message just before it is sent, if this sender still
    /// holds it (its lease, as claimed, is still the one recorded, and the message still
    /// waits). A sender slowed down past its lease (a slow SMTP server, a paused process)
    /// finds that another sender has claimed the message since, and leaves it to them: the
    /// same email is never sent by two senders because of an expired lease.
    pub async fn renew(
        &self,
        claimed: &mut Claimed,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let Some(held) = claimed.row.claimed_until else {
            return Ok(false);
        };
        let renewed: Option<DateTime<Utc>> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "UPDATE outbox SET claimed_until = $1
              WHERE id = $2 AND state = 'pending' AND claimed_until = $3 AND $4 < claimed_until
              RETURNING claimed_until"
        )
        .bind(now + lease)
        .bind(&claimed.row.id)
        .bind(held)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        claimed.row.claimed_until = renewed.or(claimed.row.claimed_until);
        Ok(renewed.is_some())
    }

    /// Cancels message `id` in `tx` if it is still waiting to go, saying why (an SLA alert
    /// whose breach was taken back).
    pub(crate) async fn cancel_pending_in(
        tx: &mut Tx,
        id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        on_db!(tx, |q| sqlx::query(
            "UPDATE outbox SET state = 'cancelled', last_error = $1
              WHERE id = $2 AND state = 'pending'"
        )
        .bind(reason)
        .bind(id)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records this attempt at a message (its number is the row's attempts so far).
    async fn record_attempt(
        &self,
        id: &str,
        at: DateTime<Utc>,
        outcome: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO outbox_attempts (outbox_id, attempt, at, outcome, error)
             SELECT id, attempts, $2, $3, $4 FROM outbox WHERE id = $1
             ON CONFLICT (outbox_id, attempt) DO NOTHING"
        )
        .bind(id)
        .bind(at)
        .bind(outcome)
        .bind(error)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every attempt at a message, first first.
    pub async fn attempts(&self, id: &str) -> Result<Vec<Attempt>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT attempt, at, outcome, error FROM outbox_attempts
              WHERE outbox_id = $1 ORDER BY attempt"
        )
        .bind(id)
        .fetch_all(pool)
        .await)?)
    }

    /// Keeps a copy of an email to a customer as it was sent (`sealed`: its [`SentCopy`] as
    /// JSON, sealed with the customer's key by the caller).
    pub async fn keep_copy(
        &self,
        id: &str,
        customer: CustomerId,
        sealed: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO sent_emails (outbox_id, customer_id, content, sent_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (outbox_id) DO UPDATE SET content = excluded.content,
                 sent_at = excluded.sent_at"
        )
        .bind(id)
        .bind(customer.0)
        .bind(sealed)
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The sealed copy of a sent email, with whose key seals it.
    pub async fn copy(&self, id: &str) -> Result<Option<(CustomerId, Vec<u8>)>, StoreError> {
        let row: Option<(Uuid, Vec<u8>)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT customer_id, content FROM sent_emails WHERE outbox_id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(customer, content)| (CustomerId(customer), content)))
    }

    /// Deletes the copies of a customer's emails (erasure).
    pub async fn forget_customer(&self, customer: CustomerId) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM sent_emails WHERE customer_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records that the message was accepted.
    pub async fn mark_sent(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.record_attempt(id, at, "sent", None).await?;
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $1, claimed_until = NULL,
                    last_error = NULL
              WHERE id = $2"
        )
        .bind(at)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up (`dead`) when `None`.
    pub async fn mark_failed(
        &self,
        id: &str,
        error: &str,
        at: DateTime<Utc>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(1_000).collect();
        let outcome = if retry_at.is_some() {
            "failed"
        } else {
            "failed for the last time"
        };
        self.record_attempt(id, at, outcome, Some(&error)).await?;
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE outbox SET state = $1, last_error = $2, claimed_until = NULL,
                    next_attempt_at = COALESCE($3, next_attempt_at)
              WHERE id = $4 AND state = 'pending'"
        )
        .bind(if retry_at.is_some() {
            "pending"
        } else {
            "dead"
        })
        .bind(&error)
        .bind(retry_at)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Gives up on a message that must not be sent (its customer was erased).
    pub async fn cancel(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE outbox SET state = 'cancelled', last_error = $1, claimed_until = NULL
              WHERE id = $2"
        )
        .bind(reason)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sends a dead message again (an admin's decision): a fresh set of attempts, now.
    /// Returns whether there was such a dead message.
    pub async fn retry(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1,
                    claimed_until = NULL
              WHERE id = $2 AND state = 'dead'"
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(updated == 1)
    }

    /// Every email of one complaint, in the order of its events.
    pub async fn of_complaint(&self, reference: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE reference = $1 ORDER BY sequence");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(reference)
            .fetch_all(pool)
            .await)?)
    }

    /// The outbox id of the message a customer email of `reference` (for the event numbered
    /// `sequence`) threads under: the complaint's first email to the customer that was sent or
    /// is still to be (usually the receipt). `None`: this one starts the thread — no earlier
    /// email exists (a complaint older than three days when the outbox first saw it owes no
    /// receipt), and the customer must never be pointed at one they never got.
    pub async fn thread_of(
        &self,
        reference: &str,
        sequence: i64,
    ) -> Result<Option<String>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, kind FROM outbox
              WHERE reference = $1 AND sequence < $2 AND state IN ('pending', 'sent')
              ORDER BY sequence, id"
        )
        .bind(reference)
        .bind(sequence)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().find_map(|(id, kind)| {
            EmailKind::from_code(&kind)
                .is_some_and(|k| !k.is_for_staff())
                .then_some(id)
        }))
    }

    /// Messages that need people: dead ones, and pending ones that have failed, oldest first.
    pub async fn troubled(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox
              WHERE state = 'dead' OR (state = 'pending' AND last_error IS NOT NULL)
              ORDER BY event_at LIMIT $1"
        );
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(limit.clamp(1, 1_000))
            .fetch_all(pool)
            .await)?)
    }

    /// One message.
    pub async fn get(&self, id: &str) -> Result<Option<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = $1");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// When each sent message's event happened and when it was sent, oldest event first
    /// (for the mail benchmark).
    pub async fn sent_times(&self) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT event_at, sent_at FROM outbox WHERE state = 'sent' ORDER BY event_at, id"
        )
        .fetch_all(pool)
        .await)?)
    }

    /// Like [`Outbox::counts`] without `sent` (left 0), reading only the unsent rows through
    /// the state index: cheap enough for every `/metrics` scrape however many were sent.
    pub async fn depth(&self) -> Result<OutboxCounts, StoreError> {
        let (pending, failing, dead): (i64, i64, i64) = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN state = 'pending' AND last_error IS NOT NULL
                                      THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0)
               FROM outbox WHERE state IN ('pending', 'dead')"
        )
        .fetch_one(pool)
        .await)?;
        Ok(OutboxCounts {
            pending,
            failing,
            dead,
            sent: 0,
        })
    }

    /// How many messages are in each state.
    pub async fn counts(&self) -> Result<OutboxCounts, StoreError> {
        let (pending, failing, dead, sent): (i64, i64, i64, i64) =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN state = 'pending' AND last_error IS NOT NULL
                                          THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0)
                   FROM outbox"
            )
            .fetch_one(pool)
            .await)?;
        Ok(OutboxCounts {
            pending,
            failing,
            dead,
            sent,
        })
    }
}
