//! The SLA dashboard's queries: counts by state, the most urgent lists, breaches by dimension, now or at a past moment.

use super::*;

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

pub(super) const BREACH_COLUMNS: &str = "reference, clock, cycle, due_at, met_at, policy_version, tier, \
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

impl Sla {
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
}
