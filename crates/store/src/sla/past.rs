//! The SLA dashboard as it stood at a past moment: the complaints open then, each replayed
//! from its events up to that moment and judged at it (time travel).

use super::dashboard::{Dashboard, DashboardRow, SlaFilter, StateCounts, Tally};
use super::*;

impl Sla {
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
        let categories = crate::categories::Categories::new(self.db.clone())
            .map()
            .await?;
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
            Option<Uuid>,
        )> = Vec::new();
        for (reference, version) in candidates {
            let Some(stream) = events.get(&reference) else {
                continue;
            };
            let policy = match self.policies.get(version).await? {
                Some(policy) => policy,
                None => Arc::new(SlaPolicy::default()),
            };
            let Some(sla) =
                ComplaintSla::replay(stream, &policy, u32::try_from(version).unwrap_or(0), at)
            else {
                continue;
            };
            let Some(ComplaintChange::ComplaintReceived { summary, .. }) =
                stream.first().map(|e| &e.change)
            else {
                continue;
            };
            if sla.resolved {
                continue;
            }
            let matches = filter
                .owner
                .is_none_or(|o| sla.owner.as_ref().map_or(o.is_nil(), |owner| owner.id == o))
                && filter
                    .category
                    .as_deref()
                    .is_none_or(|c| c == categories.key(&sla.category))
                && filter.tier.as_deref().is_none_or(|t| t == sla.tier.code())
                && filter
                    .priority
                    .as_deref()
                    .is_none_or(|p| p == sla.priority.code())
                && filter
                    .team
                    .is_none_or(|t| sla.team.as_ref().is_some_and(|team| team.id == t));
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
                sla.team.as_ref().map(|t| t.id),
            ));
        }
        // The live dashboard's rules (see `dashboard`), at `at`.
        let mut counts = StateCounts::default();
        // Each team's counts, as the live dashboard's (in the order the database gives).
        let mut by_team: std::collections::BTreeMap<Option<Uuid>, StateCounts> = Default::default();
        let mut breached = Vec::new();
        let mut at_risk = Vec::new();
        let mut due_today = Vec::new();
        for (row, urgent_at, at_risk_from, paused, team) in rows {
            let team_counts = by_team.entry(team).or_default();
            match urgent_at {
                Some(u) if u <= at => {
                    counts.breached += 1;
                    team_counts.breached += 1;
                    breached.push((u, row.clone()));
                }
                Some(u) => {
                    if at_risk_from.is_some_and(|r| r <= at) {
                        counts.at_risk += 1;
                        team_counts.at_risk += 1;
                        at_risk.push((u, row.clone()));
                    } else {
                        counts.on_track += 1;
                        team_counts.on_track += 1;
                    }
                }
                None if paused => {
                    counts.paused += 1;
                    team_counts.paused += 1;
                }
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
        // (A team's breaches in the past are those of the complaints in it now.)
        let recorded: Vec<(
            String,
            Option<Uuid>,
            Option<String>,
            String,
            String,
            String,
            Option<Uuid>,
        )> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
            "SELECT b.clock, b.owner_id, b.owner_name, b.category, b.tier, b.priority, s.team_id
               FROM sla_breaches b LEFT JOIN sla_complaints s ON s.reference = b.reference
              WHERE b.due_at >= $1 AND b.due_at <= $2"
        )
            .bind(since)
            .bind(at)
            .fetch_all(pool)
            .await
        })?;
        let mut tallies: [HashMap<String, i64>; 4] = Default::default();
        for (clock, owner_id, owner_name, category, tier, priority, team) in recorded {
            let matches = filter
                .owner
                .is_none_or(|o| owner_id.map_or(o.is_nil(), |id| id == o))
                && filter
                    .category
                    .as_deref()
                    .is_none_or(|c| c == categories.key(&category))
                && filter.tier.as_ref().is_none_or(|t| *t == tier)
                && filter.priority.as_ref().is_none_or(|p| *p == priority)
                && filter.team.is_none_or(|t| team == Some(t));
            if !matches {
                continue;
            }
            for (tally, key) in tallies.iter_mut().zip([
                clock,
                owner_name.unwrap_or_default(),
                categories.key(&category).to_string(),
                tier,
            ]) {
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
            by_team: by_team
                .into_iter()
                .map(|(team_id, c)| super::dashboard::TeamStates {
                    team_id,
                    breached: c.breached,
                    at_risk: c.at_risk,
                    on_track: c.on_track,
                    paused: c.paused,
                })
                .collect(),
        })
    }
}
