//! The scheduler: what the passing of time does to the clocks (at risk, breached) with no new event, recorded once.

use super::*;

/// What one scheduler tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Complaints looked at.
    pub complaints: usize,
    /// Whether the projector was behind, so the tick waited for it.
    pub behind: bool,
}

impl Sla {
    /// Records what time did to the clocks up to `now` minus [`Sla::GRACE`]: at-risk moments
    /// reached and breaches, with their alerts. Does nothing while the projector is behind
    /// (it records the same as it catches up).
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
        let until = now - Self::GRACE;
        let mut report = TickReport::default();
        loop {
            let mut tx = self.db.begin().await?;
            // The projector's lock: its batches and ticks never interleave.
            let checkpoint = lock_checkpoint(&mut tx, SlaProjector::NAME).await?;
            // Any committed event beyond the checkpoint, even one the projector may not read
            // yet (held back on PostgreSQL by an older transaction), might meet a clock.
            let behind = crate::event_log::any_after(&mut tx, &checkpoint).await?;
            if behind {
                report.behind = true;
                return Ok(report);
            }
            let rows: Vec<String> = on_db!(&mut tx, |q| sqlx::query_scalar(
                "SELECT reference FROM sla_complaints
                  WHERE next_check_at <= $1 ORDER BY next_check_at LIMIT $2"
            )
            .bind(until)
            .bind(Self::TICK_BATCH)
            .fetch_all(q)
            .await)?;
            for reference in &rows {
                let Some(mut sla) = load(&mut tx, reference).await? else {
                    continue;
                };
                let policy = self
                    .policies
                    .of_version(&mut tx, i64::from(sla.policy_version))
                    .await?;
                let transitions = sla.advance(until);
                record(&mut tx, reference, &sla, &policy, &transitions, now, None).await?;
                save(&mut tx, reference, &sla, false).await?;
            }
            tx.commit().await?;
            report.complaints += rows.len();
            if (rows.len() as i64) < Self::TICK_BATCH {
                return Ok(report);
            }
        }
    }

    /// When the tick must next run: the earliest moment time will do something.
    pub async fn next_check(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT MIN(next_check_at) FROM sla_complaints"
        )
        .fetch_one(pool)
        .await)?)
    }

    /// Open complaints with a clock past its due time now (for `/metrics`).
    pub async fn open_breaches(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM sla_complaints WHERE open AND breached_since IS NOT NULL"
        )
        .fetch_one(pool)
        .await)?)
    }

    /// The scheduler: ticks when the next at-risk moment or due time passes, after every
    /// projector batch (which may move them), and at least every `poll`. After a restart
    /// the first tick catches up on everything that fell due while it was down.
    ///
    /// It ticks only while this instance leads the `sla` projector (`leadership`); ticks on
    /// two instances would still be safe (each takes the projector's batch lock), only wasted.
    pub async fn run(
        self,
        projected: EventSignal,
        poll: StdDuration,
        mut shutdown: watch::Receiver<bool>,
        leadership: crate::Leadership,
    ) {
        let mut wake = projected.subscribe();
        let mut failures = 0u32;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if !leadership.leads(SlaProjector::NAME) {
                tokio::select! {
                    _ = wake.changed() => {}
                    _ = tokio::time::sleep(poll.min(StdDuration::from_secs(1))) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let now = self.clock.now();
            let pause = match self.tick(now).await {
                Ok(report) => {
                    failures = 0;
                    if report.complaints > 0 {
                        tracing::debug!(complaints = report.complaints, "SLA clocks advanced");
                    }
                    match self.next_check().await {
                        Ok(Some(next)) => {
                            let wait = (next + Self::GRACE - now)
                                .to_std()
                                .unwrap_or(StdDuration::from_millis(100));
                            wait.clamp(StdDuration::from_millis(100), poll)
                        }
                        Ok(None) => poll,
                        Err(error) => {
                            tracing::warn!(%error, "cannot read the next SLA deadline");
                            poll
                        }
                    }
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(%error, failures, "the SLA scheduler failed; retrying");
                    poll.min(StdDuration::from_millis(200 * 2u64.pow(failures.min(6))))
                }
            };
            tokio::select! {
                _ = wake.changed() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
