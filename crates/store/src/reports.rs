//! The managers' reports as a read model. The `reports` projector keeps, per local day and
//! per one dimension (owner, category, channel, priority, tier; and company for volumes):
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

pub use query::*;

mod query;

/// The dimensions a report can be broken down by (`all` is the whole).
pub const DIMENSIONS: [&str; 6] = ["all", "owner", "category", "channel", "priority", "tier"];

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
    fn dims(&self) -> [(&'static str, String); 6] {
        [
            ("all", String::new()),
            ("owner", self.owner()),
            ("category", self.sla.category.clone()),
            ("channel", self.channel.code().to_string()),
            ("priority", self.sla.priority.code().to_string()),
            ("tier", self.sla.tier.code().to_string()),
        ]
    }
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

/// The projector of the managers' reports.
pub struct ReportsProjector {
    policies: SlaPolicies,
}

impl ReportsProjector {
    /// Its name.
    pub const NAME: &'static str = "reports";

    /// The projector, with the policies its clocks follow.
    pub fn new(policies: SlaPolicies) -> Self {
        Self { policies }
    }

    async fn apply_one(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        batch: &mut Batch,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        let reference = stored.reference.as_str();
        let event = &stored.event;
        let at = event.occurred_at;
        if let ComplaintChange::ComplaintReceived {
            customer,
            company,
            tier,
            channel,
            category,
            priority,
            ..
        } = &event.change
        {
            if batch.states.contains_key(reference) {
                return Ok(()); // already counted (never happens: one receipt per stream)
            }
            let version = crate::sla::version_in_effect(&batch.versions, at);
            let policy = self.policies.of_version(tx, version).await?;
            let sla = ComplaintSla::received(
                u32::try_from(version).unwrap_or(0),
                &policy,
                *tier,
                *priority,
                category.clone(),
                at,
            );
            let (three_days, eight_weeks) = fca_targets();
            let tracked = Tracked {
                sla,
                customer: customer.id,
                received_at: at,
                channel: *channel,
                company: company.clone(),
                open: true,
                closed_at: None,
                fca_3_days: three_days.due(at, &policy.calendar),
                fca_8_weeks: eight_weeks.due(at, &policy.calendar),
            };
            let day = day_of(&policy, at);
            let before = batch
                .known_customers
                .get(&customer.id)
                .copied()
                .unwrap_or(0)
                + batch
                    .customers
                    .get(&customer.id)
                    .map_or(0, |c| c.complaints);
            let repeat = i64::from(before > 0);
            let mut dims = tracked.dims().to_vec();
            if let Some(company) = company {
                dims.push(("company", company.clone()));
            }
            batch.each_dim(&day, &dims, |c| {
                c.received += 1;
                c.repeat_received += repeat;
                c.backlog_delta += 1;
                c.open_received += 1;
            });
            let cell = batch
                .customers
                .entry(customer.id)
                .or_insert_with(|| CustomerCell {
                    complaints: 0,
                    first_at: at,
                    last_at: at,
                    last_reference: reference.to_string(),
                    company: None,
                });
            cell.complaints += 1;
            if at >= cell.last_at {
                cell.last_at = at;
                cell.last_reference = reference.to_string();
            }
            cell.first_at = cell.first_at.min(at);
            if company.is_some() {
                cell.company = company.clone();
            }
            batch.states.insert(reference.to_string(), tracked);
            batch.changed.insert(reference.to_string());
            return Ok(());
        }
        let Some(mut tracked) = batch.states.remove(reference) else {
            return Err(StoreError::Corrupt(format!(
                "event {reference}#{} arrived before its complaint was received",
                stored.sequence
            )));
        };
        let policy = self
            .policies
            .of_version(tx, i64::from(tracked.sla.policy_version))
            .await?;
        let day = day_of(&policy, at);
        let received_day = day_of(&policy, tracked.received_at);
        let dims_before = tracked.dims();
        tracked.sla.advance(at);
        let (_, measures) = tracked.sla.apply_measured(&policy, event);
        let dims = tracked.dims();
        for run in &measures {
            let met_day = day_of(&policy, run.met_at);
            for (dim, value) in &dims {
                batch
                    .speed
                    .entry((met_day.clone(), run.clock.code(), *dim, value.clone()))
                    .or_default()
                    .add(run);
            }
        }
        let mut with_company = dims.to_vec();
        if let Some(company) = &tracked.company {
            with_company.push(("company", company.clone()));
        }
        match &event.change {
            ComplaintChange::ComplaintResolved {
                outcome,
                decisions,
                redress_paid_cents,
                ..
            } => {
                let paid = redress_paid_cents.unwrap_or(0);
                let outcome = *outcome;
                let count = |wanted: Outcome| {
                    decisions.iter().filter(|d| d.outcome == wanted).count() as i64
                };
                let points = [
                    count(Outcome::Upheld),
                    count(Outcome::PartlyUpheld),
                    count(Outcome::NotUpheld),
                ];
                batch.each_dim(&day, &with_company, |c| {
                    c.resolved += 1;
                    match outcome {
                        Outcome::Upheld => c.upheld += 1,
                        Outcome::PartlyUpheld => c.partly_upheld += 1,
                        Outcome::NotUpheld => c.not_upheld += 1,
                    }
                    c.redress_cents += paid;
                    c.points += points.iter().sum::<i64>();
                    c.points_upheld += points[0];
                    c.points_partly_upheld += points[1];
                    c.points_not_upheld += points[2];
                });
            }
            ComplaintChange::ComplaintClosed if tracked.open => {
                tracked.open = false;
                tracked.closed_at = Some(at);
                let within_3 = tracked.fca_3_days.is_some_and(|due| at <= due);
                let within_8 = tracked.fca_8_weeks.is_some_and(|due| at <= due);
                batch.each_dim(&received_day, &with_company, |c| c.open_received -= 1);
                batch.each_dim(&day, &with_company, |c| {
                    c.closed += 1;
                    c.backlog_delta -= 1;
                    if within_3 {
                        c.closed_3d += 1;
                    } else if within_8 {
                        c.closed_8w += 1;
                    } else {
                        c.closed_later += 1;
                    }
                });
            }
            ComplaintChange::ComplaintReopened { .. } if !tracked.open => {
                tracked.open = true;
                batch.each_dim(&received_day, &with_company, |c| c.open_received += 1);
                batch.each_dim(&day, &with_company, |c| {
                    c.reopened += 1;
                    c.backlog_delta += 1;
                });
            }
            ComplaintChange::SatisfactionRecorded {
                score,
                comment,
                would_change,
            } => {
                let score = i64::from((*score).clamp(1, 5));
                batch.each_dim(&day, &with_company, |c| {
                    c.sat_n += 1;
                    c.sat_sum += score;
                    c.sat[(score - 1) as usize] += 1;
                });
                let would_change = match would_change {
                    Some(sealed) => keys.open(tx, tracked.customer, sealed).await?,
                    None => None,
                };
                let comment = match comment {
                    Some(sealed) => keys.open(tx, tracked.customer, sealed).await?,
                    None => None,
                };
                batch.feedback.push(FeedbackRow {
                    reference: reference.to_string(),
                    sequence: stored.sequence,
                    at,
                    day: day.clone(),
                    score,
                    owner: tracked.owner(),
                    category: tracked.sla.category.clone(),
                    tier: tracked.sla.tier.code().to_string(),
                    would_change: would_change.filter(|t| !t.trim().is_empty()),
                    comment: comment.filter(|t| !t.trim().is_empty()),
                });
            }
            ComplaintChange::PersonalDataErased { .. } => {
                keys.forget(tracked.customer);
                for row in batch
                    .feedback
                    .iter_mut()
                    .filter(|r| r.reference == reference)
                {
                    row.would_change = None;
                    row.comment = None;
                }
                batch.erased.push(reference.to_string());
            }
            _ => {}
        }
        // An open complaint that moved to another owner, category or priority leaves one
        // backlog and joins another.
        if tracked.open {
            for ((dim, old), (_, new)) in dims_before.iter().zip(dims.iter()) {
                if old != new {
                    batch.day(&day, dim, old).backlog_delta -= 1;
                    batch.day(&day, dim, new).backlog_delta += 1;
                    batch.day(&received_day, dim, old).open_received -= 1;
                    batch.day(&received_day, dim, new).open_received += 1;
                }
            }
        }
        batch.states.insert(reference.to_string(), tracked);
        batch.changed.insert(reference.to_string());
        Ok(())
    }
}

#[async_trait]
impl Projector for ReportsProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "report_complaints",
            "report_speed",
            "report_days",
            "report_feedback",
            "report_customers",
        ]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        event: &StoredEvent,
    ) -> Result<(), StoreError> {
        self.apply_batch(tx, keys, std::slice::from_ref(event))
            .await
    }

    async fn apply_batch(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        let references: Vec<String> = events
            .iter()
            .filter(|e| !matches!(e.event.change, ComplaintChange::ComplaintReceived { .. }))
            .map(|e| e.reference.to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        batch.states = load_states(tx, &references).await?;
        let customers: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.event.change {
                ComplaintChange::ComplaintReceived { customer, .. } => {
                    Some(customer.id.to_string())
                }
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        batch.known_customers = load_customers(tx, &customers).await?;
        batch.versions = on_db!(tx, |q| sqlx::query_as(
            "SELECT created_at, version FROM sla_policy_versions"
        )
        .fetch_all(q)
        .await)?;
        for event in events {
            self.apply_one(tx, keys, &mut batch, event).await?;
        }
        write(tx, batch).await
    }
}

/// A value bound into a bulk statement.
enum Val {
    I(i64),
    T(String),
    OT(Option<String>),
    D(DateTime<Utc>),
    OD(Option<DateTime<Utc>>),
    B(bool),
}

/// Runs `head VALUES (...), (...) tail` over `rows`, in chunks small enough for both
/// databases' limits on bound parameters.
async fn bulk(tx: &mut Tx, head: &str, tail: &str, rows: &[Vec<Val>]) -> Result<(), StoreError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    // Statements of ~2,000 parameters.
    for chunk in rows.chunks((2_000 / width).clamp(1, 500)) {
        let mut sql = String::with_capacity(head.len() + tail.len() + chunk.len() * width * 6);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..width {
                if j > 0 {
                    sql.push(',');
                }
                n += 1;
                match tx.backend() {
                    // Anonymous, bound by position (see `crate::db::placeholders`).
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(tail);
        on_db!(tx, |q| {
            let mut query = sqlx::query(&sql);
            for row in chunk {
                for value in row {
                    query = match value {
                        Val::I(v) => query.bind(*v),
                        Val::T(v) => query.bind(v.as_str()),
                        Val::OT(v) => query.bind(v.as_deref()),
                        Val::D(v) => query.bind(*v),
                        Val::OD(v) => query.bind(*v),
                        Val::B(v) => query.bind(*v),
                    };
                }
            }
            query.execute(q).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

async fn load_states(
    tx: &mut Tx,
    references: &[String],
) -> Result<HashMap<String, Tracked>, StoreError> {
    let mut states = HashMap::with_capacity(references.len());
    for chunk in references.chunks(500) {
        let sql = format!(
            "SELECT reference, state FROM report_complaints WHERE reference IN ({})",
            placeholders(tx.backend(), 1, chunk.len())
        );
        let rows: Vec<(String, String)> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for reference in chunk {
                query = query.bind(reference);
            }
            query.fetch_all(q).await
        })?;
        for (reference, json) in rows {
            let tracked = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("report state of {reference}: {e}")))?;
            states.insert(reference, tracked);
        }
    }
    Ok(states)
}

async fn load_customers(
    tx: &mut Tx,
    customers: &[String],
) -> Result<HashMap<CustomerId, i64>, StoreError> {
    let mut known = HashMap::new();
    for chunk in customers.chunks(500) {
        let sql = format!(
            "SELECT customer, complaints FROM report_customers WHERE customer IN ({})",
            placeholders(tx.backend(), 1, chunk.len())
        );
        let rows: Vec<(String, i64)> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for customer in chunk {
                query = query.bind(customer);
            }
            query.fetch_all(q).await
        })?;
        for (customer, complaints) in rows {
            if let Ok(id) = customer.parse() {
                known.insert(CustomerId(id), complaints);
            }
        }
    }
    Ok(known)
}

/// The stored speed cells of `days` × `clocks`, to merge a batch's runs into.
async fn load_speed(
    tx: &mut Tx,
    days: &[String],
    clocks: &[&'static str],
) -> Result<HashMap<SpeedKey, SpeedCell>, StoreError> {
    let mut cells = HashMap::new();
    for chunk in days.chunks(200) {
        let sql = format!(
            "SELECT day, clock, dim, value, runs, tracked, met_within, business, calendar
               FROM report_speed WHERE day IN ({}) AND clock IN ({})",
            placeholders(tx.backend(), 1, chunk.len()),
            placeholders(tx.backend(), 1 + chunk.len(), clocks.len())
        );
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let rows: Vec<(
            String,
            String,
            String,
            String,
            i64,
            i64,
            i64,
            String,
            String,
        )> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for day in chunk {
                query = query.bind(day);
            }
            for clock in clocks {
                query = query.bind(*clock);
            }
            query.fetch_all(q).await
        })?;
        for (day, clock, dim, value, runs, tracked, within, business, calendar) in rows {
            let (Some(clock), Some(dim)) = (
                SlaClock::parse(&clock).map(SlaClock::code),
                DIMENSIONS.iter().find(|d| **d == dim),
            ) else {
                continue;
            };
            let corrupt = || StoreError::Corrupt(format!("histogram of {day} {clock} {dim}"));
            let cell = SpeedCell {
                runs,
                tracked,
                within,
                business: Histogram::decode(&business).ok_or_else(corrupt)?,
                calendar: Histogram::decode(&calendar).ok_or_else(corrupt)?,
            };
            cells.insert((day, clock, *dim, value), cell);
        }
    }
    Ok(cells)
}

async fn write(tx: &mut Tx, batch: Batch) -> Result<(), StoreError> {
    // Complaints.
    let rows: Vec<Vec<Val>> = batch
        .changed
        .iter()
        .filter_map(|reference| batch.states.get(reference).map(|t| (reference, t)))
        .map(|(reference, t)| {
            let json = serde_json::to_string(t).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(vec![
                Val::T(reference.clone()),
                Val::T(t.customer.to_string()),
                Val::D(t.received_at),
                Val::B(t.open),
                t.closed_at.map_or(Val::OD(None), |c| Val::OD(Some(c))),
                Val::T(t.owner()),
                Val::T(t.sla.category.clone()),
                Val::T(t.channel.code().to_string()),
                Val::T(t.sla.priority.code().to_string()),
                Val::T(t.sla.tier.code().to_string()),
                Val::OT(t.company.clone()),
                Val::T(json),
            ])
        })
        .collect::<Result<_, StoreError>>()?;
    bulk(
        tx,
        "INSERT INTO report_complaints (reference, customer, received_at, open, closed_at, owner,
                category, channel, priority, tier, company, state)",
        "ON CONFLICT (reference) DO UPDATE SET open = excluded.open,
                closed_at = excluded.closed_at, owner = excluded.owner,
                category = excluded.category, priority = excluded.priority,
                tier = excluded.tier, state = excluded.state",
        &rows,
    )
    .await?;

    // Daily counters: added to what is stored.
    let rows: Vec<Vec<Val>> = batch
        .days
        .iter()
        .map(|((day, dim, value), cell)| {
            let mut row = vec![
                Val::T(day.clone()),
                Val::T((*dim).to_string()),
                Val::T(value.clone()),
            ];
            row.extend(cell.values().into_iter().map(Val::I));
            row
        })
        .collect();
    let sets: Vec<String> = DAY_COLUMNS
        .iter()
        .map(|c| format!("{c} = report_days.{c} + excluded.{c}"))
        .collect();
    bulk(
        tx,
        &format!(
            "INSERT INTO report_days (day, dim, value, {})",
            DAY_COLUMNS.join(", ")
        ),
        &format!(
            "ON CONFLICT (day, dim, value) DO UPDATE SET {}",
            sets.join(", ")
        ),
        &rows,
    )
    .await?;

    // Speed: histograms merged with what is stored.
    if !batch.speed.is_empty() {
        let days: Vec<String> = batch
            .speed
            .keys()
            .map(|k| k.0.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let clocks: Vec<&'static str> = batch
            .speed
            .keys()
            .map(|k| k.1)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut stored = load_speed(tx, &days, &clocks).await?;
        let rows: Vec<Vec<Val>> = batch
            .speed
            .into_iter()
            .map(|(key, cell)| {
                let mut total = stored.remove(&key).unwrap_or_default();
                total.merge(&cell);
                let (day, clock, dim, value) = key;
                vec![
                    Val::T(day),
                    Val::T(clock.to_string()),
                    Val::T(dim.to_string()),
                    Val::T(value),
                    Val::I(total.runs),
                    Val::I(total.tracked),
                    Val::I(total.within),
                    Val::T(total.business.encode()),
                    Val::T(total.calendar.encode()),
                ]
            })
            .collect();
        bulk(
            tx,
            "INSERT INTO report_speed (day, clock, dim, value, runs, tracked, met_within,
                    business, calendar)",
            "ON CONFLICT (day, dim, clock, value) DO UPDATE SET runs = excluded.runs,
                    tracked = excluded.tracked, met_within = excluded.met_within,
                    business = excluded.business, calendar = excluded.calendar",
            &rows,
        )
        .await?;
    }

    // Customers.
    let rows: Vec<Vec<Val>> = batch
        .customers
        .into_iter()
        .map(|(id, c)| {
            vec![
                Val::T(id.to_string()),
                Val::I(c.complaints),
                Val::D(c.first_at),
                Val::D(c.last_at),
                Val::T(c.last_reference),
                Val::OT(c.company),
            ]
        })
        .collect();
    bulk(
        tx,
        "INSERT INTO report_customers (customer, complaints, first_at, last_at, last_reference,
                company)",
        "ON CONFLICT (customer) DO UPDATE SET
                complaints = report_customers.complaints + excluded.complaints,
                last_reference = CASE WHEN excluded.last_at >= report_customers.last_at
                    THEN excluded.last_reference ELSE report_customers.last_reference END,
                last_at = CASE WHEN excluded.last_at >= report_customers.last_at
                    THEN excluded.last_at ELSE report_customers.last_at END,
                company = COALESCE(excluded.company, report_customers.company)",
        &rows,
    )
    .await?;

    // Feedback, then erasures (which may blank rows written just now).
    let rows: Vec<Vec<Val>> = batch
        .feedback
        .into_iter()
        .map(|f| {
            vec![
                Val::T(f.reference),
                Val::I(f.sequence),
                Val::D(f.at),
                Val::T(f.day),
                Val::I(f.score),
                Val::T(f.owner),
                Val::T(f.category),
                Val::T(f.tier),
                Val::OT(search_text(&f.would_change, &f.comment)),
                Val::OT(f.would_change),
                Val::OT(f.comment),
            ]
        })
        .collect();
    bulk(
        tx,
        "INSERT INTO report_feedback (reference, sequence, answered_at, day, score, owner,
                category, tier, search_text, would_change, comment)",
        "ON CONFLICT (reference, sequence) DO NOTHING",
        &rows,
    )
    .await?;
    for reference in batch.erased {
        on_db!(tx, |q| sqlx::query(
            "UPDATE report_feedback SET would_change = NULL, comment = NULL, search_text = NULL
              WHERE reference = $1"
        )
        .bind(&reference)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
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
