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
    /// One category's code (complaints filed under it or a value mapped to it).
    pub category: Option<String>,
    /// One tier (code).
    pub tier: Option<String>,
    /// One priority (code).
    pub priority: Option<String>,
    /// One team.
    pub team: Option<Uuid>,
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
        // The daily breach counts keep no team: a team's breaches are counted from the
        // breaches themselves (see `Sla::dashboard`).
        if let (Some(team), false) = (self.team, owner_key) {
            sql.push_str(&format!(" AND t.team_id = ${n}"));
            values.push(FilterValue::Uuid(team));
            n += 1;
        }
        if let Some(category) = &self.category {
            let p = format!("${n}");
            sql.push_str(" AND ");
            sql.push_str(&crate::categories::matches_sql("t.category", &p));
            values.push(FilterValue::Text(category.clone()));
            n += 1;
        }
        for (column, value) in [("tier", &self.tier), ("priority", &self.priority)] {
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
    /// Open complaints by team and state (none for a view of the past).
    pub by_team: Vec<TeamStates>,
}

/// One team's open complaints by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TeamStates {
    /// The team; none for complaints from before teams.
    pub team_id: Option<Uuid>,
    /// Breached now.
    pub breached: i64,
    /// At risk now.
    pub at_risk: i64,
    /// On track.
    pub on_track: i64,
    /// Every clock paused.
    pub paused: i64,
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
        let by_team_sql = format!(
            "SELECT t.team_id,
                    CAST(SUM(CASE WHEN urgent_at <= $1 THEN 1 ELSE 0 END) AS BIGINT) AS breached,
                    CAST(SUM(CASE WHEN urgent_at > $1 AND at_risk_from <= $1
                                  THEN 1 ELSE 0 END) AS BIGINT) AS at_risk,
                    CAST(SUM(CASE WHEN urgent_at > $1
                                   AND (at_risk_from IS NULL OR at_risk_from > $1)
                                  THEN 1 ELSE 0 END) AS BIGINT) AS on_track,
                    CAST(SUM(CASE WHEN urgent_at IS NULL AND paused THEN 1 ELSE 0 END)
                         AS BIGINT) AS paused
               FROM sla_complaints t WHERE open{clauses}
              GROUP BY t.team_id"
        );
        let mut by_team: Vec<TeamStates> = on_pool!(&self.db, |pool| bind_filters!(
            sqlx::query_as(&by_team_sql).bind(now),
            &values
        )
        .fetch_all(pool)
        .await)?;
        // One order on both databases (and in the view of the past): no team first.
        by_team.sort_by_key(|t| t.team_id);
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
            // A team's breaches from the breaches themselves (the days' counts keep no team).
            let sql = if filter.team.is_some() {
                let (clauses, _) = filter.clauses(2);
                format!(
                    "SELECT COALESCE(b.{column}, ''), CAST(COUNT(*) AS BIGINT) FROM sla_breaches b
                       JOIN sla_complaints t ON t.reference = b.reference
                      WHERE b.due_at >= $1 {clauses}
                      GROUP BY b.{column} ORDER BY 2 DESC, 1 LIMIT 20"
                )
            } else {
                format!(
                    "SELECT t.{column}, CAST(SUM(t.breaches) AS BIGINT) FROM sla_breach_days t
                      WHERE t.day >= $1 {day_clauses}
                      GROUP BY t.{column} HAVING SUM(t.breaches) > 0
                      ORDER BY 2 DESC, 1 LIMIT 20"
                )
            };
            let rows: Vec<(String, i64)> = if filter.team.is_some() {
                let (_, values) = filter.clauses(2);
                on_pool!(&self.db, |pool| bind_filters!(
                    sqlx::query_as(&sql).bind(since),
                    &values
                )
                .fetch_all(pool)
                .await)?
            } else {
                on_pool!(&self.db, |pool| bind_filters!(
                    sqlx::query_as(&sql).bind(&since_day),
                    &day_values
                )
                .fetch_all(pool)
                .await)?
            };
            tallies.push(
                rows.into_iter()
                    .map(|(key, count)| Tally { key, count })
                    .collect::<Vec<_>>(),
            );
        }
        // Breaches by category count each managed category once, whatever its complaints
        // recorded (see crate::categories).
        if let Some(by_category) = tallies.get_mut(2) {
            let map = crate::categories::Categories::new(self.db.clone())
                .map()
                .await?;
            *by_category = fold_categories(std::mem::take(by_category), &map);
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
            by_team,
        })
    }
}

/// Tallies by recorded category, added up by the category each counts under, largest first.
pub(crate) fn fold_categories(
    tallies: Vec<Tally>,
    map: &crate::categories::CategoryMap,
) -> Vec<Tally> {
    let mut folded: Vec<Tally> = Vec::new();
    for tally in tallies {
        let key = map.key(&tally.key).to_string();
        match folded.iter_mut().find(|t| t.key == key) {
            Some(found) => found.count += tally.count,
            None => folded.push(Tally {
                key,
                count: tally.count,
            }),
        }
    }
    folded.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    folded
}
