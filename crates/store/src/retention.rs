//! Retention: a customer's personal data is kept for a set period after their last complaint
//! closed (the UK FCA asks complaint records be kept at least three years), then erased by
//! the same mechanism as an erasure on request ([`crate::Complaints::erase_customer`]): the
//! events stay, their sealed fields can no longer be opened, and the figures are unchanged.
//!
//! A customer is erased when every complaint of theirs is closed and the last closed before
//! the cutoff; one complaint open, or reopened, keeps them. A daily job ([`Retention::run`],
//! one instance at a time) does it and records what it did in the audit trail.

use std::time::Duration;

use chrono::{DateTime, Utc};
use redress_domain::{Actor, Clock, CustomerId};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

use crate::complaints::Complaints;
use crate::db::Database;
use crate::projection::SoleWorker;
use crate::security::{AuditAction, AuditActor, AuditTrail};
use crate::vault::KeyVault;
use crate::{StoreError, on_pool};

/// What one retention pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Customers whose personal data was erased.
    pub customers: usize,
    /// Their complaints that recorded the erasure.
    pub complaints: usize,
}

/// The retention job.
#[derive(Clone)]
pub struct Retention {
    db: Database,
    complaints: Complaints,
    vault: KeyVault,
    audit: AuditTrail,
    clock: std::sync::Arc<dyn Clock>,
    /// Held by the run in progress in this process (the daily job or an admin's request).
    running: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Retention {
    /// The job over the store's parts.
    pub fn new(
        db: Database,
        complaints: Complaints,
        vault: KeyVault,
        audit: AuditTrail,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Self {
        Self {
            db,
            complaints,
            vault,
            audit,
            clock,
            running: std::sync::Arc::default(),
        }
    }

    /// Customers whose complaints are all closed, the last before `cutoff`, and whose
    /// personal data is still held.
    pub async fn due(&self, cutoff: DateTime<Utc>) -> Result<Vec<CustomerId>, StoreError> {
        let candidates: Vec<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT customer FROM report_complaints
              GROUP BY customer
             HAVING SUM(CASE WHEN open THEN 1 ELSE 0 END) = 0 AND MAX(closed_at) < $1"
        )
        .bind(cutoff)
        .fetch_all(pool)
        .await)?;
        // Those erased before stay in the reports (anonymous): keep only the keys' holders,
        // in a query per 500, not one per customer ever erased.
        let candidates: Vec<CustomerId> = candidates
            .iter()
            .filter_map(|c| c.parse::<Uuid>().ok().map(CustomerId))
            .collect();
        let held = self.vault.holding_keys(&candidates).await?;
        Ok(candidates
            .into_iter()
            .filter(|c| held.contains(c))
            .collect())
    }

    /// Erases every customer due at `cutoff` (see the module's documentation), records the
    /// run in the audit trail as done by `by`, and reports what it did; `None` when another
    /// run is in progress (in this process or on another instance), which does the same.
    pub async fn pass(
        &self,
        cutoff: DateTime<Utc>,
        by: &AuditActor,
        address: &str,
    ) -> Result<Option<RetentionReport>, StoreError> {
        let Ok(_here) = self.running.try_lock() else {
            return Ok(None);
        };
        let Some(_everywhere) = SoleWorker::try_take(&self.db, "retention").await? else {
            return Ok(None);
        };
        self.erase_due(cutoff, by, address).await.map(Some)
    }

    async fn erase_due(
        &self,
        cutoff: DateTime<Utc>,
        by: &AuditActor,
        address: &str,
    ) -> Result<RetentionReport, StoreError> {
        let mut report = RetentionReport::default();
        let reason = format!(
            "retention: every complaint closed before {}",
            cutoff.format("%Y-%m-%d")
        );
        for customer in self.due(cutoff).await? {
            // The reports projection chose them; the events decide: a complaint received or
            // reopened since it last caught up keeps the customer.
            if !self.closed_before(customer, cutoff).await? {
                continue;
            }
            let erased = self
                .complaints
                .erase_customer(
                    customer,
                    Actor::System {
                        name: "retention".into(),
                    },
                    &reason,
                )
                .await
                .map_err(|e| StoreError::Config(e.to_string()))?;
            report.customers += 1;
            report.complaints += erased.complaints.len();
            self.audit
                .record(
                    self.clock.now(),
                    AuditAction::CustomerErased,
                    by,
                    &customer.0.to_string(),
                    &format!("{reason}; {} complaint(s)", erased.complaints.len()),
                    address,
                )
                .await?;
        }
        self.audit
            .record(
                self.clock.now(),
                AuditAction::RetentionRun,
                by,
                "",
                &format!(
                    "erased {} customer(s), {} complaint(s); cutoff {}",
                    report.customers,
                    report.complaints,
                    cutoff.format("%Y-%m-%d %H:%M UTC")
                ),
                address,
            )
            .await?;
        Ok(report)
    }

    /// Whether every complaint of `customer`, read from the events, is closed, the last
    /// closure before `cutoff`.
    async fn closed_before(
        &self,
        customer: CustomerId,
        cutoff: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        use redress_domain::ComplaintChange;
        for reference in self.complaints.references_of(customer).await? {
            let mut closed_at = None;
            for event in self.complaints.events_of(&reference).await? {
                match event.change {
                    ComplaintChange::ComplaintClosed => closed_at = Some(event.occurred_at),
                    ComplaintChange::ComplaintReopened { .. } => closed_at = None,
                    _ => {}
                }
            }
            if closed_at.is_none_or(|at| at >= cutoff) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Runs a pass every day (the first a minute after start) until `shutdown`, on one
    /// instance at a time, erasing customers whose last complaint closed more than
    /// `keep_days` ago. Nothing when `keep_days` is 0 (retention off).
    pub async fn run(self, keep_days: u32, mut shutdown: watch::Receiver<bool>) {
        if keep_days == 0 {
            return;
        }
        let mut wait = Duration::from_secs(60);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
            wait = Duration::from_secs(24 * 60 * 60);
            let cutoff = self.clock.now() - chrono::Duration::days(i64::from(keep_days));
            match self
                .pass(cutoff, &AuditActor::system("retention"), "")
                .await
            {
                Ok(Some(report)) => tracing::info!(
                    customers = report.customers,
                    complaints = report.complaints,
                    "retention: personal data past its period erased"
                ),
                // Another instance (or an admin) runs it.
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "retention failed; trying again in an hour");
                    wait = Duration::from_secs(60 * 60);
                }
            }
        }
    }
}
