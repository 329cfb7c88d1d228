//! What a report answers: speeds (from mergeable histograms), volumes, backlog ages,
//! feedback, repeat customers and breaches with their causes.

use std::ops::AddAssign;

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::{Histogram, SlaClock};

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

    pub(super) fn add(&mut self, runs: i64, tracked: i64, within: i64, histogram: &Histogram) {
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
    pub(super) fn from_row(v: &[i64]) -> Self {
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
