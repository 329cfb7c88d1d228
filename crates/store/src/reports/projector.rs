//! The `reports` projector: a batch of events at a time, its complaints loaded in one query,
//! added up in memory ([`super::Batch`]), each aggregate row written once.

use super::write::{load_customers, load_states, write};
use super::*;

/// The projector of the managers' reports.
pub struct ReportsProjector {
    policies: SlaPolicies,
}

impl ReportsProjector {
    /// Its name.
    pub const NAME: &'static str = "reports";

    /// The projector, with the policies its clocks follow.
    pub fn new(policies: SlaPolicies) -> Self {
        Self { policies }
    }

    async fn apply_one(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        batch: &mut Batch,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        let reference = stored.reference.as_str();
        let event = &stored.event;
        let at = event.occurred_at;
        if let ComplaintChange::ComplaintReceived {
            customer,
            company,
            tier,
            channel,
            category,
            priority,
            ..
        } = &event.change
        {
            if batch.states.contains_key(reference) {
                return Ok(()); // already counted (never happens: one receipt per stream)
            }
            let version = crate::sla::version_in_effect(&batch.versions, at);
            let policy = self.policies.of_version(tx, version).await?;
            let sla = ComplaintSla::received(
                u32::try_from(version).unwrap_or(0),
                &policy,
                *tier,
                *priority,
                category.clone(),
                at,
            );
            let (three_days, eight_weeks) = fca_targets();
            let mut tracked = Tracked {
                sla,
                customer: customer.id,
                received_at: at,
                channel: *channel,
                company: company.clone(),
                open: true,
                closed_at: None,
                fca_3_days: three_days.due(at, &policy.calendar),
                fca_8_weeks: eight_weeks.due(at, &policy.calendar),
                received_as: Vec::new(),
                repeat: false,
                score: None,
            };
            let day = day_of(&policy, at);
            let before = batch
                .known_customers
                .get(&customer.id)
                .copied()
                .unwrap_or(0)
                + batch
                    .customers
                    .get(&customer.id)
                    .map_or(0, |c| c.complaints);
            let repeat = i64::from(before > 0);
            let mut dims = tracked.dims().to_vec();
            if let Some(company) = company {
                dims.push(("company", company.clone()));
            }
            batch.each_dim(&day, &dims, |c| {
                c.received += 1;
                c.repeat_received += repeat;
                c.backlog_delta += 1;
                c.open_received += 1;
            });
            tracked.received_as = dims
                .iter()
                .map(|(d, v)| (d.to_string(), v.clone()))
                .collect();
            tracked.repeat = repeat > 0;
            let cell = batch
                .customers
                .entry(customer.id)
                .or_insert_with(|| CustomerCell {
                    complaints: 0,
                    first_at: at,
                    last_at: at,
                    last_reference: reference.to_string(),
                    company: None,
                });
            cell.complaints += 1;
            if at >= cell.last_at {
                cell.last_at = at;
                cell.last_reference = reference.to_string();
            }
            cell.first_at = cell.first_at.min(at);
            if company.is_some() {
                cell.company = company.clone();
            }
            batch.states.insert(reference.to_string(), tracked);
            batch.changed.insert(reference.to_string());
            return Ok(());
        }
        let Some(mut tracked) = batch.states.remove(reference) else {
            return Err(StoreError::Corrupt(format!(
                "event {reference}#{} arrived before its complaint was received",
                stored.sequence
            )));
        };
        let policy = self
            .policies
            .of_version(tx, i64::from(tracked.sla.policy_version))
            .await?;
        let day = day_of(&policy, at);
        let received_day = day_of(&policy, tracked.received_at);
        let dims_before = tracked.dims();
        tracked.sla.advance(at);
        let (_, measures) = tracked.sla.apply_measured(&policy, event);
        let dims = tracked.dims();
        for run in &measures {
            let met_day = day_of(&policy, run.met_at);
            for (dim, value) in &dims {
                batch
                    .speed
                    .entry((met_day.clone(), run.clock.code(), *dim, value.clone()))
                    .or_default()
                    .add(run);
            }
        }
        let mut with_company = dims.to_vec();
        if let Some(company) = &tracked.company {
            with_company.push(("company", company.clone()));
        }
        match &event.change {
            ComplaintChange::ComplaintResolved {
                outcome,
                decisions,
                redress_paid_cents,
                ..
            } => {
                let paid = redress_paid_cents.unwrap_or(0);
                let outcome = *outcome;
                let count = |wanted: Outcome| {
                    decisions.iter().filter(|d| d.outcome == wanted).count() as i64
                };
                let points = [
                    count(Outcome::Upheld),
                    count(Outcome::PartlyUpheld),
                    count(Outcome::NotUpheld),
                ];
                batch.each_dim(&day, &with_company, |c| {
                    c.resolved += 1;
                    match outcome {
                        Outcome::Upheld => c.upheld += 1,
                        Outcome::PartlyUpheld => c.partly_upheld += 1,
                        Outcome::NotUpheld => c.not_upheld += 1,
                    }
                    c.redress_cents += paid;
                    c.points += points.iter().sum::<i64>();
                    c.points_upheld += points[0];
                    c.points_partly_upheld += points[1];
                    c.points_not_upheld += points[2];
                });
            }
            ComplaintChange::ComplaintClosed if tracked.open => {
                tracked.open = false;
                tracked.closed_at = Some(at);
                let within_3 = tracked.fca_3_days.is_some_and(|due| at <= due);
                let within_8 = tracked.fca_8_weeks.is_some_and(|due| at <= due);
                batch.each_dim(&received_day, &with_company, |c| c.open_received -= 1);
                batch.each_dim(&day, &with_company, |c| {
                    c.closed += 1;
                    c.backlog_delta -= 1;
                    if within_3 {
                        c.closed_3d += 1;
                    } else if within_8 {
                        c.closed_8w += 1;
                    } else {
                        c.closed_later += 1;
                    }
                });
            }
            // A duplicate merged into another is not a complaint received: it leaves the
            // counts it arrived in, and the backlog (it is not closed either).
            ComplaintChange::MergedInto { .. } if tracked.open => {
                tracked.open = false;
                let received_as: Vec<(&'static str, String)> = tracked
                    .received_as
                    .iter()
                    .filter_map(|(d, v)| dimension(d).map(|d| (d, v.clone())))
                    .collect();
                let repeat = i64::from(tracked.repeat);
                batch.each_dim(&received_day, &received_as, |c| {
                    c.received -= 1;
                    c.repeat_received -= repeat;
                });
                batch.each_dim(&received_day, &with_company, |c| c.open_received -= 1);
                batch.each_dim(&day, &with_company, |c| c.backlog_delta -= 1);
            }
            ComplaintChange::ComplaintReopened { .. } if !tracked.open => {
                tracked.open = true;
                batch.each_dim(&received_day, &with_company, |c| c.open_received += 1);
                batch.each_dim(&day, &with_company, |c| {
                    c.reopened += 1;
                    c.backlog_delta += 1;
                });
            }
            ComplaintChange::SatisfactionRecorded {
                score,
                comment,
                would_change,
            } => {
                let score = i64::from((*score).clamp(1, 5));
                tracked.score = Some(score);
                batch.each_dim(&day, &with_company, |c| {
                    c.sat_n += 1;
                    c.sat_sum += score;
                    c.sat[(score - 1) as usize] += 1;
                });
                let would_change = match would_change {
                    Some(sealed) => keys.open(tx, tracked.customer, sealed).await?,
                    None => None,
                };
                let comment = match comment {
                    Some(sealed) => keys.open(tx, tracked.customer, sealed).await?,
                    None => None,
                };
                batch.feedback.push(FeedbackRow {
                    reference: reference.to_string(),
                    sequence: stored.sequence,
                    at,
                    day: day.clone(),
                    score,
                    owner: tracked.owner(),
                    category: tracked.sla.category.clone(),
                    tier: tracked.sla.tier.code().to_string(),
                    would_change: would_change.filter(|t| !t.trim().is_empty()),
                    comment: comment.filter(|t| !t.trim().is_empty()),
                });
            }
            ComplaintChange::PersonalDataErased { .. } => {
                keys.forget(tracked.customer);
                for row in batch
                    .feedback
                    .iter_mut()
                    .filter(|r| r.reference == reference)
                {
                    row.would_change = None;
                    row.comment = None;
                }
                batch.erased.push(reference.to_string());
            }
            _ => {}
        }
        // An open complaint that moved to another owner, category or priority leaves one
        // backlog and joins another.
        if tracked.open {
            for ((dim, old), (_, new)) in dims_before.iter().zip(dims.iter()) {
                if old != new {
                    batch.day(&day, dim, old).backlog_delta -= 1;
                    batch.day(&day, dim, new).backlog_delta += 1;
                    batch.day(&received_day, dim, old).open_received -= 1;
                    batch.day(&received_day, dim, new).open_received += 1;
                }
            }
        }
        batch.states.insert(reference.to_string(), tracked);
        batch.changed.insert(reference.to_string());
        Ok(())
    }
}

#[async_trait]
impl Projector for ReportsProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "report_complaints",
            "report_speed",
            "report_days",
            "report_feedback",
            "report_customers",
        ]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        event: &StoredEvent,
    ) -> Result<(), StoreError> {
        self.apply_batch(tx, keys, std::slice::from_ref(event))
            .await
    }

    async fn apply_batch(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        let references: Vec<String> = events
            .iter()
            .filter(|e| !matches!(e.event.change, ComplaintChange::ComplaintReceived { .. }))
            .map(|e| e.reference.to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        batch.states = load_states(tx, &references).await?;
        let customers: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.event.change {
                ComplaintChange::ComplaintReceived { customer, .. } => {
                    Some(customer.id.to_string())
                }
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        batch.known_customers = load_customers(tx, &customers).await?;
        batch.versions = on_db!(tx, |q| sqlx::query_as(
            "SELECT created_at, version FROM sla_policy_versions"
        )
        .fetch_all(q)
        .await)?;
        for event in events {
            self.apply_one(tx, keys, &mut batch, event).await?;
        }
        write(tx, batch).await
    }
}
