//! The `sla` projector: every complaint's clocks from its events, the breaches they record, and the alerts those owe.

use super::*;

/// How old an at-risk moment or breach may be when first recorded and still alert staff:
/// older ones (a rebuild, demo data, a scheduler down for a day) are on the dashboard only.
pub const ALERT_MAX_AGE: Duration = Duration::hours(24);

/// The projector that keeps every complaint's SLA clocks.
pub struct SlaProjector {
    policies: SlaPolicies,
    clock: Arc<dyn Clock>,
}

impl SlaProjector {
    /// Its name.
    pub const NAME: &'static str = "sla";

    /// The projector, reading policies from `policies`; `clock` decides which alerts are
    /// still worth sending.
    pub fn new(policies: SlaPolicies, clock: Arc<dyn Clock>) -> Self {
        Self { policies, clock }
    }
}

#[async_trait]
impl Projector for SlaProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    /// Its batches queue alerts and move the clocks' next moments.
    fn wakes(&self) -> &'static [Wake] {
        &[Wake::MailSender, Wake::SlaScheduler]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "sla_complaints",
            "sla_clock_states",
            "sla_breaches",
            "sla_breach_days",
        ]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        _keys: &mut KeyRing,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        let reference = stored.reference.as_str();
        let event = &stored.event;
        match &event.change {
            ComplaintChange::ComplaintReceived {
                tier,
                priority,
                category,
                ..
            } => {
                let (version, policy) = self.policies.in_effect(tx, event.occurred_at).await?;
                let sla = ComplaintSla::received(
                    u32::try_from(version).unwrap_or(0),
                    &policy,
                    *tier,
                    *priority,
                    category.clone(),
                    event.occurred_at,
                );
                save(tx, reference, &sla, true).await
            }
            _ => {
                let Some(mut sla) = load(tx, reference).await? else {
                    return Err(StoreError::Corrupt(format!(
                        "event {reference}#{} arrived before its complaint was received",
                        stored.sequence
                    )));
                };
                let policy = self
                    .policies
                    .of_version(tx, i64::from(sla.policy_version))
                    .await?;
                let transitions = sla.advance(event.occurred_at);
                record(
                    tx,
                    reference,
                    &sla,
                    &policy,
                    &transitions,
                    self.clock.now(),
                    None,
                )
                .await?;
                if let ComplaintChange::BreachCauseRecorded {
                    clock,
                    cycle,
                    cause,
                } = &event.change
                {
                    record_cause(tx, reference, event, *clock, *cycle, cause).await?;
                }
                let breached = breached_runs(&sla);
                let outcomes = sla.apply(&policy, event);
                record_outcomes(tx, reference, &outcomes, &breached).await?;
                save(tx, reference, &sla, false).await
            }
        }
    }

    /// The batch's clocks are read in one query and the policy versions once, changed in
    /// memory event by event, and each complaint's clocks written once at the end; so are
    /// its breaches and the breached runs it sees met ([`Breaches`]). Causes, taken-back
    /// breaches and alerts are written as they happen, as [`Projector::apply`] does.
    async fn apply_batch(
        &self,
        tx: &mut Tx,
        _keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let wanted = crate::event_log::received_before(events);
        // reference → (clocks, received in this batch)
        let mut states: HashMap<String, (ComplaintSla, bool)> = load_many(tx, &wanted)
            .await?
            .into_iter()
            .map(|(reference, sla)| (reference, (sla, false)))
            .collect();
        let mut order: Vec<String> = Vec::new();
        let mut policies: HashMap<i64, Arc<SlaPolicy>> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut breaches = Breaches::default();
        let versions: Vec<(DateTime<Utc>, i64)> = on_db!(tx, |q| sqlx::query_as(
            "SELECT created_at, version FROM sla_policy_versions"
        )
        .fetch_all(q)
        .await)?;
        let now = self.clock.now();
        for stored in events {
            let reference = stored.reference.as_str();
            let event = &stored.event;
            if let ComplaintChange::ComplaintReceived {
                tier,
                priority,
                category,
                ..
            } = &event.change
            {
                let version = version_in_effect(&versions, event.occurred_at);
                let policy = self.policies.of_version(tx, version).await?;
                let sla = ComplaintSla::received(
                    u32::try_from(version).unwrap_or(0),
                    &policy,
                    *tier,
                    *priority,
                    category.clone(),
                    event.occurred_at,
                );
                if !states.contains_key(reference) {
                    states.insert(reference.to_string(), (sla, true));
                    seen.insert(reference.to_string());
                    order.push(reference.to_string());
                }
                continue;
            }
            let Some((sla, _)) = states.get_mut(reference) else {
                return Err(StoreError::Corrupt(format!(
                    "event {reference}#{} arrived before its complaint was received",
                    stored.sequence
                )));
            };
            let version = i64::from(sla.policy_version);
            let policy = match policies.get(&version) {
                Some(policy) => policy.clone(),
                None => {
                    let policy = self.policies.of_version(tx, version).await?;
                    policies.insert(version, policy.clone());
                    policy
                }
            };
            let transitions = sla.advance(event.occurred_at);
            record(
                tx,
                reference,
                sla,
                &policy,
                &transitions,
                now,
                Some(&mut breaches),
            )
            .await?;
            if let ComplaintChange::BreachCauseRecorded {
                clock,
                cycle,
                cause,
            } = &event.change
            {
                // Rare: write what is buffered first, so the row is there to update.
                std::mem::take(&mut breaches).write(tx).await?;
                record_cause(tx, reference, event, *clock, *cycle, cause).await?;
            }
            let breached = breached_runs(sla);
            let outcomes = sla.apply(&policy, event);
            if outcomes.iter().any(|o| o.revoked_breach.is_some()) {
                // Rare (an event committed late): written first, then taken back as usual.
                std::mem::take(&mut breaches).write(tx).await?;
                record_outcomes(tx, reference, &outcomes, &breached).await?;
            } else {
                for outcome in &outcomes {
                    if let Some(met_at) = outcome.met_at
                        && breached.contains(&(outcome.clock, outcome.cycle))
                    {
                        breaches.met(reference, outcome.clock, outcome.cycle, met_at);
                    }
                }
            }
            if seen.insert(reference.to_string()) {
                order.push(reference.to_string());
            }
        }
        breaches.write(tx).await?;
        let touched: Vec<(&str, &ComplaintSla, bool)> = order
            .iter()
            .filter_map(|reference| {
                states
                    .get(reference)
                    .map(|(sla, new)| (reference.as_str(), sla, *new))
            })
            .collect();
        save_many(tx, &touched).await
    }
}

/// The policy version in effect at `at`: the newest saved at or before it, else the oldest
/// (as [`SlaPolicies::in_effect`] chooses); 0, the default, when there is none. `versions`
/// are (saved at, version), read once per batch.
pub(crate) fn version_in_effect(versions: &[(DateTime<Utc>, i64)], at: DateTime<Utc>) -> i64 {
    versions
        .iter()
        .filter(|(created, _)| *created <= at)
        .max()
        .or_else(|| versions.iter().min_by_key(|(_, version)| *version))
        .map_or(0, |(_, version)| *version)
}

/// The runs (clock, cycle) breached in `sla`: only their breach rows can be met.
fn breached_runs(sla: &ComplaintSla) -> Vec<(SlaClock, u32)> {
    SlaClock::ALL
        .iter()
        .filter_map(|clock| {
            let state = sla.clock(*clock);
            state.breached_at.map(|_| (*clock, state.cycle))
        })
        .collect()
}

/// The clocks of `references` (those that exist), by reference: one query per 500.
async fn load_many(
    tx: &mut Tx,
    references: &[&str],
) -> Result<HashMap<String, ComplaintSla>, StoreError> {
    let mut unique: Vec<&str> = references.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut states = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(500) {
        let placeholders = crate::db::placeholders(tx.backend(), 1, chunk.len());
        let sql = format!(
            "SELECT reference, state FROM sla_clock_states WHERE reference IN ({placeholders})"
        );
        let rows: Vec<(String, String)> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for reference in chunk {
                query = query.bind(*reference);
            }
            query.fetch_all(q).await
        })?;
        for (reference, json) in rows {
            let sla = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("SLA clocks of {reference}: {e}")))?;
            states.insert(reference, sla);
        }
    }
    Ok(states)
}

pub(super) async fn load(tx: &mut Tx, reference: &str) -> Result<Option<ComplaintSla>, StoreError> {
    let json: Option<String> = on_db!(tx, |q| sqlx::query_scalar(
        "SELECT state FROM sla_clock_states WHERE reference = $1"
    )
    .bind(reference)
    .fetch_optional(q)
    .await)?;
    json.map(|json| {
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("SLA clocks of {reference}: {e}")))
    })
    .transpose()
}

pub(super) async fn save(
    tx: &mut Tx,
    reference: &str,
    sla: &ComplaintSla,
    new: bool,
) -> Result<(), StoreError> {
    save_many(tx, &[(reference, sla, new)]).await
}

/// Writes the clocks of many complaints, many per statement: `new` ones inserted (kept as they
/// are if already there), the others replaced.
async fn save_many(tx: &mut Tx, items: &[(&str, &ComplaintSla, bool)]) -> Result<(), StoreError> {
    const COLUMNS: &str = "reference, policy_version, tier, priority, category, owner_id, \
        owner_name, open, paused, breached_since, next_due_at, next_due_clock, at_risk_from, \
        next_check_at, urgent_at, urgent_clock, team_id";
    for new in [true, false] {
        let group: Vec<&(&str, &ComplaintSla, bool)> =
            items.iter().filter(|(_, _, n)| *n == new).collect();
        let on_conflict = if new {
            "DO NOTHING".to_string()
        } else {
            let updates = COLUMNS
                .split(',')
                .map(str::trim)
                .filter(|c| *c != "reference")
                .map(|c| format!("{c} = excluded.{c}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("DO UPDATE SET {updates}")
        };
        for chunk in group.chunks(125) {
            let sql = format!(
                "INSERT INTO sla_complaints ({COLUMNS}) VALUES {}
                 ON CONFLICT (reference) {on_conflict}",
                values(tx.backend(), chunk.len(), 17)
            );
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for (reference, sla, _) in chunk.iter().copied() {
                    let urgent = sla.oldest_breach().or(sla.next_due());
                    let (next_due_clock, next_due_at) = sla
                        .next_due()
                        .map(|(clock, at)| (Some(clock.code()), Some(at)))
                        .unwrap_or((None, None));
                    query = query
                        .bind(*reference)
                        .bind(i64::from(sla.policy_version))
                        .bind(sla.tier.code())
                        .bind(sla.priority.code())
                        .bind(sla.category.clone())
                        .bind(sla.owner.as_ref().map(|o| o.id))
                        .bind(sla.owner.as_ref().map(|o| o.name.clone()))
                        .bind(!sla.resolved)
                        .bind(sla.is_paused())
                        .bind(sla.breached_since())
                        .bind(next_due_at)
                        .bind(next_due_clock)
                        .bind(sla.at_risk_from())
                        .bind(sla.next_check())
                        .bind(urgent.map(|(_, at)| at))
                        .bind(urgent.map(|(clock, _)| clock.code()))
                        .bind(sla.team.as_ref().map(|t| t.id));
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
            let states = chunk
                .iter()
                .map(|(reference, sla, _)| {
                    serde_json::to_string(sla)
                        .map(|json| (*reference, json))
                        .map_err(|e| StoreError::Corrupt(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let sql = format!(
                "INSERT INTO sla_clock_states (reference, state) VALUES {}
                 ON CONFLICT (reference) {}",
                values(tx.backend(), states.len(), 2),
                if new {
                    "DO NOTHING"
                } else {
                    "DO UPDATE SET state = excluded.state"
                }
            );
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for (reference, json) in &states {
                    query = query.bind(*reference).bind(json.as_str());
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
    }
    Ok(())
}
