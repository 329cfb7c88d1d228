//! The report queries: each adds up daily rows of the `reports` projector over a range.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use redress_domain::{Basis, Histogram, SlaClock};

use super::DAY_COLUMNS;
use super::figures::*;
use super::keys::{Keys, only_sql};
use super::range::*;
use crate::db::Database;
use crate::{StoreError, on_pool};

/// The report queries.
#[derive(Clone)]
pub struct Reports {
    pub(super) db: Database,
}

impl Reports {
    /// Queries over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Response speed of every clock over the filter's range, in its basis.
    /// Speed is not kept per company: for that breakdown the figures are those of all
    /// complaints.
    pub async fn speed(&self, filter: &ReportFilter) -> Result<Vec<ClockSpeed>, StoreError> {
        let per_value = filter.by != "all" && filter.by != "company";
        let (series_dim, only) = match &filter.only {
            Some(value) if per_value => (filter.by, Some(value.as_str())),
            _ => ("all", None),
        };
        let by = per_value.then_some(filter.by);
        let series = self.speed_rows(filter, series_dim, only).await?;
        let split = match by {
            Some(dim) => Some(self.speed_rows(filter, dim, None).await?),
            None => None,
        };
        let keys = self.keys(filter.by).await?;
        let starts = filter.grouping.periods(filter.range);
        let mut out = Vec::new();
        for clock in SlaClock::ALL {
            let mut total = Speed::default();
            let mut periods: BTreeMap<NaiveDate, Speed> =
                starts.iter().map(|s| (*s, Speed::default())).collect();
            for row in series.iter().filter(|r| r.1 == clock.code()) {
                let (day, _, _, runs, tracked, within, hist) = row;
                let hist = Histogram::decode(hist)
                    .ok_or_else(|| StoreError::Corrupt(format!("histogram of {day}")))?;
                total.add(*runs, *tracked, *within, &hist);
                if let Some(date) = parse_day(day) {
                    periods
                        .entry(filter.grouping.start(date))
                        .or_default()
                        .add(*runs, *tracked, *within, &hist);
                }
            }
            let mut breakdown: BTreeMap<String, Speed> = BTreeMap::new();
            for row in split.iter().flatten().filter(|r| r.1 == clock.code()) {
                let (day, _, value, runs, tracked, within, hist) = row;
                let hist = Histogram::decode(hist)
                    .ok_or_else(|| StoreError::Corrupt(format!("histogram of {day}")))?;
                breakdown
                    .entry(keys.of(value).to_string())
                    .or_default()
                    .add(*runs, *tracked, *within, &hist);
            }
            let mut breakdown: Vec<(String, Speed)> = breakdown.into_iter().collect();
            breakdown.sort_by(|a, b| b.1.runs.cmp(&a.1.runs).then(a.0.cmp(&b.0)));
            out.push(ClockSpeed {
                clock,
                total,
                periods: periods.into_iter().collect(),
                breakdown,
            });
        }
        Ok(out)
    }

    /// What a breakdown by `dim` groups values under: for categories, the managed category
    /// each counts under (crate::categories); any other value is itself.
    pub(super) async fn keys(&self, dim: &str) -> Result<Keys, StoreError> {
        Ok(Keys(if dim == "category" {
            Some(
                crate::categories::Categories::new(self.db.clone())
                    .map()
                    .await?,
            )
        } else {
            None
        }))
    }

    async fn speed_rows(
        &self,
        filter: &ReportFilter,
        dim: &str,
        only: Option<&str>,
    ) -> Result<Vec<(String, String, String, i64, i64, i64, String)>, StoreError> {
        let column = match filter.basis {
            Basis::Business => "business",
            Basis::Calendar => "calendar",
        };
        let (from, to) = filter.range.bounds();
        let sql = format!(
            "SELECT day, clock, value, runs, tracked, met_within, {column} FROM report_speed
              WHERE dim = $1 AND day >= $2 AND day <= $3{}",
            if only.is_some() {
                only_sql(dim, "$4")
            } else {
                String::new()
            }
        );
        Ok(on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql).bind(dim).bind(&from).bind(&to);
            if let Some(value) = only {
                query = query.bind(value);
            }
            query.fetch_all(pool).await
        })?)
    }

    /// Volumes, outcomes, closures and satisfaction over the filter's range.
    pub async fn volume(&self, filter: &ReportFilter) -> Result<VolumeReport, StoreError> {
        let series_dim = if filter.only.is_some() {
            filter.by
        } else {
            "all"
        };
        let only = filter.only.as_deref();
        let series = self.day_rows(filter.range, series_dim, only).await?;
        let backlog_start: i64 = self
            .backlog_before(filter.range.from, series_dim, only)
            .await?
            .values()
            .sum();
        let mut periods: BTreeMap<NaiveDate, Volume> = filter
            .grouping
            .periods(filter.range)
            .into_iter()
            .map(|s| (s, Volume::default()))
            .collect();
        let mut total = Volume::default();
        for (day, _, volume) in &series {
            total += *volume;
            if let Some(date) = parse_day(day) {
                *periods.entry(filter.grouping.start(date)).or_default() += *volume;
            }
        }
        let mut open = backlog_start;
        let periods = periods
            .into_iter()
            .map(|(start, volume)| {
                open += volume.backlog_delta;
                (start, volume, open)
            })
            .collect();
        let mut breakdown = Vec::new();
        if filter.by != "all" {
            let before = self
                .backlog_before(filter.range.from, filter.by, None)
                .await?;
            let keys = self.keys(filter.by).await?;
            let mut values: BTreeMap<String, Volume> = BTreeMap::new();
            for (value, volume) in self.totals_by_value(filter.range, filter.by).await? {
                *values.entry(keys.of(&value).to_string()).or_default() += volume;
            }
            for (value, start) in &before {
                if *start != 0 {
                    values.entry(value.clone()).or_default();
                }
            }
            breakdown = values
                .into_iter()
                .map(|(value, volume)| {
                    let open = before.get(&value).copied().unwrap_or(0) + volume.backlog_delta;
                    (value, volume, open)
                })
                .filter(|(_, v, open)| *v != Volume::default() || *open != 0)
                .collect();
            breakdown.sort_by(|a, b| b.1.received.cmp(&a.1.received).then(a.0.cmp(&b.0)));
        }
        Ok(VolumeReport {
            backlog_start,
            total,
            periods,
            breakdown,
        })
    }

    async fn day_rows(
        &self,
        range: Range,
        dim: &str,
        only: Option<&str>,
    ) -> Result<Vec<(String, String, Volume)>, StoreError> {
        let (from, to) = range.bounds();
        let sql = format!(
            "SELECT day, value, {} FROM report_days
              WHERE dim = $1 AND day >= $2 AND day <= $3{}",
            DAY_COLUMNS.join(", "),
            if only.is_some() {
                only_sql(dim, "$4")
            } else {
                String::new()
            }
        );
        let rows = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query(&sql).bind(dim).bind(&from).bind(&to);
            if let Some(value) = only {
                query = query.bind(value);
            }
            query.fetch_all(pool).await.map(|rows| {
                rows.iter()
                    .map(|row| {
                        use sqlx::Row;
                        let day: String = row.try_get(0)?;
                        let value: String = row.try_get(1)?;
                        let mut counts = [0i64; DAY_COLUMNS.len()];
                        for (i, c) in counts.iter_mut().enumerate() {
                            *c = row.try_get(i + 2)?;
                        }
                        Ok((day, value, Volume::from_row(&counts)))
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
            })
        })??;
        Ok(rows)
    }

    /// Each value of `dim` with its counts added up over `range` (in the database).
    async fn totals_by_value(
        &self,
        range: Range,
        dim: &str,
    ) -> Result<Vec<(String, Volume)>, StoreError> {
        let (from, to) = range.bounds();
        let sums: Vec<String> = DAY_COLUMNS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
            .collect();
        let sql = format!(
            "SELECT value, {} FROM report_days
              WHERE dim = $1 AND day >= $2 AND day <= $3 GROUP BY value",
            sums.join(", ")
        );
        let rows = on_pool!(&self.db, |pool| {
            sqlx::query(&sql)
                .bind(dim)
                .bind(&from)
                .bind(&to)
                .fetch_all(pool)
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|row| {
                            use sqlx::Row;
                            let value: String = row.try_get(0)?;
                            let mut counts = [0i64; DAY_COLUMNS.len()];
                            for (i, c) in counts.iter_mut().enumerate() {
                                *c = row.try_get::<Option<i64>, _>(i + 1)?.unwrap_or(0);
                            }
                            Ok((value, Volume::from_row(&counts)))
                        })
                        .collect::<Result<Vec<_>, sqlx::Error>>()
                })
        })??;
        Ok(rows)
    }

    /// Open complaints per value of `dim` before `day`.
    async fn backlog_before(
        &self,
        day: NaiveDate,
        dim: &str,
        only: Option<&str>,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let sql = format!(
            "SELECT value, CAST(SUM(backlog_delta) AS BIGINT) FROM report_days
              WHERE dim = $1 AND day < $2{} GROUP BY value",
            if only.is_some() {
                only_sql(dim, "$3")
            } else {
                String::new()
            }
        );
        let day = day.format("%Y-%m-%d").to_string();
        let rows: Vec<(String, Option<i64>)> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql).bind(dim).bind(&day);
            if let Some(value) = only {
                query = query.bind(value);
            }
            query.fetch_all(pool).await
        })?;
        let keys = self.keys(dim).await?;
        let mut backlog: BTreeMap<String, i64> = BTreeMap::new();
        for (value, n) in rows {
            *backlog.entry(keys.of(&value).to_string()).or_default() += n.unwrap_or(0);
        }
        Ok(backlog)
    }

    /// Open complaints by age on `today` (calendar days since the day each was received),
    /// per value of `by` (one row, value empty, for `all`).
    pub async fn ages(
        &self,
        today: NaiveDate,
        by: &str,
        only: Option<&str>,
    ) -> Result<Vec<AgeRow>, StoreError> {
        let dim = breakdown(by).unwrap_or("all");
        let sql = format!(
            "SELECT day, value, open_received FROM report_days
              WHERE dim = $1 AND open_received <> 0{}",
            if only.is_some() {
                only_sql(dim, "$2")
            } else {
                String::new()
            }
        );
        let rows: Vec<(String, String, i64)> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql).bind(dim);
            if let Some(value) = only {
                query = query.bind(value);
            }
            query.fetch_all(pool).await
        })?;
        let keys = self.keys(dim).await?;
        let mut by_value: BTreeMap<String, [i64; 6]> = BTreeMap::new();
        for (day, value, open) in rows {
            let value = keys.of(&value).to_string();
            let Some(day) = parse_day(&day) else { continue };
            let age = (today - day).num_days();
            let bucket = AGE_BUCKETS
                .iter()
                .position(|limit| age <= *limit)
                .unwrap_or(AGE_BUCKETS.len());
            by_value.entry(value).or_default()[bucket] += open;
        }
        let mut rows: Vec<AgeRow> = by_value
            .into_iter()
            .map(|(value, buckets)| AgeRow { value, buckets })
            .filter(|row| row.buckets.iter().any(|n| *n != 0))
            .collect();
        rows.sort_by(|a, b| {
            let total = |r: &AgeRow| r.buckets.iter().sum::<i64>();
            total(b).cmp(&total(a)).then(a.value.cmp(&b.value))
        });
        Ok(rows)
    }

    /// Satisfaction answers with words in the range, newest first, whose words contain
    /// `search` (any case); at most `limit`, and how many there are in all.
    pub async fn feedback(
        &self,
        range: Range,
        search: &str,
        limit: i64,
    ) -> Result<(Vec<Feedback>, i64), StoreError> {
        let (from, to) = range.bounds();
        let pattern = format!(
            "%{}%",
            search
                .trim()
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let filter = "day >= $1 AND day <= $2 AND search_text LIKE $3 ESCAPE '\\'";
        let sql = format!(
            "SELECT reference, answered_at, score, owner, category, would_change, comment
               FROM report_feedback WHERE {filter}
              ORDER BY answered_at DESC, reference LIMIT $4"
        );
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let rows: Vec<(
            String,
            DateTime<Utc>,
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
        )> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(&from)
            .bind(&to)
            .bind(&pattern)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        let count_sql = format!("SELECT COUNT(*) FROM report_feedback WHERE {filter}");
        let total: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(&count_sql)
            .bind(&from)
            .bind(&to)
            .bind(&pattern)
            .fetch_one(pool)
            .await)?;
        Ok((
            rows.into_iter()
                .map(
                    |(reference, answered_at, score, owner, category, would_change, comment)| {
                        Feedback {
                            reference,
                            answered_at,
                            score,
                            owner,
                            category,
                            would_change,
                            comment,
                        }
                    },
                )
                .collect(),
            total,
        ))
    }

    /// Customers with more than one complaint whose latest came in `[since, until)`, the most
    /// complaints first.
    pub async fn repeat_customers(
        &self,
        (since, until): (DateTime<Utc>, DateTime<Utc>),
        limit: i64,
    ) -> Result<Vec<RepeatCustomer>, StoreError> {
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let rows: Vec<(
            String,
            i64,
            DateTime<Utc>,
            DateTime<Utc>,
            String,
            Option<String>,
            Option<String>,
        )> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
            "SELECT c.customer, c.complaints, c.first_at, c.last_at, c.last_reference, c.company,
                    l.customer_name
               FROM report_customers c
               LEFT JOIN complaint_list l ON l.reference = c.last_reference
              WHERE c.complaints > 1 AND c.last_at >= $1 AND c.last_at < $2
              ORDER BY c.complaints DESC, c.last_at DESC
              LIMIT $3"
        )
        .bind(since)
        .bind(until)
        .bind(limit)
        .fetch_all(pool)
        .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(customer, complaints, first_at, last_at, last_reference, company, name)| {
                    RepeatCustomer {
                        customer,
                        name,
                        complaints,
                        first_at,
                        last_at,
                        last_reference,
                        company,
                    }
                },
            )
            .collect())
    }

    /// Breaches per clock with due times in `[start, end)` (rows per clock, to be summed).
    /// The whole UTC days inside the range are read from the per-day counts of
    /// `sla_breach_days` (the SLA projector keeps them with every breach it records or takes
    /// back); only the part-days at either end, where the report's local days and UTC days
    /// differ, are counted breach by breach. A year's report reads a few thousand rows, not
    /// every breach of the year (millions at a million complaints).
    async fn breaches_by_clock(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let first_whole = if midnight(start.date_naive()) == start {
            start.date_naive()
        } else {
            start.date_naive() + Duration::days(1)
        };
        let end_whole = end.date_naive();
        if first_whole >= end_whole {
            return Ok(on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT clock, COUNT(*) FROM sla_breaches
                  WHERE due_at >= $1 AND due_at < $2 GROUP BY clock"
            )
            .bind(start)
            .bind(end)
            .fetch_all(pool)
            .await)?);
        }
        let mut counts: Vec<(String, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT clock, CAST(SUM(breaches) AS BIGINT) FROM sla_breach_days
              WHERE day >= $1 AND day < $2 GROUP BY clock"
        )
        .bind(first_whole.to_string())
        .bind(end_whole.to_string())
        .fetch_all(pool)
        .await)?;
        let edges: Vec<(String, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT clock, COUNT(*) FROM sla_breaches
              WHERE (due_at >= $1 AND due_at < $2) OR (due_at >= $3 AND due_at < $4)
              GROUP BY clock"
        )
        .bind(start)
        .bind(midnight(first_whole))
        .bind(midnight(end_whole))
        .bind(end)
        .fetch_all(pool)
        .await)?;
        counts.extend(edges);
        Ok(counts)
    }

    /// Breaches whose due time fell in `[from, to)` per clock, and the causes recorded.
    pub async fn breaches(
        &self,
        range: Range,
        zone: Tz,
        limit: i64,
    ) -> Result<BreachReport, StoreError> {
        let (start, end) = range.instants(zone);
        let counts = self.breaches_by_clock(start, end).await?;
        let by_clock = SlaClock::ALL
            .into_iter()
            .map(|clock| {
                let n = counts
                    .iter()
                    .filter(|(c, _)| c == clock.code())
                    .map(|(_, n)| *n)
                    .sum();
                (clock, n)
            })
            .collect();
        let (start, end) = range.instants(zone);
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let rows: Vec<(String, String, DateTime<Utc>, Option<String>, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT reference, clock, due_at, owner_name, cause FROM sla_breaches
                  WHERE cause IS NOT NULL AND due_at >= $1 AND due_at < $2
                  ORDER BY due_at DESC, reference"
            )
            .bind(start)
            .bind(end)
            .fetch_all(pool)
            .await)?;
        let mut causes: BTreeMap<String, (String, i64)> = BTreeMap::new();
        for (_, _, _, _, cause) in &rows {
            let key = cause.trim().to_lowercase();
            let entry = causes
                .entry(key)
                .or_insert_with(|| (cause.trim().to_string(), 0));
            entry.1 += 1;
        }
        let mut causes: Vec<(String, i64)> = causes.into_values().collect();
        causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let caused = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|(reference, clock, due_at, owner, cause)| CausedBreach {
                reference,
                clock,
                due_at,
                owner,
                cause,
            })
            .collect();
        Ok(BreachReport {
            by_clock,
            causes,
            caused,
        })
    }
}
