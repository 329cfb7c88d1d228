//! Service recovery: no unhappy answer goes unheard. A low score opens a follow-up: a new
//! complaint on the `survey` channel, linked to the one scored, owned by that complaint's
//! owner in its team (else routed like any other), with its own SLA clocks.
//!
//! A follow-up is a complaint rather than a task on the first one because the first is
//! usually closed by the time it is scored: a new complaint gets the six steps, its own
//! clocks, the queue, the notifications and the reports as every complaint does, and the
//! customer is told it was received; the link keeps the two together on both pages.
//!
//! A periodic survey's answer at or below the limit, or whose contact asks to be contacted,
//! opens one too (see `survey`), for the team the routing rules give it.
//!
//! The `recovery` projector queues every score of 4 or less once (one writer of new rows, in
//! the event's batch), and this worker, on the instance that leads that projector, opens the
//! follow-ups of those at or below the limit and marks the rest: commands are never run from
//! inside a projector's transaction. A follow-up's reference is derived from the score's
//! event, so a worker that dies after receiving it and before marking its row finds it on
//! the next pass and opens no second one.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use redress_domain::{
    Actor, Channel, Clock, ComplaintAction, ComplaintChange, ComplaintCommand, ComplaintError,
    CustomerEmail, NewComplaint, NewCustomer, Priority, Reference, Routing, Tier,
};
use serde::Serialize;
use tokio::sync::watch;

use crate::complaints::{CommandError, Complaints};
use crate::db::{Database, Tx};
use crate::event_log::StoredEvent;
use crate::projection::{EventSignal, Leadership, Projector, Wake};
use crate::vault::{KeyRing, KeyVault};

use crate::{StoreError, on_db, on_pool};

mod projector;
mod survey;

pub use projector::*;

/// The highest limit a score can be followed up at (a 5 is never a complaint).
pub const MAX_LIMIT: u8 = 4;

/// Scores at or below this open a follow-up unless configured otherwise.
pub const DEFAULT_LIMIT: u8 = 2;

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryPass {
    /// Follow-ups opened.
    pub opened: usize,
    /// Scores above the limit, or whose customer was erased.
    pub skipped: usize,
}

/// Low scores in a period and what became of them (for the loyalty report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RecoveryFigures {
    /// Scores at or below the limit.
    pub low: i64,
    /// Of which followed up (a follow-up complaint opened).
    pub followed_up: i64,
    /// Follow-ups acknowledged to the customer.
    pub acknowledged: i64,
    /// The median working hours from the follow-up's opening to its acknowledgement.
    pub median_acknowledge_hours: Option<f64>,
    /// Follow-ups whose customer scored again.
    pub rescored: i64,
    /// Of which better than the first score.
    pub better: i64,
}

/// The recovery worker and its queue.
#[derive(Clone)]
pub struct Recovery {
    db: Database,
    complaints: Complaints,
    vault: KeyVault,
    clock: Arc<dyn Clock>,
    limit: u8,
}

/// A queued score, as the worker reads it.
#[derive(Debug, sqlx::FromRow)]
struct Queued {
    source: String,
    sequence: i64,
    score: i32,
    follow_up: String,
}

impl Recovery {
    /// The worker: scores at or below `limit` (0 turns recovery off) open a follow-up.
    pub fn new(
        db: Database,
        complaints: Complaints,
        vault: KeyVault,
        clock: Arc<dyn Clock>,
        limit: u8,
    ) -> Self {
        Self {
            db,
            complaints,
            vault,
            clock,
            limit: limit.min(MAX_LIMIT),
        }
    }

    /// The scores at or below which a follow-up is opened (0: none).
    pub fn limit(&self) -> u8 {
        self.limit
    }

    /// The same worker with another limit.
    pub fn with_limit(mut self, limit: u8) -> Self {
        self.limit = limit.min(MAX_LIMIT);
        self
    }

    /// Works through the queue: opens the follow-up of every pending score at or below the
    /// limit and marks the rest skipped; then those of the periodic surveys' answers.
    pub async fn pass(&self) -> Result<RecoveryPass, CommandError> {
        let mut pass = RecoveryPass::default();
        loop {
            let rows: Vec<Queued> = on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT source, sequence, score, follow_up FROM recovery_queue
                  WHERE state = 'pending' ORDER BY scored_at, source LIMIT 100"
            )
            .fetch_all(pool)
            .await)
            .map_err(|e| CommandError::from_store(e.into()))?;
            if rows.is_empty() {
                let surveyed = self.survey_pass().await?;
                pass.opened += surveyed.opened;
                pass.skipped += surveyed.skipped;
                return Ok(pass);
            }
            for row in rows {
                match self.follow_up(&row).await? {
                    Outcome::Opened => pass.opened += 1,
                    Outcome::Skipped(_) => pass.skipped += 1,
                }
            }
        }
    }

    async fn follow_up(&self, row: &Queued) -> Result<Outcome, CommandError> {
        let outcome = if self.limit == 0 || row.score > i32::from(self.limit) {
            Outcome::Skipped("not low enough")
        } else {
            self.open(row).await?
        };
        let (state, reason) = match outcome {
            Outcome::Opened => ("opened", None),
            Outcome::Skipped(reason) => ("skipped", Some(reason)),
        };
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE recovery_queue SET state = $1, reason = $2, opened_at = $3
              WHERE source = $4 AND state = 'pending'"
        )
        .bind(state)
        .bind(reason)
        .bind((state == "opened").then(|| self.clock.now()))
        .bind(&row.source)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| CommandError::from_store(e.into()))?;
        Ok(outcome)
    }

    /// Receives the follow-up of `row` (or finds it received already) and links it to the
    /// complaint scored.
    async fn open(&self, row: &Queued) -> Result<Outcome, CommandError> {
        let Ok(source) = Reference::parse(&row.source) else {
            return Ok(Outcome::Skipped("not a reference"));
        };
        let Some(complaint) = self.complaints.load(&source).await? else {
            return Ok(Outcome::Skipped("no such complaint"));
        };
        if complaint.personal_data_erased() {
            return Ok(Outcome::Skipped("the customer was erased"));
        }
        let events = crate::event_log::of_complaint(&self.db, &source)
            .await
            .map_err(CommandError::from_store)?;
        let Some(new) = self
            .new_complaint(row, &source, &complaint, &events)
            .await?
        else {
            return Ok(Outcome::Skipped("the customer was erased"));
        };
        let follow_up = new.reference.clone();
        let by = Actor::System {
            name: "recovery".into(),
        };
        match self.complaints.receive_as(by.clone(), new).await {
            Ok(()) | Err(CommandError::Rejected(ComplaintError::AlreadyReceived)) => {}
            Err(other) => return Err(other),
        }
        match self
            .complaints
            .execute(
                &follow_up,
                ComplaintCommand::new(by, ComplaintAction::Link { other: source }),
            )
            .await
        {
            Ok(()) | Err(CommandError::Rejected(ComplaintError::AlreadyLinked { .. })) => {}
            Err(other) => return Err(other),
        }
        Ok(Outcome::Opened)
    }

    /// The follow-up of `row`: the customer of the complaint scored, in their language, with
    /// the comment they gave as its words; owned by that complaint's owner in its team.
    /// `None` when the customer's details can no longer be opened (erased meanwhile).
    async fn new_complaint(
        &self,
        row: &Queued,
        source: &Reference,
        complaint: &redress_domain::Complaint,
        events: &[redress_domain::ComplaintEvent],
    ) -> Result<Option<NewComplaint>, CommandError> {
        let storage = |e: crate::vault::OpenError| CommandError::Storage(e.into());
        let Some(ComplaintChange::ComplaintReceived {
            customer,
            language,
            company,
            category,
            ..
        }) = events.first().map(|e| &e.change)
        else {
            return Ok(None);
        };
        let Some(key) = self
            .vault
            .key(customer.id)
            .await
            .map_err(CommandError::from_store)?
        else {
            return Ok(None);
        };
        let open = |sealed: &redress_domain::Sealed| key.open(customer.id, sealed);
        let name = open(&customer.name).map_err(storage)?;
        let email = match &customer.email {
            Some(sealed) => CustomerEmail::parse(&open(sealed).map_err(storage)?).ok(),
            None => None,
        };
        let phone = match &customer.phone {
            Some(sealed) => Some(open(sealed).map_err(storage)?),
            None => None,
        };
        // The customer's own words from the answer: their comment, else what they would
        // change; else the score itself says it.
        let mut words = String::new();
        if let Some(ComplaintChange::SatisfactionRecorded {
            comment,
            would_change,
            ..
        }) = events
            .get(usize::try_from(row.sequence - 1).unwrap_or(usize::MAX))
            .map(|e| &e.change)
        {
            for sealed in [comment, would_change].into_iter().flatten() {
                let text = open(sealed).map_err(storage)?;
                if !text.trim().is_empty() {
                    if !words.is_empty() {
                        words.push_str("\n\n");
                    }
                    words.push_str(text.trim());
                }
            }
        }
        if words.is_empty() {
            words = format!("{} / 5", row.score);
        }
        let routing = complaint.team().map(|team| Routing {
            team: team.clone(),
            reason: format!("the follow-up of a low score on {source}"),
            owner: complaint.owner().cloned(),
        });
        Ok(Some(NewComplaint {
            reference: Reference::parse(&row.follow_up)
                .unwrap_or_else(|_| follow_up_reference(source.as_str(), row.sequence)),
            customer: NewCustomer {
                name,
                email,
                phone,
                language: *language,
            },
            company: company.clone(),
            tier: Tier::Standard,
            channel: Channel::Survey,
            category: category.clone(),
            summary: format!("Follow-up: {source} scored {} out of 5", row.score),
            description: words,
            remedy_requested: None,
            priority: Priority::High,
            routing,
        }))
    }

    /// Low scores in `[from, to)` (by when they were given) and what became of them: the
    /// follow-ups opened, how fast they were acknowledged (working time, by their own
    /// clock), and whether the customer's next score was better.
    pub async fn figures(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RecoveryFigures, StoreError> {
        figures(&self.db, from, to).await
    }

    /// Opens follow-ups as scores arrive: woken by `due` (the projector queued one), at least
    /// every `poll`, while this instance leads the `recovery` projector.
    pub async fn run(
        self,
        due: EventSignal,
        poll: StdDuration,
        mut shutdown: watch::Receiver<bool>,
        leadership: Leadership,
    ) {
        let mut wake = due.subscribe();
        let mut failures = 0u32;
        while !*shutdown.borrow() {
            let pause = if !leadership.leads(RecoveryProjector::NAME) {
                poll.min(StdDuration::from_secs(1))
            } else {
                match self.pass().await {
                    Ok(pass) => {
                        failures = 0;
                        if pass.opened > 0 {
                            tracing::info!(opened = pass.opened, "follow-ups of low scores opened");
                        }
                        poll
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(error = %crate::chain(&error), failures,
                            "the recovery worker failed; retrying");
                        poll.min(StdDuration::from_millis(200 * 2u64.pow(failures.min(6))))
                    }
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

enum Outcome {
    Opened,
    Skipped(&'static str),
}

/// See [`Recovery::figures`].
pub async fn figures(
    db: &Database,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<RecoveryFigures, StoreError> {
    let rows: Vec<(String, i32, String, String, Option<String>)> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT q.source, q.score, q.state, q.follow_up, r.state
               FROM recovery_queue q
               LEFT JOIN report_complaints r ON r.reference = q.follow_up
              WHERE q.scored_at >= $1 AND q.scored_at < $2 AND q.state <> 'skipped'",
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })?;
    let follow_ups: Vec<String> = rows.iter().map(|r| r.3.clone()).collect();
    let scores = crate::reports::latest_scores(db, &follow_ups).await?;
    let mut figures = RecoveryFigures::default();
    let mut hours = Vec::new();
    for (_, score, state, follow_up, tracked) in &rows {
        figures.low += 1;
        if state != "opened" {
            continue;
        }
        figures.followed_up += 1;
        let acknowledged = match tracked {
            Some(state) => crate::reports::acknowledged_secs(follow_up, state)?,
            None => None,
        };
        if let Some(secs) = acknowledged {
            figures.acknowledged += 1;
            hours.push(secs as f64 / 3600.0);
        }
        if let Some(next) = scores.get(follow_up) {
            figures.rescored += 1;
            if *next > i64::from(*score) {
                figures.better += 1;
            }
        }
    }
    hours.sort_by(f64::total_cmp);
    figures.median_acknowledge_hours = match hours.len() {
        0 => None,
        n if n % 2 == 1 => Some(hours[n / 2]),
        n => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
    };
    Ok(figures)
}
