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
use redress_domain::{
    Actor, Clock, ClockStatus, ComplaintChange, ComplaintSla, SlaClock, SlaPolicy,
};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

use crate::db::{Database, Tx, values};
use crate::event_log::StoredEvent;
use crate::notifications::NotificationKind;
use crate::outbox::{EmailKind, Outbox};
use crate::projection::{EventSignal, Projector, lock_checkpoint};
use crate::vault::KeyRing;
use crate::{StoreError, on_db, on_pool};

/// One saved version of the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyVersion {
    /// Its number, from 1.
    pub version: i64,
    /// The policy.
    pub policy: Arc<SlaPolicy>,
    /// What changed, in the editor's words.
    pub note: String,
    /// When it took effect.
    pub created_at: DateTime<Utc>,
    /// Who saved it.
    pub created_by: String,
}

/// The versions of the team's SLA policy. Versions are never changed once saved, so they
/// are cached.
#[derive(Clone)]
pub struct SlaPolicies {
    db: Database,
    cache: Arc<RwLock<HashMap<i64, Arc<SlaPolicy>>>>,
    clock: Arc<dyn Clock>,
}

impl SlaPolicies {
    /// The policies in `db`; a saved version takes effect at `clock`'s time.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            cache: Arc::default(),
            clock,
        }
    }

    /// Saves version 1, the default policy, in effect since the beginning of time, unless a
    /// version exists.
    pub async fn ensure_initial(&self) -> Result<(), StoreError> {
        let json = serde_json::to_string(&SlaPolicy::default())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO sla_policy_versions (version, definition, note, created_at, created_by)
             VALUES (1, $1, 'The default policy Redress starts with.', $2, 'Redress')
             ON CONFLICT (version) DO NOTHING"
        )
        .bind(&json)
        .bind(DateTime::<Utc>::UNIX_EPOCH)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    fn parse(json: &str, version: i64) -> Result<Arc<SlaPolicy>, StoreError> {
        serde_json::from_str(json)
            .map(Arc::new)
            .map_err(|e| StoreError::Corrupt(format!("SLA policy version {version}: {e}")))
    }

    /// Every version, newest first.
    pub async fn versions(&self) -> Result<Vec<PolicyVersion>, StoreError> {
        let rows: Vec<(i64, String, String, DateTime<Utc>, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT version, definition, note, created_at, created_by
                   FROM sla_policy_versions ORDER BY version DESC"
            )
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(|(version, json, note, created_at, created_by)| {
                Ok(PolicyVersion {
                    version,
                    policy: Self::parse(&json, version)?,
                    note,
                    created_at,
                    created_by,
                })
            })
            .collect()
    }

    /// The version in effect now (the newest; [`SlaPolicies::ensure_initial`] runs at start).
    pub async fn current(&self) -> Result<PolicyVersion, StoreError> {
        let row: Option<(i64, String, String, DateTime<Utc>, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT version, definition, note, created_at, created_by
                   FROM sla_policy_versions ORDER BY version DESC LIMIT 1"
            )
            .fetch_optional(pool)
            .await)?;
        let Some(row) = row else {
            return Ok(PolicyVersion {
                version: 0,
                policy: Arc::new(SlaPolicy::default()),
                note: String::new(),
                created_at: DateTime::<Utc>::UNIX_EPOCH,
                created_by: "Redress".into(),
            });
        };
        Ok(PolicyVersion {
            version: row.0,
            policy: Self::parse(&row.1, row.0)?,
            note: row.2,
            created_at: row.3,
            created_by: row.4,
        })
    }

    /// Saves a new version, in effect from `now` (or just after the last version, should the
    /// clock be behind it). Returns its number.
    pub async fn save(&self, policy: &SlaPolicy, note: &str, by: &str) -> Result<i64, StoreError> {
        policy
            .validate()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        let json = serde_json::to_string(policy).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let note: String = note.trim().chars().take(500).collect();
        // Under the SLA projector's lock, and stamped once it is held: every complaint the
        // projector has placed so far arrived before the stamp (and keeps the version before),
        // every later one after it, live and on a rebuild alike.
        let mut tx = self.db.begin().await?;
        lock_checkpoint(&mut tx, SlaProjector::NAME).await?;
        let now = self.clock.now();
        let last: Option<(i64, DateTime<Utc>)> = on_db!(&mut tx, |q| sqlx::query_as(
            "SELECT version, created_at FROM sla_policy_versions ORDER BY version DESC LIMIT 1"
        )
        .fetch_optional(q)
        .await)?;
        let (version, at) = match last {
            Some((v, at)) => (v + 1, now.max(at + Duration::milliseconds(1))),
            None => (1, now),
        };
        on_db!(&mut tx, |q| sqlx::query(
            "INSERT INTO sla_policy_versions (version, definition, note, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(version)
        .bind(&json)
        .bind(&note)
        .bind(at)
        .bind(by)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(version)
    }

    /// One version's policy.
    pub async fn get(&self, version: i64) -> Result<Option<Arc<SlaPolicy>>, StoreError> {
        if let Some(policy) = self.cached(version) {
            return Ok(Some(policy));
        }
        let json: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT definition FROM sla_policy_versions WHERE version = $1"
        )
        .bind(version)
        .fetch_optional(pool)
        .await)?;
        json.map(|json| self.remember(version, &json)).transpose()
    }

    fn cached(&self, version: i64) -> Option<Arc<SlaPolicy>> {
        self.cache
            .read()
            .ok()
            .and_then(|cache| cache.get(&version).cloned())
    }

    fn remember(&self, version: i64, json: &str) -> Result<Arc<SlaPolicy>, StoreError> {
        let policy = Self::parse(json, version)?;
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(version, policy.clone());
        }
        Ok(policy)
    }

    /// In a projector's transaction: the version in effect at `at` (the newest saved at or
    /// before it; the oldest, for events older than every version), and its policy.
    pub(crate) async fn in_effect(
        &self,
        tx: &mut Tx,
        at: DateTime<Utc>,
    ) -> Result<(i64, Arc<SlaPolicy>), StoreError> {
        let mut row: Option<(i64, String)> = on_db!(tx, |q| sqlx::query_as(
            "SELECT version, definition FROM sla_policy_versions
              WHERE created_at <= $1 ORDER BY created_at DESC, version DESC LIMIT 1"
        )
        .bind(at)
        .fetch_optional(q)
        .await)?;
        if row.is_none() {
            row = on_db!(tx, |q| sqlx::query_as(
                "SELECT version, definition FROM sla_policy_versions ORDER BY version LIMIT 1"
            )
            .fetch_optional(q)
            .await)?;
        }
        match row {
            Some((version, json)) => Ok((
                version,
                self.cached(version)
                    .map_or_else(|| self.remember(version, &json), Ok)?,
            )),
            None => Ok((0, Arc::new(SlaPolicy::default()))),
        }
    }

    /// In a transaction: one version's policy (the default for version 0).
    pub(crate) async fn of_version(
        &self,
        tx: &mut Tx,
        version: i64,
    ) -> Result<Arc<SlaPolicy>, StoreError> {
        if let Some(policy) = self.cached(version) {
            return Ok(policy);
        }
        let json: Option<String> = on_db!(tx, |q| sqlx::query_scalar(
            "SELECT definition FROM sla_policy_versions WHERE version = $1"
        )
        .bind(version)
        .fetch_optional(q)
        .await)?;
        match json {
            Some(json) => self.remember(version, &json),
            None => Ok(Arc::new(SlaPolicy::default())),
        }
    }
}

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
struct Breaches {
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

async fn load(tx: &mut Tx, reference: &str) -> Result<Option<ComplaintSla>, StoreError> {
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

async fn save(
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
async fn record(
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
    on_db!(tx, |q| sqlx::query(
        "UPDATE outbox SET state = 'cancelled',
                last_error = 'The clock was met in time after all (its event was seen late).'
          WHERE id = $1 AND state = 'pending'"
    )
    .bind(alert_id(reference, clock, cycle, EmailKind::SlaBreach))
    .execute(q)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// One breach, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct BreachRow {
    /// The complaint.
    pub reference: String,
    /// The clock's code.
    pub clock: String,
    /// The run.
    pub cycle: i64,
    /// When it fell due (the moment of the breach).
    pub due_at: DateTime<Utc>,
    /// When it was met after all.
    pub met_at: Option<DateTime<Utc>>,
    /// The policy version.
    pub policy_version: i64,
    /// Tier code.
    pub tier: String,
    /// Priority code.
    pub priority: String,
    /// Category.
    pub category: String,
    /// The owner then.
    pub owner_id: Option<Uuid>,
    /// Their name.
    pub owner_name: Option<String>,
    /// The cause, once recorded.
    pub cause: Option<String>,
    /// Who recorded it.
    pub cause_by: Option<String>,
    /// When.
    pub cause_at: Option<DateTime<Utc>>,
}

const BREACH_COLUMNS: &str = "reference, clock, cycle, due_at, met_at, policy_version, tier, \
    priority, category, owner_id, owner_name, cause, cause_by, cause_at";

/// What the dashboard narrows to (all optional; they go in its URL).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SlaFilter {
    /// One owner (nil: unassigned).
    pub owner: Option<Uuid>,
    /// One category.
    pub category: Option<String>,
    /// One tier (code).
    pub tier: Option<String>,
    /// One priority (code).
    pub priority: Option<String>,
}

impl SlaFilter {
    /// `AND ...` clauses over table alias `t`, with parameters numbered from `first`, and the
    /// values to bind in order.
    fn clauses(&self, first: usize) -> (String, Vec<FilterValue>) {
        self.clauses_on(first, false)
    }

    /// The same, over `sla_breach_days` (whose owner is a text key).
    fn day_clauses(&self, first: usize) -> (String, Vec<FilterValue>) {
        self.clauses_on(first, true)
    }

    fn clauses_on(&self, first: usize, owner_key: bool) -> (String, Vec<FilterValue>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        let mut n = first;
        if let Some(owner) = self.owner {
            match (owner.is_nil(), owner_key) {
                (true, false) => sql.push_str(" AND t.owner_id IS NULL"),
                (true, true) => sql.push_str(" AND t.owner_key = ''"),
                (false, false) => {
                    sql.push_str(&format!(" AND t.owner_id = ${n}"));
                    values.push(FilterValue::Uuid(owner));
                    n += 1;
                }
                (false, true) => {
                    sql.push_str(&format!(" AND t.owner_key = ${n}"));
                    values.push(FilterValue::Text(owner.to_string()));
                    n += 1;
                }
            }
        }
        for (column, value) in [
            ("category", &self.category),
            ("tier", &self.tier),
            ("priority", &self.priority),
        ] {
            if let Some(value) = value {
                sql.push_str(&format!(" AND t.{column} = ${n}"));
                values.push(FilterValue::Text(value.clone()));
                n += 1;
            }
        }
        (sql, values)
    }
}

#[derive(Debug, Clone)]
enum FilterValue {
    Uuid(Uuid),
    Text(String),
}

macro_rules! bind_filters {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match value {
                FilterValue::Uuid(v) => query.bind(*v),
                FilterValue::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}

/// Open complaints by SLA state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StateCounts {
    /// Past a due time.
    pub breached: i64,
    /// Less than the at-risk share left.
    pub at_risk: i64,
    /// Plenty of time.
    pub on_track: i64,
    /// Every clock paused (waiting on the customer).
    pub paused: i64,
}

/// One open complaint on a dashboard list.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DashboardRow {
    /// The complaint.
    pub reference: String,
    /// Its summary.
    pub summary: Option<String>,
    /// Priority code.
    pub priority: String,
    /// Tier code.
    pub tier: String,
    /// Category.
    pub category: String,
    /// The owner.
    pub owner_name: Option<String>,
    /// The next due time of a running clock.
    pub next_due_at: Option<DateTime<Utc>>,
    /// That clock's code.
    pub next_due_clock: Option<String>,
    /// The clock of the oldest open breach, else of the next due time.
    pub urgent_clock: Option<String>,
    /// The oldest breach not made good.
    pub breached_since: Option<DateTime<Utc>>,
}

/// A count per value of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// The value (a code or a name; empty for none).
    pub key: String,
    /// How many.
    pub count: i64,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dashboard {
    /// Open complaints by state.
    pub counts: StateCounts,
    /// Breached, the longest overdue first.
    pub breached: Vec<DashboardRow>,
    /// At risk, the least time left first.
    pub at_risk: Vec<DashboardRow>,
    /// Falling due in the day asked for, soonest first.
    pub due_today: Vec<DashboardRow>,
    /// Breaches due since the period's first day (UTC), by clock.
    pub by_clock: Vec<Tally>,
    /// ... by owner.
    pub by_owner: Vec<Tally>,
    /// ... by category.
    pub by_category: Vec<Tally>,
    /// ... by tier.
    pub by_tier: Vec<Tally>,
    /// The breached now, by owner (most first; none for a view of the past).
    pub breached_by_owner: Vec<OwnerCount>,
    /// The at risk now, by owner (most first; none for a view of the past).
    pub at_risk_by_owner: Vec<OwnerCount>,
}

/// One owner's open complaints by state, as the dashboard's count reads them: the owner's
/// id and name, then breached, at risk, on track and paused.
type OwnerStates = (Option<uuid::Uuid>, Option<String>, i64, i64, i64, i64);

/// How many complaints one owner (or nobody) holds in a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerCount {
    /// Their id; none for complaints nobody owns.
    pub owner_id: Option<uuid::Uuid>,
    /// Their name.
    pub owner_name: Option<String>,
    /// How many.
    pub count: i64,
}

/// Queries over the SLA read model, and its scheduler.
#[derive(Clone)]
pub struct Sla {
    db: Database,
    /// The policy versions.
    pub policies: SlaPolicies,
    clock: Arc<dyn Clock>,
}

/// What one scheduler tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Complaints looked at.
    pub complaints: usize,
    /// Whether the projector was behind, so the tick waited for it.
    pub behind: bool,
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

    /// The dashboard at `now`: counts and lists of open complaints matching `filter`, the
    /// complaints due in `[day_start, day_end)`, and breaches since `since`.
    pub async fn dashboard(
        &self,
        filter: &SlaFilter,
        now: DateTime<Utc>,
        day: (DateTime<Utc>, DateTime<Utc>),
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Dashboard, StoreError> {
        let (clauses, values) = filter.clauses(2);
        // urgent_at is breached_since, else next_due_at; a breach is always in the past, so
        // "urgent_at <= now" is exactly "breached now".
        // One pass over the open complaints counts each state per owner: the totals are
        // their sums, and the owners' groups of the breached and at risk come with them.
        let counts_sql = format!(
            "SELECT t.owner_id, MAX(t.owner_name),
                    CAST(SUM(CASE WHEN urgent_at <= $1 THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN urgent_at > $1 AND at_risk_from <= $1
                                  THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN urgent_at > $1
                                   AND (at_risk_from IS NULL OR at_risk_from > $1)
                                  THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN urgent_at IS NULL AND paused THEN 1 ELSE 0 END) AS BIGINT)
               FROM sla_complaints t WHERE open{clauses}
              GROUP BY t.owner_id"
        );
        let per_owner: Vec<OwnerStates> = on_pool!(&self.db, |pool| bind_filters!(
            sqlx::query_as(&counts_sql).bind(now),
            &values
        )
        .fetch_all(pool)
        .await)?;
        let mut counts = StateCounts::default();
        for (_, _, breached, at_risk, on_track, paused) in &per_owner {
            counts.breached += breached;
            counts.at_risk += at_risk;
            counts.on_track += on_track;
            counts.paused += paused;
        }
        let owners_with = |count: &dyn Fn(&OwnerStates) -> i64| {
            let mut owners: Vec<OwnerCount> = per_owner
                .iter()
                .filter(|row| count(row) > 0)
                .map(|row| OwnerCount {
                    owner_id: row.0,
                    owner_name: row.1.clone(),
                    count: count(row),
                })
                .collect();
            owners.sort_by(|a, b| b.count.cmp(&a.count).then(a.owner_name.cmp(&b.owner_name)));
            owners.truncate(20);
            owners
        };
        let breached_by_owner = owners_with(&|row| row.2);
        let at_risk_by_owner = owners_with(&|row| row.3);
        let select = "SELECT t.reference, c.summary, t.priority, t.tier, t.category, t.owner_name,
                             t.next_due_at, t.next_due_clock, t.urgent_clock, t.breached_since
                        FROM sla_complaints t
                        LEFT JOIN complaint_list c ON c.reference = t.reference";
        let n = values.len() + 2;
        let breached_sql = format!(
            "{select} WHERE t.urgent_at <= $1 AND t.open {clauses}
              ORDER BY t.urgent_at, t.reference LIMIT ${n}"
        );
        let at_risk_sql = format!(
            "{select} WHERE t.urgent_at > $1 AND t.at_risk_from <= $1 AND t.open {clauses}
              ORDER BY t.urgent_at, t.reference LIMIT ${n}"
        );
        let mut lists = Vec::new();
        for sql in [&breached_sql, &at_risk_sql] {
            let rows: Vec<DashboardRow> = on_pool!(&self.db, |pool| bind_filters!(
                sqlx::query_as(sql).bind(now),
                &values
            )
            .bind(limit)
            .fetch_all(pool)
            .await)?;
            lists.push(rows);
        }
        let (clauses3, values3) = filter.clauses(3);
        let n3 = values3.len() + 3;
        let due_sql = format!(
            "{select} WHERE t.next_due_at >= $1 AND t.next_due_at < $2 {clauses3}
              ORDER BY t.next_due_at, t.reference LIMIT ${n3}"
        );
        let due_today: Vec<DashboardRow> = on_pool!(&self.db, |pool| bind_filters!(
            sqlx::query_as(&due_sql).bind(day.0).bind(day.1),
            &values3
        )
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        let (day_clauses, day_values) = filter.day_clauses(2);
        let since_day = since.date_naive().to_string();
        let mut tallies = Vec::new();
        for column in ["clock", "owner_name", "category", "tier"] {
            let sql = format!(
                "SELECT t.{column}, CAST(SUM(t.breaches) AS BIGINT) FROM sla_breach_days t
                  WHERE t.day >= $1 {day_clauses}
                  GROUP BY t.{column} HAVING SUM(t.breaches) > 0
                  ORDER BY 2 DESC, 1 LIMIT 20"
            );
            let rows: Vec<(String, i64)> = on_pool!(&self.db, |pool| bind_filters!(
                sqlx::query_as(&sql).bind(&since_day),
                &day_values
            )
            .fetch_all(pool)
            .await)?;
            tallies.push(
                rows.into_iter()
                    .map(|(key, count)| Tally { key, count })
                    .collect::<Vec<_>>(),
            );
        }
        let mut lists = lists.into_iter();
        let mut tallies = tallies.into_iter();
        Ok(Dashboard {
            counts,
            breached: lists.next().unwrap_or_default(),
            at_risk: lists.next().unwrap_or_default(),
            due_today,
            by_clock: tallies.next().unwrap_or_default(),
            by_owner: tallies.next().unwrap_or_default(),
            by_category: tallies.next().unwrap_or_default(),
            by_tier: tallies.next().unwrap_or_default(),
            breached_by_owner,
            at_risk_by_owner,
        })
    }

    /// Most complaints a view of the past reconstructs.
    pub const PAST_LIMIT: usize = 20_000;

    /// The dashboard as it stood at the past moment `at`: the complaints open then (received
    /// before it, and open now or closed after it), each replayed from its events up to `at`
    /// and judged at `at`, as the live dashboard judges at now; breaches tallied from those
    /// recorded with due times in `[since, at]`. Errors when more than
    /// [`Sla::PAST_LIMIT`] complaints were open then.
    pub async fn dashboard_at(
        &self,
        complaints: &crate::Complaints,
        filter: &SlaFilter,
        at: DateTime<Utc>,
        day: (DateTime<Utc>, DateTime<Utc>),
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Dashboard, StoreError> {
        let candidates: Vec<(String, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT r.reference, s.policy_version FROM report_complaints r
               JOIN sla_complaints s ON s.reference = r.reference
              WHERE r.received_at <= $1 AND (r.open OR r.closed_at > $1)
              ORDER BY r.reference"
        )
        .bind(at)
        .fetch_all(pool)
        .await)?;
        if candidates.len() > Self::PAST_LIMIT {
            return Err(StoreError::Config(format!(
                "{} complaints may have been open then; a view of the past reconstructs at most {}. Choose a later moment.",
                candidates.len(),
                Self::PAST_LIMIT
            )));
        }
        let references: Vec<String> = candidates.iter().map(|(r, _)| r.clone()).collect();
        let events = complaints.events_of_many(&references).await?;
        // Each open complaint, with its urgent moment, at-risk moment and whether it waits.
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let mut rows: Vec<(
            DashboardRow,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            bool,
        )> = Vec::new();
        for (reference, version) in candidates {
            let Some(stream) = events.get(&reference) else {
                continue;
            };
            let policy = match self.policies.get(version).await? {
                Some(policy) => policy,
                None => Arc::new(SlaPolicy::default()),
            };
            let Some((first, rest)) = stream.split_first() else {
                continue;
            };
            let ComplaintChange::ComplaintReceived {
                tier,
                priority,
                category,
                summary,
                ..
            } = &first.change
            else {
                continue;
            };
            let mut sla = ComplaintSla::received(
                u32::try_from(version).unwrap_or(0),
                &policy,
                *tier,
                *priority,
                category.clone(),
                first.occurred_at,
            );
            for event in rest.iter().take_while(|e| e.occurred_at <= at) {
                sla.advance(event.occurred_at);
                sla.apply(&policy, event);
            }
            sla.advance(at);
            if sla.resolved {
                continue;
            }
            let matches = filter
                .owner
                .is_none_or(|o| sla.owner.as_ref().map_or(o.is_nil(), |owner| owner.id == o))
                && filter.category.as_ref().is_none_or(|c| *c == sla.category)
                && filter.tier.as_deref().is_none_or(|t| t == sla.tier.code())
                && filter
                    .priority
                    .as_deref()
                    .is_none_or(|p| p == sla.priority.code());
            if !matches {
                continue;
            }
            let urgent = sla.oldest_breach().or(sla.next_due());
            let next_due = sla.next_due();
            rows.push((
                DashboardRow {
                    reference,
                    summary: Some(summary.clone()),
                    priority: sla.priority.code().to_string(),
                    tier: sla.tier.code().to_string(),
                    category: sla.category.clone(),
                    owner_name: sla.owner.as_ref().map(|o| o.name.clone()),
                    next_due_at: next_due.map(|(_, due)| due),
                    next_due_clock: next_due.map(|(clock, _)| clock.code().to_string()),
                    urgent_clock: urgent.map(|(clock, _)| clock.code().to_string()),
                    breached_since: sla.breached_since(),
                },
                urgent.map(|(_, when)| when),
                sla.at_risk_from(),
                sla.is_paused(),
            ));
        }
        // The live dashboard's rules (see `dashboard`), at `at`.
        let mut counts = StateCounts::default();
        let mut breached = Vec::new();
        let mut at_risk = Vec::new();
        let mut due_today = Vec::new();
        for (row, urgent_at, at_risk_from, paused) in rows {
            match urgent_at {
                Some(u) if u <= at => {
                    counts.breached += 1;
                    breached.push((u, row.clone()));
                }
                Some(u) => {
                    if at_risk_from.is_some_and(|r| r <= at) {
                        counts.at_risk += 1;
                        at_risk.push((u, row.clone()));
                    } else {
                        counts.on_track += 1;
                    }
                }
                None if paused => counts.paused += 1,
                None => {}
            }
            if let Some(due) = row.next_due_at
                && due >= day.0
                && due < day.1
            {
                due_today.push((due, row));
            }
        }
        let limit = usize::try_from(limit).unwrap_or(0);
        let order = |mut list: Vec<(DateTime<Utc>, DashboardRow)>| {
            list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.reference.cmp(&b.1.reference)));
            list.into_iter()
                .take(limit)
                .map(|(_, r)| r)
                .collect::<Vec<_>>()
        };
        // Breaches recorded with due times from the start of `since`'s UTC day (as the live
        // dashboard counts its daily rows) to `at`, with the filter applied.
        let since = since
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map_or(since, |midnight| midnight.and_utc());
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let recorded: Vec<(String, Option<Uuid>, Option<String>, String, String, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT clock, owner_id, owner_name, category, tier, priority FROM sla_breaches
                  WHERE due_at >= $1 AND due_at <= $2"
            )
            .bind(since)
            .bind(at)
            .fetch_all(pool)
            .await)?;
        let mut tallies: [HashMap<String, i64>; 4] = Default::default();
        for (clock, owner_id, owner_name, category, tier, priority) in recorded {
            let matches = filter
                .owner
                .is_none_or(|o| owner_id.map_or(o.is_nil(), |id| id == o))
                && filter.category.as_ref().is_none_or(|c| *c == category)
                && filter.tier.as_ref().is_none_or(|t| *t == tier)
                && filter.priority.as_ref().is_none_or(|p| *p == priority);
            if !matches {
                continue;
            }
            for (tally, key) in
                tallies
                    .iter_mut()
                    .zip([clock, owner_name.unwrap_or_default(), category, tier])
            {
                *tally.entry(key).or_default() += 1;
            }
        }
        let [by_clock, by_owner, by_category, by_tier] = tallies.map(|tally| {
            let mut list: Vec<Tally> = tally
                .into_iter()
                .map(|(key, count)| Tally { key, count })
                .collect();
            list.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            list.truncate(20);
            list
        });
        Ok(Dashboard {
            counts,
            breached: order(breached),
            at_risk: order(at_risk),
            due_today: order(due_today),
            by_clock,
            by_owner,
            by_category,
            by_tier,
            // The queue these groups link to shows the present only.
            breached_by_owner: Vec::new(),
            at_risk_by_owner: Vec::new(),
        })
    }

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
            let behind: bool = match &mut tx {
                Tx::Sqlite(t) => {
                    sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM events WHERE global_position > $1)",
                    )
                    .bind(checkpoint.position)
                    .fetch_one(&mut **t)
                    .await?
                }
                Tx::Postgres(t) => {
                    sqlx::query_scalar(
                        // Not EXISTS: PostgreSQL drops a LIMIT inside EXISTS and then scans the
                        // whole table when nothing is there; a LIMIT in FROM walks the index.
                        "SELECT COUNT(*) > 0 FROM (SELECT 1 FROM events
                      WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
                      ORDER BY events.transaction_id, events.global_position LIMIT 1) AS next",
                    )
                    .bind(checkpoint.transaction_id.to_string())
                    .bind(checkpoint.position)
                    .fetch_one(&mut **t)
                    .await?
                }
            };
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

/// A clock as the complaint page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockView {
    /// Code.
    pub clock: &'static str,
    /// Label.
    pub label: &'static str,
    /// Its rule.
    pub rule: &'static str,
    /// The run.
    pub cycle: u32,
    /// The target, in words.
    pub target: Option<String>,
    /// State code.
    pub status: &'static str,
    /// State label.
    pub status_label: &'static str,
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it falls due (while running).
    pub due_at: Option<DateTime<Utc>>,
    /// When it was met.
    pub met_at: Option<DateTime<Utc>>,
    /// When it was breached.
    pub breached_at: Option<DateTime<Utc>>,
    /// Time paused in this run, in words.
    pub paused: Option<String>,
    /// Time left (or overdue), in words.
    pub left: Option<String>,
}

impl ClockView {
    /// Every clock of a complaint at `now`.
    pub fn all(sla: &ComplaintSla, policy: &SlaPolicy, now: DateTime<Utc>) -> Vec<ClockView> {
        sla.clocks
            .iter()
            .map(|state| {
                let status = state.status(now);
                let paused = state.paused_secs
                    + state
                        .paused_since
                        .filter(|_| state.is_open())
                        .map_or(0, |since| (now - since).num_seconds().max(0));
                ClockView {
                    clock: state.clock.code(),
                    label: state.clock.label(),
                    rule: state.clock.rule(),
                    cycle: state.cycle,
                    target: state.target.map(|t| t.to_string()),
                    status: status.code(),
                    status_label: status.label(),
                    started_at: state.started_at,
                    due_at: state.due_at,
                    met_at: state.met_at,
                    breached_at: state.breached_at,
                    paused: (paused > 0).then(|| words(paused)),
                    left: match status {
                        ClockStatus::OnTrack | ClockStatus::AtRisk | ClockStatus::Paused => state
                            .left_secs(policy, now)
                            .map(|s| match state.target.map(|t| t.basis) {
                                Some(redress_domain::Basis::Business) => {
                                    format!("{} left", business_words(policy, now, s))
                                }
                                _ => format!("{} left", words(s.max(0))),
                            }),
                        ClockStatus::Breached => state
                            .breached_at
                            .or(state.due_at)
                            .map(|due| format!("{} overdue", words((now - due).num_seconds()))),
                        _ => None,
                    },
                }
            })
            .collect()
    }
}

/// Working time from `now` in the policy calendar's working days and hours: "3 business days
/// 4 h", "1 business day", "2 h 30 min of working time" (never 24-hour days).
pub fn business_words(policy: &SlaPolicy, now: DateTime<Utc>, seconds: i64) -> String {
    let (days, rest) = policy
        .calendar
        .in_working_days(now, Duration::seconds(seconds.max(0)));
    if days == 0 {
        return format!("{} of working time", words(rest.num_seconds()));
    }
    let plural = if days == 1 { "" } else { "s" };
    let hours = rest.num_hours();
    if hours == 0 {
        format!("{days} business day{plural}")
    } else {
        format!("{days} business day{plural} {hours} h")
    }
}

/// A duration in words: "2 d 3 h", "45 min".
pub fn words(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}
