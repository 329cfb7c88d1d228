//! The report queries: each adds up daily rows of the `reports` projector over a range.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use redress_domain::{Basis, Histogram, SlaClock};

use super::DAY_COLUMNS;
use crate::db::Database;
use crate::{StoreError, on_pool};

/// What a report can be broken down by: the dimensions of the projection, and company.
pub const BREAKDOWNS: [&str; 7] = [
    "all", "owner", "category", "channel", "priority", "tier", "company",
];

/// The breakdown called `code`, as the static name the queries use.
pub fn breakdown(code: &str) -> Option<&'static str> {
    BREAKDOWNS.iter().copied().find(|b| *b == code)
}

/// A date range, both ends included, in the reporting calendar's days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

impl Range {
    fn bounds(&self) -> (String, String) {
        (
            self.from.format("%Y-%m-%d").to_string(),
            self.to.format("%Y-%m-%d").to_string(),
        )
    }

    /// The range as instants: from the start of its first day to the end of its last, in
    /// `zone`.
    pub fn instants(&self, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |date: NaiveDate| {
            zone.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        };
        (start(self.from), start(self.to + Duration::days(1)))
    }
}

/// How days are grouped into periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Per day.
    Day,
    /// Per week, from Monday.
    Week,
    /// Per calendar month.
    Month,
}

impl Grouping {
    /// Every grouping.
    pub const ALL: [Grouping; 3] = [Grouping::Day, Grouping::Week, Grouping::Month];

    /// Its code, as in URLs.
    pub fn code(self) -> &'static str {
        match self {
            Grouping::Day => "day",
            Grouping::Week => "week",
            Grouping::Month => "month",
        }
    }

    /// The grouping called `code`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The first day of the period holding `day`.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Grouping::Day => day,
            Grouping::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Grouping::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// The first day of the period after the one starting `start`.
    fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Grouping::Day => start + Duration::days(1),
            Grouping::Week => start + Duration::days(7),
            Grouping::Month => {
                let (y, m) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(start + Duration::days(31))
            }
        }
    }

    /// The starts of every period that overlaps `range`.
    pub fn periods(self, range: Range) -> Vec<NaiveDate> {
        let mut starts = Vec::new();
        let mut at = self.start(range.from);
        while at <= range.to && starts.len() < 5_000 {
            starts.push(at);
            at = self.next(at);
        }
        starts
    }
}

/// What a report shows and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// The days.
    pub range: Range,
    /// Periods of the series.
    pub grouping: Grouping,
    /// The breakdown (`all`: none); one of [`BREAKDOWNS`].
    pub by: &'static str,
    /// Only this value of the breakdown (the series and totals follow it).
    pub only: Option<String>,
    /// Working time or elapsed time, for durations.
    pub basis: Basis,
}

fn parse_day(day: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// Met runs of a clock, added up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Speed {
    /// Runs met.
    pub runs: i64,
    /// Of which had a target.
    pub tracked: i64,
    /// Of which were met within it.
    pub within: i64,
    /// Their durations.
    pub histogram: Histogram,
}

impl Speed {
    /// The median, in minutes.
    pub fn p50(&self) -> Option<u64> {
        self.histogram.percentile(50.0)
    }

    /// The 90th percentile, in minutes.
    pub fn p90(&self) -> Option<u64> {
        self.histogram.percentile(90.0)
    }

    /// The 95th percentile, in minutes.
    pub fn p95(&self) -> Option<u64> {
        self.histogram.percentile(95.0)
    }

    /// The share met within target, in percent of those with one.
    pub fn within_percent(&self) -> Option<f64> {
        (self.tracked > 0).then(|| self.within as f64 * 100.0 / self.tracked as f64)
    }

    fn add(&mut self, runs: i64, tracked: i64, within: i64, histogram: &Histogram) {
        self.runs += runs;
        self.tracked += tracked;
        self.within += within;
        self.histogram.merge(histogram);
    }
}

/// One clock's response speed over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockSpeed {
    /// The clock.
    pub clock: SlaClock,
    /// The whole range.
    pub total: Speed,
    /// Per period (every period of the range, empty ones included).
    pub periods: Vec<(NaiveDate, Speed)>,
    /// Per value of the breakdown, most runs first (empty without one).
    pub breakdown: Vec<(String, Speed)>,
}

/// Counts of one stretch of days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Volume {
    /// Complaints received.
    pub received: i64,
    /// Of which from a customer who had complained before.
    pub repeat_received: i64,
    /// Closed.
    pub closed: i64,
    /// Closed within 3 business days of receipt.
    pub closed_3d: i64,
    /// Closed after that, within 8 weeks.
    pub closed_8w: i64,
    /// Closed later.
    pub closed_later: i64,
    /// Reopened.
    pub reopened: i64,
    /// Decided.
    pub resolved: i64,
    /// Upheld.
    pub upheld: i64,
    /// Partly upheld.
    pub partly_upheld: i64,
    /// Not upheld.
    pub not_upheld: i64,
    /// Redress paid, in minor units.
    pub redress_cents: i64,
    /// Open complaints gained (negative: lost).
    pub backlog_delta: i64,
    /// Of the complaints received on the day, how many are open now.
    pub open_received: i64,
    /// Satisfaction answers.
    pub sat_n: i64,
    /// Their scores added up.
    pub sat_sum: i64,
    /// Answers per score, 1 to 5.
    pub sat: [i64; 5],
    /// Points of complaint decided (complaints recorded since points exist).
    pub points: i64,
    /// Of which upheld.
    pub points_upheld: i64,
    /// Partly upheld.
    pub points_partly_upheld: i64,
    /// Not upheld.
    pub points_not_upheld: i64,
}

impl Volume {
    fn from_row(v: &[i64]) -> Self {
        Self {
            received: v[0],
            repeat_received: v[1],
            closed: v[2],
            closed_3d: v[3],
            closed_8w: v[4],
            closed_later: v[5],
            reopened: v[6],
            resolved: v[7],
            upheld: v[8],
            partly_upheld: v[9],
            not_upheld: v[10],
            redress_cents: v[11],
            backlog_delta: v[12],
            open_received: v[13],
            sat_n: v[14],
            sat_sum: v[15],
            sat: [v[16], v[17], v[18], v[19], v[20]],
            points: v[21],
            points_upheld: v[22],
            points_partly_upheld: v[23],
            points_not_upheld: v[24],
        }
    }

    /// The mean satisfaction score.
    pub fn satisfaction(&self) -> Option<f64> {
        (self.sat_n > 0).then(|| self.sat_sum as f64 / self.sat_n as f64)
    }

    /// Upheld in full or in part (what the FCA return counts as upheld).
    pub fn upheld_any(&self) -> i64 {
        self.upheld + self.partly_upheld
    }
}

impl AddAssign for Volume {
    fn add_assign(&mut self, o: Self) {
        self.received += o.received;
        self.repeat_received += o.repeat_received;
        self.closed += o.closed;
        self.closed_3d += o.closed_3d;
        self.closed_8w += o.closed_8w;
        self.closed_later += o.closed_later;
        self.reopened += o.reopened;
        self.resolved += o.resolved;
        self.upheld += o.upheld;
        self.partly_upheld += o.partly_upheld;
        self.not_upheld += o.not_upheld;
        self.redress_cents += o.redress_cents;
        self.backlog_delta += o.backlog_delta;
        self.open_received += o.open_received;
        self.sat_n += o.sat_n;
        self.sat_sum += o.sat_sum;
        for (a, b) in self.sat.iter_mut().zip(o.sat) {
            *a += b;
        }
        self.points += o.points;
        self.points_upheld += o.points_upheld;
        self.points_partly_upheld += o.points_partly_upheld;
        self.points_not_upheld += o.points_not_upheld;
    }
}

/// Volumes over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeReport {
    /// Open complaints when the range began.
    pub backlog_start: i64,
    /// The whole range.
    pub total: Volume,
    /// Per period, with the open complaints at its end.
    pub periods: Vec<(NaiveDate, Volume, i64)>,
    /// Per value of the breakdown, with its open complaints at the range's end; most
    /// received first (empty without a breakdown).
    pub breakdown: Vec<(String, Volume, i64)>,
}

impl VolumeReport {
    /// Open complaints when the range ended.
    pub fn backlog_end(&self) -> i64 {
        self.backlog_start + self.total.backlog_delta
    }
}

/// The age limits of the backlog's buckets, in days (the last bucket is older than all).
pub const AGE_BUCKETS: [i64; 5] = [3, 7, 14, 28, 56];

/// Open complaints by age, for one value of the breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeRow {
    /// The value (empty for the whole).
    pub value: String,
    /// Counts: up to 3 days old, 4-7, 8-14, 15-28, 29-56, older.
    pub buckets: [i64; 6],
}

/// One satisfaction answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The complaint.
    pub reference: String,
    /// When.
    pub answered_at: DateTime<Utc>,
    /// 1 to 5.
    pub score: i64,
    /// The owner then.
    pub owner: String,
    /// The category then.
    pub category: String,
    /// "What would you change?"
    pub would_change: Option<String>,
    /// Their comment.
    pub comment: Option<String>,
}

/// A customer with more than one complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatCustomer {
    /// Their id.
    pub customer: String,
    /// Their name, from their latest complaint (none once erased).
    pub name: Option<String>,
    /// Complaints, all time.
    pub complaints: i64,
    /// The first.
    pub first_at: DateTime<Utc>,
    /// The latest.
    pub last_at: DateTime<Utc>,
    /// The latest's reference.
    pub last_reference: String,
    /// Their company.
    pub company: Option<String>,
}

/// A breach whose cause was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CausedBreach {
    /// The complaint.
    pub reference: String,
    /// The clock.
    pub clock: String,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
    /// Its owner then.
    pub owner: Option<String>,
    /// The cause.
    pub cause: String,
}

/// Breaches over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachReport {
    /// Per clock (the clocks' order), breaches whose due time fell in the range.
    pub by_clock: Vec<(SlaClock, i64)>,
    /// Causes recorded, the most frequent first, with how often.
    pub causes: Vec<(String, i64)>,
    /// The latest breaches with a recorded cause.
    pub caused: Vec<CausedBreach>,
}

impl BreachReport {
    /// Breaches in all.
    pub fn total(&self) -> i64 {
        self.by_clock.iter().map(|(_, n)| n).sum()
    }

    /// Breaches with a cause recorded.
    pub fn with_cause(&self) -> i64 {
        self.causes.iter().map(|(_, n)| n).sum()
    }
}

/// The report queries.
#[derive(Clone)]
pub struct Reports {
    db: Database,
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
                    .entry(value.clone())
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
                " AND value = $4"
            } else {
                ""
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
            let mut values: BTreeMap<String, Volume> = self
                .totals_by_value(filter.range, filter.by)
                .await?
                .into_iter()
                .collect();
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
                " AND value = $4"
            } else {
                ""
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
                " AND value = $3"
            } else {
                ""
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
        Ok(rows
            .into_iter()
            .map(|(value, n)| (value, n.unwrap_or(0)))
            .collect())
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
                " AND value = $2"
            } else {
                ""
            }
        );
        let rows: Vec<(String, String, i64)> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql).bind(dim);
            if let Some(value) = only {
                query = query.bind(value);
            }
            query.fetch_all(pool).await
        })?;
        let mut by_value: BTreeMap<String, [i64; 6]> = BTreeMap::new();
        for (day, value, open) in rows {
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
