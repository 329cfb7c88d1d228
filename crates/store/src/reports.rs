//! The managers' reports as a read model. The `reports` projector keeps, per local day and
//! per one dimension (owner, team, category, channel, priority, tier; and company for volumes):
//! - `report_speed`: every met run of an SLA clock, as counts and mergeable histograms of its
//!   working and elapsed duration (see [`redress_domain::histogram`]);
//! - `report_days`: received, closed (and the FCA return's split of closures), reopened,
//!   outcomes, redress paid, backlog movements and satisfaction scores;
//! - `report_feedback`: every satisfaction answer with the customer's words;
//! - `report_customers`: complaints per customer;
//! - `report_complaints`: its own state per complaint (and what the backlog ages read).
//!
//! A report over any range adds up daily rows: a year is at most 365 rows per clock and
//! dimension value, whatever the number of complaints. The projector works a batch of events
//! at a time: it loads the batch's complaints in one query, adds up in memory, and writes each
//! aggregate row once per batch.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redress_domain::{
    Channel, ComplaintChange, ComplaintSla, CustomerId, Histogram, Outcome, RunMeasure, SlaClock,
    SlaPolicy, Target, Unit,
};
use serde::{Deserialize, Serialize};

use crate::db::placeholders;
use crate::db::{Backend, Tx};
use crate::event_log::StoredEvent;
use crate::projection::Projector;
use crate::sla::SlaPolicies;
use crate::vault::KeyRing;
use crate::{StoreError, on_db};

pub use figures::*;
pub use loyalty::{
    ACKNOWLEDGE_BANDS, LoyaltyBand, LoyaltyCell, LoyaltyTally, RESOLVE_BANDS, band_of,
    loyalty_bands,
};
pub(crate) use loyalty::{acknowledged_secs, latest_scores};
pub use projector::ReportsProjector;
pub use query::*;
pub use range::*;
pub use tags::TagFigures;

mod figures;
mod keys;
mod loyalty;
mod projector;
mod query;
mod range;
mod tags;
mod write;

/// The dimensions a report can be broken down by (`all` is the whole).
pub const DIMENSIONS: [&str; 7] = [
    "all", "owner", "team", "category", "channel", "priority", "tier",
];

/// The projector's state of one complaint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tracked {
    sla: ComplaintSla,
    customer: CustomerId,
    received_at: DateTime<Utc>,
    channel: Channel,
    company: Option<String>,
    open: bool,
    /// The latest closure.
    #[serde(default)]
    closed_at: Option<DateTime<Utc>>,
    /// The FCA's "within 3 business days" and "within 8 weeks" moments for this complaint.
    fca_3_days: Option<DateTime<Utc>>,
    fca_8_weeks: Option<DateTime<Utc>>,
    /// The dimensions it was counted as received under, and whether as a repeat (so a merge
    /// as a duplicate takes it out of exactly those counts).
    #[serde(default)]
    received_as: Vec<(String, String)>,
    #[serde(default)]
    repeat: bool,
    /// The customer's latest score of the handling, 1 to 5.
    #[serde(default)]
    score: Option<i64>,
}

impl Tracked {
    fn owner(&self) -> String {
        self.sla
            .owner
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default()
    }

    /// The complaint's value of every dimension, `all` first.
    fn dims(&self) -> [(&'static str, String); 7] {
        [
            ("all", String::new()),
            ("owner", self.owner()),
            (
                "team",
                self.sla
                    .team
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
            ),
            ("category", self.sla.category.clone()),
            ("channel", self.channel.code().to_string()),
            ("priority", self.sla.priority.code().to_string()),
            ("tier", self.sla.tier.code().to_string()),
        ]
    }
}

/// The static name of a dimension (or `company`) stored as text.
fn dimension(name: &str) -> Option<&'static str> {
    DIMENSIONS
        .iter()
        .chain(std::iter::once(&"company"))
        .find(|d| **d == name)
        .copied()
}

/// The local date of `at` in the policy's calendar, as stored (`YYYY-MM-DD`).
fn day_of(policy: &SlaPolicy, at: DateTime<Utc>) -> String {
    at.with_timezone(&policy.calendar.time_zone)
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// The FCA's "within 3 business days" and "within 8 weeks" of receipt.
fn fca_targets() -> (Target, Target) {
    (
        Target::business(3, Unit::Days),
        Target::calendar(8, Unit::Weeks),
    )
}

/// One day × dimension value's counters (added to what is stored).
#[derive(Debug, Clone, Default)]
struct DayCell {
    received: i64,
    repeat_received: i64,
    closed: i64,
    closed_3d: i64,
    closed_8w: i64,
    closed_later: i64,
    reopened: i64,
    resolved: i64,
    upheld: i64,
    partly_upheld: i64,
    not_upheld: i64,
    redress_cents: i64,
    backlog_delta: i64,
    open_received: i64,
    sat_n: i64,
    sat_sum: i64,
    sat: [i64; 5],
    /// Points of complaint decided, and how.
    points: i64,
    points_upheld: i64,
    points_partly_upheld: i64,
    points_not_upheld: i64,
}

impl DayCell {
    fn values(&self) -> [i64; 25] {
        [
            self.received,
            self.repeat_received,
            self.closed,
            self.closed_3d,
            self.closed_8w,
            self.closed_later,
            self.reopened,
            self.resolved,
            self.upheld,
            self.partly_upheld,
            self.not_upheld,
            self.redress_cents,
            self.backlog_delta,
            self.open_received,
            self.sat_n,
            self.sat_sum,
            self.sat[0],
            self.sat[1],
            self.sat[2],
            self.sat[3],
            self.sat[4],
            self.points,
            self.points_upheld,
            self.points_partly_upheld,
            self.points_not_upheld,
        ]
    }
}

const DAY_COLUMNS: [&str; 25] = [
    "received",
    "repeat_received",
    "closed",
    "closed_3d",
    "closed_8w",
    "closed_later",
    "reopened",
    "resolved",
    "upheld",
    "partly_upheld",
    "not_upheld",
    "redress_cents",
    "backlog_delta",
    "open_received",
    "sat_n",
    "sat_sum",
    "sat_1",
    "sat_2",
    "sat_3",
    "sat_4",
    "sat_5",
    "points",
    "points_upheld",
    "points_partly_upheld",
    "points_not_upheld",
];

/// One day × clock × dimension value's met runs.
#[derive(Debug, Clone, Default)]
struct SpeedCell {
    runs: i64,
    tracked: i64,
    within: i64,
    business: Histogram,
    calendar: Histogram,
}

impl SpeedCell {
    fn add(&mut self, run: &RunMeasure) {
        self.runs += 1;
        // A promise's date is its target: kept or not.
        if run.target.is_some() || run.clock.is_promise() {
            self.tracked += 1;
            if !run.breached {
                self.within += 1;
            }
        }
        self.business.record_seconds(run.business_secs);
        self.calendar.record_seconds(run.calendar_secs);
    }

    fn merge(&mut self, other: &SpeedCell) {
        self.runs += other.runs;
        self.tracked += other.tracked;
        self.within += other.within;
        self.business.merge(&other.business);
        self.calendar.merge(&other.calendar);
    }
}

type SpeedKey = (String, &'static str, &'static str, String);

/// A customer's complaints received in one batch.
#[derive(Debug, Clone)]
struct CustomerCell {
    complaints: i64,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
    last_reference: String,
    company: Option<String>,
}

struct FeedbackRow {
    reference: String,
    sequence: i64,
    at: DateTime<Utc>,
    day: String,
    score: i64,
    owner: String,
    category: String,
    tier: String,
    would_change: Option<String>,
    comment: Option<String>,
}

/// The customer's words, lowercased by Unicode rules (SQLite's LOWER knows only ASCII), for
/// a search that behaves the same on both databases.
fn search_text(would_change: &Option<String>, comment: &Option<String>) -> Option<String> {
    let words: Vec<&str> = [would_change, comment]
        .into_iter()
        .filter_map(|w| w.as_deref())
        .collect();
    (!words.is_empty()).then(|| words.join("\n").to_lowercase())
}

/// What a batch adds up before it writes.
#[derive(Default)]
struct Batch {
    states: HashMap<String, Tracked>,
    changed: HashSet<String>,
    days: HashMap<(String, &'static str, String), DayCell>,
    speed: HashMap<SpeedKey, SpeedCell>,
    customers: HashMap<CustomerId, CustomerCell>,
    known_customers: HashMap<CustomerId, i64>,
    feedback: Vec<FeedbackRow>,
    erased: Vec<String>,
    /// The policy versions by when they took effect, read once per batch.
    versions: Vec<(DateTime<Utc>, i64)>,
}

impl Batch {
    fn day(&mut self, day: &str, dim: &'static str, value: &str) -> &mut DayCell {
        self.days
            .entry((day.to_string(), dim, value.to_string()))
            .or_default()
    }

    /// Applies `f` to the day's cell of every dimension of the complaint.
    fn each_dim(&mut self, day: &str, dims: &[(&'static str, String)], f: impl Fn(&mut DayCell)) {
        for (dim, value) in dims {
            f(self.day(day, dim, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_policy_in_effect_is_the_newest_saved_by_then_else_the_oldest() {
        use crate::sla::version_in_effect as in_effect;
        let versions = vec![
            (at("2026-01-01T00:00:00Z"), 1),
            (at("2026-03-01T00:00:00Z"), 2),
            (at("2026-03-01T00:00:00Z"), 3),
        ];
        assert_eq!(in_effect(&versions, at("2026-02-01T00:00:00Z")), 1);
        assert_eq!(in_effect(&versions, at("2026-03-01T00:00:00Z")), 3);
        assert_eq!(in_effect(&versions, at("2025-06-01T00:00:00Z")), 1);
        assert_eq!(in_effect(&[], at("2026-02-01T00:00:00Z")), 0);
    }

    #[test]
    fn the_fca_targets_are_three_business_days_and_eight_weeks() {
        let (three, eight) = fca_targets();
        assert_eq!(Some(three), Target::parse("3 business days").ok());
        assert_eq!(Some(eight), Target::parse("8 weeks").ok());
    }
}
