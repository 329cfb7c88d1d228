//! SLA clocks as a read model: the versioned policies admins edit, the `sla` projector that
//! keeps every complaint's clocks from its events, the scheduler tick that records what the
//! passing of time does (at risk, breached) without any new event, and the dashboard's
//! queries.
//!
//! Breaches are recorded at their due time, whoever notices first (an event being projected,
//! or the tick), so a rebuild gives the same rows. The tick runs only when the projector has
//! applied every committed event, and only up to a moment a little in the past, so it never
//! records a breach that an event already in the stream would have prevented.
//!
//! Alerts to staff go through the outbox with ids derived from the clock's run: the breach
//! and its alert are written in one transaction, and a restart or a second instance cannot
//! queue either twice.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use redress_domain::sla::{ClockOutcome, Transition};
use redress_domain::{Actor, Clock, ComplaintChange, ComplaintSla, SlaClock, SlaPolicy};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

use crate::db::{Database, Tx, values};
use crate::event_log::StoredEvent;
use crate::notifications::NotificationKind;
use crate::outbox::{EmailKind, Outbox};
use crate::projection::{EventSignal, Projector, Wake, lock_checkpoint};
use crate::vault::KeyRing;
use crate::{StoreError, on_db, on_pool};

mod breaches;
mod dashboard;
mod past;
mod policies;
mod projector;
mod tick;

pub use breaches::*;
pub use dashboard::*;
pub use policies::*;
pub use projector::*;
pub use tick::*;

/// Queries over the SLA read model, and its scheduler.
#[derive(Clone)]
pub struct Sla {
    db: Database,
    /// The policy versions.
    pub policies: SlaPolicies,
    clock: Arc<dyn Clock>,
}

impl Sla {
    /// How far behind the present the tick records: an event committed a moment late still
    /// lands before the tick judges the time it happened.
    pub const GRACE: Duration = Duration::seconds(2);

    /// Complaints per tick transaction.
    const TICK_BATCH: i64 = 500;

    /// The read model in `db`.
    pub fn new(db: Database, policies: SlaPolicies, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            policies,
            clock,
        }
    }

    /// The time by the clock the read model judges with.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// One complaint's clocks and the policy they run under.
    pub async fn of_complaint(
        &self,
        reference: &str,
    ) -> Result<Option<(ComplaintSla, Arc<SlaPolicy>)>, StoreError> {
        let json: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT state FROM sla_clock_states WHERE reference = $1"
        )
        .bind(reference)
        .fetch_optional(pool)
        .await)?;
        let Some(json) = json else { return Ok(None) };
        let sla: ComplaintSla = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("SLA clocks of {reference}: {e}")))?;
        let policy = self
            .policies
            .get(i64::from(sla.policy_version))
            .await?
            .unwrap_or_else(|| Arc::new(SlaPolicy::default()));
        Ok(Some((sla, policy)))
    }

    /// The policy version in effect at `at` and its policy: what a complaint received then is
    /// held to (for a complaint the SLA projector has not seen yet).
    pub async fn policy_at(&self, at: DateTime<Utc>) -> Result<(u32, Arc<SlaPolicy>), StoreError> {
        let versions: Vec<(DateTime<Utc>, i64)> = self
            .policies
            .versions()
            .await?
            .iter()
            .map(|v| (v.created_at, v.version))
            .collect();
        let version = version_in_effect(&versions, at);
        let policy = self
            .policies
            .get(version)
            .await?
            .unwrap_or_else(|| Arc::new(SlaPolicy::default()));
        Ok((u32::try_from(version).unwrap_or(0), policy))
    }

    /// The last day the complaint's resolution target allows, while that is still ahead and
    /// its clock runs (a date promised to the customer must not fall after it). `None`: no
    /// clocks yet, the resolve clock paused, met, untracked, or already past due.
    pub async fn resolve_by(&self, reference: &str) -> Result<Option<NaiveDate>, StoreError> {
        let Some((sla, policy)) = self.of_complaint(reference).await? else {
            return Ok(None);
        };
        let resolve = sla.clock(SlaClock::Resolve);
        let now = self.now();
        Ok(resolve
            .due_at
            .filter(|due| resolve.is_open() && *due > now)
            // Due at midnight means by the end of the day before.
            .map(|due| {
                (due - Duration::seconds(1))
                    .with_timezone(&policy.calendar.time_zone)
                    .date_naive()
            }))
    }

    /// One complaint's breaches, in order.
    pub async fn breaches_of(&self, reference: &str) -> Result<Vec<BreachRow>, StoreError> {
        let sql = format!(
            "SELECT {BREACH_COLUMNS} FROM sla_breaches WHERE reference = $1 ORDER BY due_at"
        );
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(reference)
            .fetch_all(pool)
            .await)?)
    }

    /// One breach.
    pub async fn breach(
        &self,
        reference: &str,
        clock: SlaClock,
        cycle: u32,
    ) -> Result<Option<BreachRow>, StoreError> {
        let sql = format!(
            "SELECT {BREACH_COLUMNS} FROM sla_breaches
              WHERE reference = $1 AND clock = $2 AND cycle = $3"
        );
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(reference)
            .bind(clock.code())
            .bind(i64::from(cycle))
            .fetch_optional(pool)
            .await)?)
    }
}
