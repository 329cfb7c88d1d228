//! The breaches the SLA projector and its scheduler record: each run of a clock missed, its
//! count in its day, its alert to staff, its cause, and a breach taken back when its clock
//! turns out to have been met in time.

use super::*;

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

pub(super) struct NewBreach {
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

    pub(super) fn met(&mut self, reference: &str, clock: SlaClock, cycle: u32, at: DateTime<Utc>) {
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
    pub(super) async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
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
pub(super) fn typed_values(rows: usize) -> String {
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

pub(super) async fn record_cause(
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
        // The owner; with none, the team's managers (the team's address); else the managers.
        let recipient = sla
            .owner
            .as_ref()
            .map(|o| o.id)
            .or(sla.team.as_ref().map(|t| t.id))
            .unwrap_or(Uuid::nil());
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
pub(super) async fn count_breach_day(
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
pub(super) async fn record_outcomes(
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
pub(super) async fn revoke_breach(
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
