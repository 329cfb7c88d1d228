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

/// The breaches a projector batch records, and the breached runs it sees met, kept in memory
/// and written at the batch's end, many rows per statement.
#[derive(Default)]
pub(super) struct Breaches {
    /// New breach rows by (reference, clock, cycle), with their met time if met in the batch.
    new: std::collections::BTreeMap<(String, &'static str, i64), NewBreach>,
    /// Breaches recorded before the batch and met in it.
    met: std::collections::BTreeMap<(String, &'static str, i64), DateTime<Utc>>,
}

/// A row of `sla_breach_days`: day, clock, owner id (or ""), owner name, category, tier,
/// priority.
type DayKey = (
    String,
    &'static str,
    String,
    String,
    String,
    &'static str,
    &'static str,
);

struct NewBreach {
    due_at: DateTime<Utc>,
    policy_version: i64,
    tier: &'static str,
    priority: &'static str,
    category: String,
    owner: Option<(Uuid, String)>,
    met_at: Option<DateTime<Utc>>,
}

impl Breaches {
    fn add(
        &mut self,
        reference: &str,
        sla: &ComplaintSla,
        clock: SlaClock,
        cycle: u32,
        due_at: DateTime<Utc>,
    ) {
        self.new
            .entry((reference.to_string(), clock.code(), i64::from(cycle)))
            .or_insert_with(|| NewBreach {
                due_at,
                policy_version: i64::from(sla.policy_version),
                tier: sla.tier.code(),
                priority: sla.priority.code(),
                category: sla.category.clone(),
                owner: sla.owner.as_ref().map(|o| (o.id, o.name.clone())),
                met_at: None,
            });
    }

    fn met(&mut self, reference: &str, clock: SlaClock, cycle: u32, at: DateTime<Utc>) {
        let key = (reference.to_string(), clock.code(), i64::from(cycle));
        match self.new.get_mut(&key) {
            Some(new) => new.met_at = Some(at),
            None => {
                self.met.insert(key, at);
            }
        }
    }

    /// Inserts the new breaches (those already there are left, as one at a time would),
    /// counts the ones inserted in their days, and marks the met ones.
    async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
        let new: Vec<_> = self.new.into_iter().collect();
        let mut days: std::collections::BTreeMap<DayKey, i64> = std::collections::BTreeMap::new();
        for chunk in new.chunks(180) {
            let sql = format!(
                "INSERT INTO sla_breaches (reference, clock, cycle, due_at, policy_version, tier,
                        priority, category, owner_id, owner_name, met_at)
                 VALUES {}
                 ON CONFLICT (reference, clock, cycle) DO NOTHING
                 RETURNING reference, clock, cycle",
                values(tx.backend(), chunk.len(), 11)
            );
            let inserted: Vec<(String, String, i64)> = on_db!(tx, |q| {
                let mut query = sqlx::query_as(&sql);
                for ((reference, clock, cycle), b) in chunk {
                    query = query
                        .bind(reference.as_str())
                        .bind(*clock)
                        .bind(*cycle)
                        .bind(b.due_at)
                        .bind(b.policy_version)
                        .bind(b.tier)
                        .bind(b.priority)
                        .bind(b.category.as_str())
                        .bind(b.owner.as_ref().map(|(id, _)| *id))
                        .bind(b.owner.as_ref().map(|(_, name)| name.as_str()))
                        .bind(b.met_at);
                }
                query.fetch_all(q).await
            })?;
            let inserted: std::collections::HashSet<(String, String, i64)> =
                inserted.into_iter().collect();
            for ((reference, clock, cycle), b) in chunk {
                if !inserted.contains(&(reference.clone(), clock.to_string(), *cycle)) {
                    continue;
                }
                let (owner_key, owner_name) = b
                    .owner
                    .as_ref()
                    .map_or((String::new(), String::new()), |(id, name)| {
                        (id.to_string(), name.clone())
                    });
                *days
                    .entry((
                        b.due_at.date_naive().to_string(),
                        clock,
                        owner_key,
                        owner_name,
                        b.category.clone(),
                        b.tier,
                        b.priority,
                    ))
                    .or_default() += 1;
            }
        }
        let days: Vec<_> = days.into_iter().collect();
        for chunk in days.chunks(250) {
            let sql = format!(
                "INSERT INTO sla_breach_days (day, clock, owner_key, owner_name, category, tier,
                        priority, breaches)
                 VALUES {}
                 ON CONFLICT (day, clock, owner_key, owner_name, category, tier, priority)
                 DO UPDATE SET breaches = sla_breach_days.breaches + excluded.breaches",
                values(tx.backend(), chunk.len(), 8)
            );
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for ((day, clock, owner_key, owner_name, category, tier, priority), n) in chunk {
                    query = query
                        .bind(day.as_str())
                        .bind(*clock)
                        .bind(owner_key.as_str())
                        .bind(owner_name.as_str())
                        .bind(category.as_str())
                        .bind(*tier)
                        .bind(*priority)
                        .bind(*n);
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
        let met: Vec<_> = self.met.into_iter().collect();
        for chunk in met.chunks(400) {
            let sql = match tx {
                Tx::Postgres(_) => format!(
                    "UPDATE sla_breaches AS b SET met_at = v.met_at
                       FROM (VALUES {}) AS v(reference, clock, cycle, met_at)
                      WHERE b.reference = v.reference AND b.clock = v.clock
                        AND b.cycle = v.cycle",
                    typed_values(chunk.len())
                ),
                Tx::Sqlite(_) => format!(
                    "UPDATE sla_breaches SET met_at = v.column4
                       FROM (VALUES {}) AS v
                      WHERE sla_breaches.reference = v.column1 AND sla_breaches.clock = v.column2
                        AND sla_breaches.cycle = v.column3",
                    values(crate::db::Backend::Sqlite, chunk.len(), 4)
                ),
            };
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for ((reference, clock, cycle), at) in chunk {
                    query = query
                        .bind(reference.as_str())
                        .bind(*clock)
                        .bind(*cycle)
                        .bind(*at);
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }
}

/// PostgreSQL `VALUES` rows of (text, text, bigint, timestamptz) parameters, typed (a
/// `VALUES` list in `FROM` gives its columns the types of its first row).
fn typed_values(rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let n = r * 4;
            format!(
                "(${}::text, ${}::text, ${}::bigint, ${}::timestamptz)",
                n + 1,
                n + 2,
                n + 3,
                n + 4
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
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

async fn record_cause(
    tx: &mut Tx,
    reference: &str,
    event: &redress_domain::ComplaintEvent,
    clock: SlaClock,
    cycle: u32,
    cause: &str,
) -> Result<(), StoreError> {
    let by = match &event.by {
        Actor::Staff(member) => member.name.clone(),
        other => other.display_name().to_string(),
    };
    on_db!(tx, |q| sqlx::query(
        "UPDATE sla_breaches SET cause = $1, cause_by = $2, cause_at = $3
          WHERE reference = $4 AND clock = $5 AND cycle = $6"
    )
    .bind(cause)
    .bind(&by)
    .bind(event.occurred_at)
    .bind(reference)
    .bind(clock.code())
    .bind(i64::from(cycle))
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
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
        next_check_at, urgent_at, urgent_clock";
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
                values(tx.backend(), chunk.len(), 16)
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
                        .bind(urgent.map(|(clock, _)| clock.code()));
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

/// Records breaches, and queues alerts for transitions recent enough to be worth one.
/// With `buffer` (a projector batch), breach rows are kept in it and written at the batch's
/// end ([`Breaches::write`]).
pub(super) async fn record(
    tx: &mut Tx,
    reference: &str,
    sla: &ComplaintSla,
    policy: &SlaPolicy,
    transitions: &[Transition],
    now: DateTime<Utc>,
    mut buffer: Option<&mut Breaches>,
) -> Result<(), StoreError> {
    for transition in transitions {
        let (clock, cycle, kind) = match *transition {
            Transition::AtRisk { clock, cycle, .. } => (clock, cycle, EmailKind::SlaAtRisk),
            Transition::Breached {
                clock,
                cycle,
                due_at,
            } if buffer.is_some() => {
                if let Some(buffer) = buffer.as_deref_mut() {
                    buffer.add(reference, sla, clock, cycle, due_at);
                }
                (clock, cycle, EmailKind::SlaBreach)
            }
            Transition::Breached {
                clock,
                cycle,
                due_at,
            } => {
                let inserted = on_db!(tx, |q| sqlx::query(
                    "INSERT INTO sla_breaches (reference, clock, cycle, due_at, policy_version,
                            tier, priority, category, owner_id, owner_name)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (reference, clock, cycle) DO NOTHING"
                )
                .bind(reference)
                .bind(clock.code())
                .bind(i64::from(cycle))
                .bind(due_at)
                .bind(i64::from(sla.policy_version))
                .bind(sla.tier.code())
                .bind(sla.priority.code())
                .bind(&sla.category)
                .bind(sla.owner.as_ref().map(|o| o.id))
                .bind(sla.owner.as_ref().map(|o| o.name.clone()))
                .execute(q)
                .await
                .map(|r| r.rows_affected()))?;
                if inserted == 1 {
                    count_breach_day(tx, sla, clock, due_at).await?;
                }
                (clock, cycle, EmailKind::SlaBreach)
            }
        };
        let happened = transition.at();
        if now - happened > ALERT_MAX_AGE {
            continue;
        }
        // An at-risk moment already overtaken by the breach needs no alert of its own.
        let breached_too = transitions.iter().any(|t| {
            matches!(t, Transition::Breached { clock: c, cycle: n, .. } if *c == clock && *n == cycle)
        });
        if kind == EmailKind::SlaAtRisk && breached_too {
            continue;
        }
        let id = alert_id(reference, clock, cycle, kind);
        let recipient = sla.owner.as_ref().map_or(Uuid::nil(), |o| o.id);
        let send_at = policy.next_working_moment(now);
        Outbox::enqueue_staff_alert(tx, &id, reference, kind, recipient, send_at, happened, now)
            .await?;
        // The same, in the owner's (or the managers') notifications. Like the alert, written
        // once when it happens, and kept by rebuilds.
        let told = if kind == EmailKind::SlaBreach {
            NotificationKind::SlaBreach
        } else {
            NotificationKind::SlaAtRisk
        };
        crate::notifications::record(
            tx,
            crate::notifications::Source::Sla,
            &crate::notifications::NewNotification {
                id: format!("{id}.{}", recipient.simple()),
                recipient,
                kind: told,
                reference,
                actor: "",
                at: happened,
            },
        )
        .await?;
    }
    Ok(())
}

/// Counts one breach in its day's row of `sla_breach_days`.
async fn count_breach_day(
    tx: &mut Tx,
    sla: &ComplaintSla,
    clock: SlaClock,
    due_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_db!(tx, |q| sqlx::query(
        "INSERT INTO sla_breach_days (day, clock, owner_key, owner_name, category, tier,
                priority, breaches)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
         ON CONFLICT (day, clock, owner_key, owner_name, category, tier, priority)
         DO UPDATE SET breaches = sla_breach_days.breaches + 1"
    )
    .bind(due_at.date_naive().to_string())
    .bind(clock.code())
    .bind(
        sla.owner
            .as_ref()
            .map_or(String::new(), |o| o.id.to_string())
    )
    .bind(sla.owner.as_ref().map_or(String::new(), |o| o.name.clone()))
    .bind(&sla.category)
    .bind(sla.tier.code())
    .bind(sla.priority.code())
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The outbox id of an alert about one run of one clock.
pub fn alert_id(reference: &str, clock: SlaClock, cycle: u32, kind: EmailKind) -> String {
    format!("{reference}.sla-{}-{cycle}.{}", clock.code(), kind.code())
}

/// Records met runs on their breach rows, and takes back premature breaches. `breached`:
/// the runs breached before the event (only they have a breach row to mark).
async fn record_outcomes(
    tx: &mut Tx,
    reference: &str,
    outcomes: &[ClockOutcome],
    breached: &[(SlaClock, u32)],
) -> Result<(), StoreError> {
    for outcome in outcomes {
        if outcome.revoked_breach.is_some() {
            revoke_breach(tx, reference, outcome.clock, outcome.cycle).await?;
            continue;
        }
        let Some(met_at) = outcome.met_at else {
            continue;
        };
        if !breached.contains(&(outcome.clock, outcome.cycle)) {
            continue;
        }
        on_db!(tx, |q| sqlx::query(
            "UPDATE sla_breaches SET met_at = $1
              WHERE reference = $2 AND clock = $3 AND cycle = $4"
        )
        .bind(met_at)
        .bind(reference)
        .bind(outcome.clock.code())
        .bind(i64::from(outcome.cycle))
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Takes back a breach recorded too early (see `ClockOutcome::revoked_breach`): its row, its
/// count in its day, and its alert if not yet sent.
async fn revoke_breach(
    tx: &mut Tx,
    reference: &str,
    clock: SlaClock,
    cycle: u32,
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT {BREACH_COLUMNS} FROM sla_breaches
          WHERE reference = $1 AND clock = $2 AND cycle = $3"
    );
    let row: Option<BreachRow> = on_db!(tx, |q| sqlx::query_as(&sql)
        .bind(reference)
        .bind(clock.code())
        .bind(i64::from(cycle))
        .fetch_optional(q)
        .await)?;
    let Some(row) = row else { return Ok(()) };
    on_db!(tx, |q| sqlx::query(
        "DELETE FROM sla_breaches WHERE reference = $1 AND clock = $2 AND cycle = $3"
    )
    .bind(reference)
    .bind(clock.code())
    .bind(i64::from(cycle))
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    on_db!(tx, |q| sqlx::query(
        "UPDATE sla_breach_days SET breaches = breaches - 1
          WHERE day = $1 AND clock = $2 AND owner_key = $3 AND owner_name = $4
            AND category = $5 AND tier = $6 AND priority = $7"
    )
    .bind(row.due_at.date_naive().to_string())
    .bind(clock.code())
    .bind(row.owner_id.map_or(String::new(), |id| id.to_string()))
    .bind(row.owner_name.clone().unwrap_or_default())
    .bind(&row.category)
    .bind(&row.tier)
    .bind(&row.priority)
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    Outbox::cancel_pending_in(
        tx,
        &alert_id(reference, clock, cycle, EmailKind::SlaBreach),
        "The clock was met in time after all (its event was seen late).",
    )
    .await
}
