//! SLA policies and clocks: how long each step of the method may take, counted in business or
//! calendar time, and the clocks that hold staff to it — derived from a complaint's events
//! alone, so every start, pause, resume, fulfilment and breach can be explained.
//!
//! # The clocks and their rules
//!
//! | Clock | Starts | Pauses while waiting on the customer | Met when |
//! |---|---|---|---|
//! | Acknowledge (step 1) | on receipt | no (it is always met first) | the apology is sent |
//! | Owner (step 5) | on receipt | no (naming an owner needs nothing from the customer) | an owner is named |
//! | Commit (step 4) | on receipt; afresh on reopening | yes | an action is committed to |
//! | Update (step 6) | on acknowledgement; afresh after every update | yes | the customer is told how things stand (a progress update, an outbound communication, a request to them, the outcome) |
//! | Resolve | on receipt; afresh on reopening | yes | the complaint is resolved |
//! | Promise (the next update's date) | with each progress update, due at the end of the date it gives for the next one | no | the next message to the customer (an update, a reply, a request, the points sent, the outcome) |
//! | Action (the commitment's date) | when an action is committed to, due at the end of its "done by" date; afresh on a new commitment | no | the complaint is resolved (a new commitment ends the run before it, unmet) |
//!
//! The last two are promises made to the customer: their due times are the dates we gave, not
//! a policy's targets, and they breach like the others (alerts, causes, dashboard, reports).
//!
//! - A clock is **breached** at its due time if it is not met by then; the breach is recorded
//!   at the due time (not when someone notices), stays recorded when the clock is met late,
//!   and the owner is asked to record its cause.
//! - A clock is **at risk** once less than the policy's at-risk share of its allowance is left.
//! - **Pauses**: `WaitingOnCustomer` pauses the clocks marked above; `CustomerResponded`
//!   resumes them with the time they had left. Time paused never counts.
//! - **Priority changes** re-target every clock not yet met, measured from its start (a breach
//!   already recorded stays recorded); a clock left with no time falls due at the change.
//! - A complaint keeps the policy version it was received under, and the tier its company had
//!   then; later policy edits apply to new complaints only.
//! - **Targets** are written `4 business hours`, `3 business days`, `8 weeks`, `15 days`,
//!   `30 minutes`. Business minutes and hours count only the calendar's working time. `n
//!   business days` ends at the close of business on the n-th working day *after* the day the
//!   clock starts (the UK FCA's "by close of business on the third business day following the
//!   day on which it is received"); a business week is five business days. Calendar `n days`
//!   (or weeks) ends at midnight, in the calendar's time zone, at the end of the n-th day after
//!   the day the clock starts; calendar minutes and hours are plain elapsed time.
//!
//! Every function takes the time as a parameter; nothing here reads a clock.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, CalendarError};
use crate::error::InvalidValue;
use crate::events::{ComplaintChange, ComplaintEvent};
use crate::values::{Direction, Priority, StaffMember, Tier};

/// One of the five clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaClock {
    /// Time to acknowledge (step 1).
    Acknowledge,
    /// Time to name an owner (step 5).
    Owner,
    /// Time to commit to an action (step 4).
    Commit,
    /// The longest gap between updates to the customer (step 6).
    Update,
    /// Time to resolve.
    Resolve,
    /// The date we promised the next update by (a progress update's "next update by").
    Promise,
    /// The date we committed to do the action by (step 4's "done by").
    Action,
}

impl SlaClock {
    /// Every clock, in the order of the method's steps as staff meet them, then the promises.
    pub const ALL: [SlaClock; 7] = [
        SlaClock::Acknowledge,
        SlaClock::Owner,
        SlaClock::Commit,
        SlaClock::Update,
        SlaClock::Resolve,
        SlaClock::Promise,
        SlaClock::Action,
    ];

    /// The clocks a policy sets targets for (the promises are due when we said).
    pub const TARGETED: [SlaClock; 5] = [
        SlaClock::Acknowledge,
        SlaClock::Owner,
        SlaClock::Commit,
        SlaClock::Update,
        SlaClock::Resolve,
    ];

    /// Whether its due time is a date promised to the customer rather than a policy target.
    pub fn is_promise(self) -> bool {
        matches!(self, SlaClock::Promise | SlaClock::Action)
    }

    /// The code in tables and URLs.
    pub fn code(self) -> &'static str {
        match self {
            SlaClock::Acknowledge => "acknowledge",
            SlaClock::Owner => "owner",
            SlaClock::Commit => "commit",
            SlaClock::Update => "update",
            SlaClock::Resolve => "resolve",
            SlaClock::Promise => "promise",
            SlaClock::Action => "action",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            SlaClock::Acknowledge => "Acknowledge",
            SlaClock::Owner => "Name an owner",
            SlaClock::Commit => "Commit to an action",
            SlaClock::Update => "Update the customer",
            SlaClock::Resolve => "Resolve",
            SlaClock::Promise => "Next update as promised",
            SlaClock::Action => "Action by its date",
        }
    }

    /// Its rule, in one sentence, for the complaint page and the docs.
    pub fn rule(self) -> &'static str {
        match self {
            SlaClock::Acknowledge => {
                "Starts on receipt; met when the apology is sent; never pauses."
            }
            SlaClock::Owner => "Starts on receipt; met when an owner is named; never pauses.",
            SlaClock::Commit => {
                "Starts on receipt (afresh on reopening); met when an action is committed to; \
                 pauses while we wait on the customer."
            }
            SlaClock::Update => {
                "Starts on acknowledgement and afresh after every message to the customer; met \
                 by each one; pauses while we wait on the customer; ends with the outcome."
            }
            SlaClock::Resolve => {
                "Starts on receipt (afresh on reopening); met when the complaint is resolved; \
                 pauses while we wait on the customer."
            }
            SlaClock::Promise => {
                "Starts with each progress update; due at the end of the day it promised the \
                 next update by; met by the next message to the customer or the outcome; never \
                 pauses."
            }
            SlaClock::Action => {
                "Starts when an action is committed to; due at the end of its \"done by\" date; \
                 met when the complaint is resolved; a new commitment starts it afresh; never \
                 pauses."
            }
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code.trim())
    }

    /// Whether waiting on the customer pauses it.
    pub fn pauses(self) -> bool {
        matches!(
            self,
            SlaClock::Commit | SlaClock::Update | SlaClock::Resolve
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SlaClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether a target counts working time only, or all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The calendar's working hours only.
    Business,
    /// Every hour of every day.
    Calendar,
}

/// The unit of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days (to the end of the day).
    Days,
    /// Weeks (calendar: 7 days; business: 5 business days).
    Weeks,
}

/// How long a step may take, e.g. `3 business days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Target {
    /// How many units.
    pub amount: u32,
    /// Of what.
    pub unit: Unit,
    /// Counted how.
    pub basis: Basis,
}

impl Target {
    /// The longest target accepted (in days, for sanity: two years).
    const MAX_DAYS: u32 = 731;

    /// `amount` business `unit`.
    pub fn business(amount: u32, unit: Unit) -> Self {
        Self {
            amount,
            unit,
            basis: Basis::Business,
        }
    }

    /// `amount` calendar `unit`.
    pub fn calendar(amount: u32, unit: Unit) -> Self {
        Self {
            amount,
            unit,
            basis: Basis::Calendar,
        }
    }

    /// Reads a target as people write it: `4 business hours`, `3 working days`, `8 weeks`,
    /// `30 min`, `2h`, `3bd`.
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        let bad = || InvalidValue::Target(input.chars().take(40).collect());
        let lower = input.trim().to_lowercase();
        let digits: String = lower.chars().take_while(|c| c.is_ascii_digit()).collect();
        let amount: u32 = digits.parse().map_err(|_| bad())?;
        let rest = lower[digits.len()..].trim();
        let (basis, unit) = if let Some(unit) = rest
            .strip_prefix("business")
            .or_else(|| rest.strip_prefix("working"))
        {
            (Basis::Business, unit.trim())
        } else if let Some(unit) = rest.strip_prefix('b') {
            (Basis::Business, unit.trim())
        } else {
            (Basis::Calendar, rest)
        };
        let unit = match unit.trim_start_matches("calendar").trim() {
            "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minutes,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hours,
            "d" | "day" | "days" => Unit::Days,
            "w" | "wk" | "wks" | "week" | "weeks" => Unit::Weeks,
            _ => return Err(bad()),
        };
        let target = Self {
            amount,
            unit,
            basis,
        };
        if amount == 0 || target.rough_days() > Self::MAX_DAYS {
            return Err(bad());
        }
        Ok(target)
    }

    fn rough_days(&self) -> u32 {
        match self.unit {
            Unit::Minutes => self.amount / 1_440,
            Unit::Hours => self.amount / 24,
            Unit::Days => self.amount,
            Unit::Weeks => self.amount.saturating_mul(7),
        }
    }

    /// When a clock with this target, started at `start`, falls due (`None` when the calendar
    /// has no working time in reach).
    pub fn due(&self, start: DateTime<Utc>, calendar: &BusinessCalendar) -> Option<DateTime<Utc>> {
        let n = i64::from(self.amount);
        match (self.basis, self.unit) {
            (Basis::Calendar, Unit::Minutes) => Some(start + Duration::minutes(n)),
            (Basis::Calendar, Unit::Hours) => Some(start + Duration::hours(n)),
            (Basis::Calendar, Unit::Days | Unit::Weeks) => {
                let days = if self.unit == Unit::Weeks { n * 7 } else { n };
                let local = start.with_timezone(&calendar.time_zone).date_naive();
                let end = local.checked_add_signed(Duration::days(days + 1))?;
                Some(calendar.instant(end, NaiveTime::MIN))
            }
            (Basis::Business, Unit::Minutes) => calendar.add(start, Duration::minutes(n)),
            (Basis::Business, Unit::Hours) => calendar.add(start, Duration::hours(n)),
            (Basis::Business, Unit::Days | Unit::Weeks) => {
                let days = if self.unit == Unit::Weeks { n * 5 } else { n };
                calendar.close_of_business_days_after(start, days)
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match (self.unit, self.amount == 1) {
            (Unit::Minutes, true) => "minute",
            (Unit::Minutes, false) => "minutes",
            (Unit::Hours, true) => "hour",
            (Unit::Hours, false) => "hours",
            (Unit::Days, true) => "day",
            (Unit::Days, false) => "days",
            (Unit::Weeks, true) => "week",
            (Unit::Weeks, false) => "weeks",
        };
        match self.basis {
            Basis::Business => write!(f, "{} business {unit}", self.amount),
            Basis::Calendar => write!(f, "{} {unit}", self.amount),
        }
    }
}

impl TryFrom<String> for Target {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Target> for String {
    fn from(value: Target) -> Self {
        value.to_string()
    }
}

/// The target of each clock (none: the clock is not tracked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockTargets {
    /// Time to acknowledge.
    pub acknowledge: Option<Target>,
    /// Time to name an owner.
    pub owner: Option<Target>,
    /// Time to commit to an action.
    pub commit: Option<Target>,
    /// Longest gap between updates.
    pub update: Option<Target>,
    /// Time to resolve.
    pub resolve: Option<Target>,
}

impl ClockTargets {
    /// One clock's target.
    pub fn get(&self, clock: SlaClock) -> Option<Target> {
        match clock {
            SlaClock::Acknowledge => self.acknowledge,
            SlaClock::Owner => self.owner,
            SlaClock::Commit => self.commit,
            SlaClock::Update => self.update,
            SlaClock::Resolve => self.resolve,
            SlaClock::Promise | SlaClock::Action => None,
        }
    }

    /// Sets one clock's target (the promises have none: setting one changes nothing).
    pub fn set(&mut self, clock: SlaClock, target: Option<Target>) {
        let slot = match clock {
            SlaClock::Acknowledge => &mut self.acknowledge,
            SlaClock::Owner => &mut self.owner,
            SlaClock::Commit => &mut self.commit,
            SlaClock::Update => &mut self.update,
            SlaClock::Resolve => &mut self.resolve,
            SlaClock::Promise | SlaClock::Action => return,
        };
        *slot = target;
    }
}

/// Targets per priority.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityTargets {
    /// Low priority.
    pub low: ClockTargets,
    /// Normal priority.
    pub normal: ClockTargets,
    /// High priority.
    pub high: ClockTargets,
    /// Urgent.
    pub urgent: ClockTargets,
}

impl PriorityTargets {
    fn get(&self, priority: Priority) -> &ClockTargets {
        match priority {
            Priority::Low => &self.low,
            Priority::Normal => &self.normal,
            Priority::High => &self.high,
            Priority::Urgent => &self.urgent,
        }
    }

    fn get_mut(&mut self, priority: Priority) -> &mut ClockTargets {
        match priority {
            Priority::Low => &mut self.low,
            Priority::Normal => &mut self.normal,
            Priority::High => &mut self.high,
            Priority::Urgent => &mut self.urgent,
        }
    }
}

/// An SLA policy: a calendar, and a target per tier, priority and clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Its name, e.g. "UK FCA DISP".
    pub name: String,
    /// The preset it started from, if any (code).
    pub preset: Option<String>,
    /// The working hours business time counts.
    pub calendar: BusinessCalendar,
    /// A clock is at risk once less than this share (percent) of its allowance is left.
    pub at_risk_percent: u8,
    /// Standard customers' targets.
    pub standard: PriorityTargets,
    /// Key accounts' targets.
    pub key_account: PriorityTargets,
}

/// Why a policy is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The calendar is wrong.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// No name.
    #[error("the policy needs a name")]
    NoName,
    /// At-risk share out of range.
    #[error("the at-risk share must be between 1 and 90 percent")]
    AtRisk,
    /// A target beyond three years of the calendar's working time.
    #[error(
        "the target {target} does not fall due within three years of this calendar's working time; shorten it"
    )]
    Unreachable {
        /// The target, in words.
        target: String,
    },
}

/// A starting point a complaints team can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Redress's own suggestion.
    Default,
    /// UK FCA DISP 1.6: summary resolution within 3 business days, final response within
    /// 8 weeks.
    FcaDisp,
    /// US CFPB: a response within 15 calendar days, the final one within 60.
    Cfpb,
    /// EU PSD2 article 101: a reply within 15 business days, 35 in exceptional cases.
    Psd2,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 4] = [Preset::Default, Preset::FcaDisp, Preset::Cfpb, Preset::Psd2];

    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::FcaDisp => "fca_disp",
            Preset::Cfpb => "cfpb",
            Preset::Psd2 => "psd2",
        }
    }

    /// Its name.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Default => "Redress default",
            Preset::FcaDisp => "UK FCA DISP",
            Preset::Cfpb => "US CFPB",
            Preset::Psd2 => "EU PSD2",
        }
    }

    /// What it sets, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Preset::Default => {
                "Acknowledge within hours, commit within 3 business days, update at least weekly, \
                 resolve within 10 business days; tighter for key accounts and urgent complaints."
            }
            Preset::FcaDisp => {
                "Commit (the summary resolution window) by close of business on the third \
                 business day after receipt; final response (resolve) within 8 weeks."
            }
            Preset::Cfpb => {
                "Respond (commit) within 15 calendar days; final response (resolve) within 60 \
                 calendar days."
            }
            Preset::Psd2 => {
                "Reply (commit) within 15 business days; the final reply (resolve) by 35 \
                 business days in exceptional cases, with a holding reply (update) by day 15."
            }
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The policy it gives, over `calendar`.
    pub fn policy(self, calendar: BusinessCalendar) -> SlaPolicy {
        use Unit::*;
        let b = Target::business;
        let c = Target::calendar;
        let targets = |ack, owner, commit, update, resolve| ClockTargets {
            acknowledge: Some(ack),
            owner: Some(owner),
            commit: Some(commit),
            update: Some(update),
            resolve: Some(resolve),
        };
        let (standard, key_account) = match self {
            Preset::Default => {
                let standard = PriorityTargets {
                    low: targets(b(1, Days), b(2, Days), b(5, Days), b(2, Weeks), b(20, Days)),
                    normal: targets(
                        b(4, Hours),
                        b(1, Days),
                        b(3, Days),
                        b(1, Weeks),
                        b(10, Days),
                    ),
                    high: targets(b(2, Hours), b(4, Hours), b(2, Days), b(3, Days), b(5, Days)),
                    urgent: targets(b(1, Hours), b(2, Hours), b(1, Days), b(1, Days), b(3, Days)),
                };
                let key = PriorityTargets {
                    low: targets(
                        b(4, Hours),
                        b(1, Days),
                        b(3, Days),
                        b(1, Weeks),
                        b(10, Days),
                    ),
                    normal: targets(b(2, Hours), b(4, Hours), b(2, Days), b(3, Days), b(5, Days)),
                    high: targets(b(1, Hours), b(2, Hours), b(1, Days), b(2, Days), b(3, Days)),
                    urgent: targets(
                        b(30, Minutes),
                        b(1, Hours),
                        b(4, Hours),
                        b(1, Days),
                        b(2, Days),
                    ),
                };
                (standard, key)
            }
            Preset::FcaDisp => {
                let all = targets(b(1, Days), b(1, Days), b(3, Days), b(4, Weeks), c(8, Weeks));
                let urgent = targets(
                    b(4, Hours),
                    b(4, Hours),
                    b(3, Days),
                    b(1, Weeks),
                    c(8, Weeks),
                );
                let p = PriorityTargets {
                    low: all,
                    normal: all,
                    high: urgent,
                    urgent,
                };
                (p, p)
            }
            Preset::Cfpb => {
                let all = targets(
                    c(1, Days),
                    c(2, Days),
                    c(15, Days),
                    c(15, Days),
                    c(60, Days),
                );
                let urgent = targets(c(4, Hours), c(1, Days), c(7, Days), c(7, Days), c(60, Days));
                let p = PriorityTargets {
                    low: all,
                    normal: all,
                    high: urgent,
                    urgent,
                };
                (p, p)
            }
            Preset::Psd2 => {
                let all = targets(
                    b(1, Days),
                    b(2, Days),
                    b(15, Days),
                    b(15, Days),
                    b(35, Days),
                );
                let urgent = targets(
                    b(4, Hours),
                    b(1, Days),
                    b(10, Days),
                    b(5, Days),
                    b(35, Days),
                );
                let p = PriorityTargets {
                    low: all,
                    normal: all,
                    high: urgent,
                    urgent,
                };
                (p, p)
            }
        };
        SlaPolicy {
            name: self.label().to_string(),
            preset: Some(self.code().to_string()),
            calendar,
            at_risk_percent: 25,
            standard,
            key_account,
        }
    }
}

impl Default for SlaPolicy {
    /// The default preset over a Monday–Friday, 09:00–17:00 UTC calendar.
    fn default() -> Self {
        Preset::Default.policy(BusinessCalendar::weekdays(
            chrono_tz::UTC,
            NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            [],
        ))
    }
}

impl SlaPolicy {
    /// Checks it is usable.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.name.trim().is_empty() {
            return Err(PolicyError::NoName);
        }
        if !(1..=90).contains(&self.at_risk_percent) {
            return Err(PolicyError::AtRisk);
        }
        self.calendar.validate()?;
        // Every target must fall due within the calendar's reach (three years of days), from
        // any day of the week.
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| t.and_utc());
        for tier in Tier::ALL {
            for priority in Priority::ALL {
                for clock in SlaClock::TARGETED {
                    let Some(target) = self.target(*tier, *priority, clock) else {
                        continue;
                    };
                    let reachable = (0..7).all(|day| {
                        monday
                            .map(|m| m + Duration::days(day))
                            .and_then(|start| target.due(start, &self.calendar))
                            .is_some()
                    });
                    if !reachable {
                        return Err(PolicyError::Unreachable {
                            target: target.to_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The targets for a tier.
    pub fn targets(&self, tier: Tier) -> &PriorityTargets {
        match tier {
            Tier::Standard => &self.standard,
            Tier::KeyAccount => &self.key_account,
        }
    }

    /// One target.
    pub fn target(&self, tier: Tier, priority: Priority, clock: SlaClock) -> Option<Target> {
        self.targets(tier).get(priority).get(clock)
    }

    /// Sets one target.
    pub fn set_target(
        &mut self,
        tier: Tier,
        priority: Priority,
        clock: SlaClock,
        target: Option<Target>,
    ) {
        let targets = match tier {
            Tier::Standard => &mut self.standard,
            Tier::KeyAccount => &mut self.key_account,
        };
        targets.get_mut(priority).set(clock, target);
    }

    /// The time from `from` to `to` that counts in `basis` (working time only, or all).
    pub fn measure(&self, basis: Basis, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        match basis {
            Basis::Business => self.calendar.between(from, to),
            Basis::Calendar => (to - from).max(Duration::zero()),
        }
    }

    fn add(&self, basis: Basis, from: DateTime<Utc>, span: Duration) -> Option<DateTime<Utc>> {
        match basis {
            Basis::Business => self.calendar.add(from, span),
            Basis::Calendar => Some(from + span.max(Duration::zero())),
        }
    }

    /// The first moment at or after `at` that falls in working time (when alerts may go out).
    pub fn next_working_moment(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.calendar.add(at, Duration::zero()).unwrap_or(at)
    }
}

/// Where one clock stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockState {
    /// Which clock.
    pub clock: SlaClock,
    /// The run of this clock (1 first; the update clock starts a new run after each update,
    /// the commit and resolve clocks on reopening).
    pub cycle: u32,
    /// Its target now (none: not tracked, or a promise).
    pub target: Option<Target>,
    /// A promise's date: due at the end of it, in the calendar's time zone.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// When this run started (none: not started).
    pub started_at: Option<DateTime<Utc>>,
    /// The time it is allowed, in its basis, measured from its start (seconds).
    pub allowance_secs: i64,
    /// Working time (by the policy's calendar) counted before `running_since`, seconds.
    /// Both measures are kept, so a priority change to a target of the other basis still
    /// counts the run from its start.
    pub consumed_business_secs: i64,
    /// Elapsed time counted before `running_since`, seconds.
    pub consumed_elapsed_secs: i64,
    /// Since when it runs; none while paused, met or not started.
    pub running_since: Option<DateTime<Utc>>,
    /// Since when it is paused.
    pub paused_since: Option<DateTime<Utc>>,
    /// Wall-clock time spent paused in this run (seconds).
    pub paused_secs: i64,
    /// When it falls due, while it runs.
    pub due_at: Option<DateTime<Utc>>,
    /// When it becomes at risk, while it runs.
    pub at_risk_at: Option<DateTime<Utc>>,
    /// When it was found at risk (this run).
    pub at_risk_reached: Option<DateTime<Utc>>,
    /// When it was met (this run).
    pub met_at: Option<DateTime<Utc>>,
    /// The due time it passed unmet (this run).
    pub breached_at: Option<DateTime<Utc>>,
    /// Ended without being met or breached (the update clock at resolution, when no update
    /// was owed).
    pub ended_at: Option<DateTime<Utc>>,
}

/// A clock's state at a moment, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Not started, or not tracked.
    Idle,
    /// Met in time.
    Met,
    /// Met, after its due time.
    MetLate,
    /// Ended without anything owed.
    Ended,
    /// Paused while waiting on the customer.
    Paused,
    /// Running, plenty of time left.
    OnTrack,
    /// Running, less than the at-risk share left.
    AtRisk,
    /// Past its due time, unmet.
    Breached,
}

impl ClockStatus {
    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            ClockStatus::Idle => "idle",
            ClockStatus::Met => "met",
            ClockStatus::MetLate => "met_late",
            ClockStatus::Ended => "ended",
            ClockStatus::Paused => "paused",
            ClockStatus::OnTrack => "on_track",
            ClockStatus::AtRisk => "at_risk",
            ClockStatus::Breached => "breached",
        }
    }

    /// A label.
    pub fn label(self) -> &'static str {
        match self {
            ClockStatus::Idle => "Not started",
            ClockStatus::Met => "Met",
            ClockStatus::MetLate => "Met late",
            ClockStatus::Ended => "Ended",
            ClockStatus::Paused => "Paused",
            ClockStatus::OnTrack => "On track",
            ClockStatus::AtRisk => "At risk",
            ClockStatus::Breached => "Breached",
        }
    }
}

impl ClockState {
    fn new(clock: SlaClock) -> Self {
        Self {
            clock,
            cycle: 0,
            target: None,
            deadline: None,
            started_at: None,
            allowance_secs: 0,
            consumed_business_secs: 0,
            consumed_elapsed_secs: 0,
            running_since: None,
            paused_since: None,
            paused_secs: 0,
            due_at: None,
            at_risk_at: None,
            at_risk_reached: None,
            met_at: None,
            breached_at: None,
            ended_at: None,
        }
    }

    /// Whether it runs or is paused (started, not met or ended).
    pub fn is_open(&self) -> bool {
        self.started_at.is_some() && self.met_at.is_none() && self.ended_at.is_none()
    }

    /// How its time counts: its target's basis, or elapsed time for a promise's date; none
    /// when it is not tracked.
    pub fn basis(&self) -> Option<Basis> {
        match (self.target, self.deadline) {
            (Some(target), _) => Some(target.basis),
            (None, Some(_)) => Some(Basis::Calendar),
            (None, None) => None,
        }
    }

    /// Its state at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> ClockStatus {
        if self.started_at.is_none() || self.basis().is_none() && self.is_open() {
            return ClockStatus::Idle;
        }
        if self.met_at.is_some() {
            return if self.breached_at.is_some() {
                ClockStatus::MetLate
            } else {
                ClockStatus::Met
            };
        }
        if self.ended_at.is_some() {
            return if self.breached_at.is_some() {
                ClockStatus::Breached
            } else {
                ClockStatus::Ended
            };
        }
        if self.breached_at.is_some() || self.due_at.is_some_and(|d| d <= now) {
            return ClockStatus::Breached;
        }
        if self.running_since.is_none() {
            return ClockStatus::Paused;
        }
        if self.at_risk_at.is_some_and(|a| a <= now) {
            ClockStatus::AtRisk
        } else {
            ClockStatus::OnTrack
        }
    }

    /// Time counted before `running_since`, in `basis`.
    pub fn consumed(&self, basis: Basis) -> i64 {
        match basis {
            Basis::Business => self.consumed_business_secs,
            Basis::Calendar => self.consumed_elapsed_secs,
        }
    }

    /// Time left at `now` in its basis (negative once past due); none unless it runs or is
    /// paused with a target.
    pub fn left_secs(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> Option<i64> {
        let basis = self.basis()?;
        if !self.is_open() {
            return None;
        }
        let mut used = self.consumed(basis);
        if let Some(since) = self.running_since {
            used += policy.measure(basis, since, now).num_seconds();
            if let Some(due) = self.due_at
                && now > due
            {
                return Some(-(now - due).num_seconds());
            }
        }
        Some(self.allowance_secs - used)
    }
}

/// Something the passing of time did to a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Less than the at-risk share is left.
    AtRisk {
        /// Which clock.
        clock: SlaClock,
        /// Which run.
        cycle: u32,
        /// When it became at risk.
        at: DateTime<Utc>,
        /// When it falls due.
        due_at: DateTime<Utc>,
    },
    /// Past due, unmet.
    Breached {
        /// Which clock.
        clock: SlaClock,
        /// Which run.
        cycle: u32,
        /// Its due time (the moment of the breach).
        due_at: DateTime<Utc>,
    },
}

impl Transition {
    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match *self {
            Transition::AtRisk { at, .. } => at,
            Transition::Breached { due_at, .. } => due_at,
        }
    }
}

/// A run of a clock that ended, for the record (met, or breached and then met or ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockOutcome {
    /// Which clock.
    pub clock: SlaClock,
    /// Which run.
    pub cycle: u32,
    /// When it was met (none: ended without being met).
    pub met_at: Option<DateTime<Utc>>,
    /// The breach recorded for this run was premature: the event that met the clock happened
    /// before its due time but was seen after the scheduler had judged it breached (an event
    /// committed late). The breach must be taken back.
    pub revoked_breach: Option<DateTime<Utc>>,
}

/// One met run of a clock, measured (see [`ComplaintSla::apply_measured`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMeasure {
    /// Which clock.
    pub clock: SlaClock,
    /// Which run.
    pub cycle: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it was met.
    pub met_at: DateTime<Utc>,
    /// Working time it took (the policy calendar's hours), paused time left out.
    pub business_secs: i64,
    /// Elapsed time it took, paused time left out.
    pub calendar_secs: i64,
    /// Its target (none: the clock was not tracked for this complaint).
    pub target: Option<Target>,
    /// Whether it was met only after its due time.
    pub breached: bool,
}

/// Every clock of one complaint: what the SLA projector keeps per complaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintSla {
    /// The policy version it was received under.
    pub policy_version: u32,
    /// Its tier on arrival.
    pub tier: Tier,
    /// Its priority now.
    pub priority: Priority,
    /// Its category now.
    pub category: String,
    /// Its owner now.
    pub owner: Option<StaffMember>,
    /// Whether it is resolved (or closed).
    pub resolved: bool,
    /// Whether it waits on the customer.
    pub waiting: bool,
    /// The clocks, in [`SlaClock::ALL`] order (stored states from before the promises
    /// existed gain them, not started, when read).
    #[serde(deserialize_with = "every_clock")]
    pub clocks: Vec<ClockState>,
    /// Breaches taken back while applying the current event: `(clock, run, due)`.
    #[serde(skip)]
    revoked: Vec<(SlaClock, u32, DateTime<Utc>)>,
    /// Runs ended unmet while applying the current event (a commitment replaced): `(clock,
    /// run)`.
    #[serde(skip)]
    ended: Vec<(SlaClock, u32)>,
}

/// Reads the stored clocks, adding any clock the state was stored without.
fn every_clock<'de, D>(deserializer: D) -> Result<Vec<ClockState>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let stored = Vec::<ClockState>::deserialize(deserializer)?;
    Ok(SlaClock::ALL
        .into_iter()
        .map(|clock| {
            stored
                .iter()
                .find(|s| s.clock == clock)
                .cloned()
                .unwrap_or_else(|| ClockState::new(clock))
        })
        .collect())
}

impl ComplaintSla {
    /// The clocks of a complaint received at `at` under `policy` (version `policy_version`).
    pub fn received(
        policy_version: u32,
        policy: &SlaPolicy,
        tier: Tier,
        priority: Priority,
        category: String,
        at: DateTime<Utc>,
    ) -> Self {
        let mut sla = Self {
            policy_version,
            tier,
            priority,
            category,
            owner: None,
            resolved: false,
            waiting: false,
            clocks: SlaClock::ALL.into_iter().map(ClockState::new).collect(),
            revoked: Vec::new(),
            ended: Vec::new(),
        };
        for clock in [
            SlaClock::Acknowledge,
            SlaClock::Owner,
            SlaClock::Commit,
            SlaClock::Resolve,
        ] {
            sla.start(policy, clock, at);
        }
        sla
    }

    /// One clock.
    pub fn clock(&self, clock: SlaClock) -> &ClockState {
        &self.clocks[clock.index()]
    }

    fn clock_mut(&mut self, clock: SlaClock) -> &mut ClockState {
        &mut self.clocks[clock.index()]
    }

    /// Starts a (new run of a) clock at `at`; paused at once if the complaint waits and the
    /// clock pauses.
    fn start(&mut self, policy: &SlaPolicy, clock: SlaClock, at: DateTime<Utc>) {
        let target = policy.target(self.tier, self.priority, clock);
        let paused = self.waiting && clock.pauses();
        let state = self.clock_mut(clock);
        let cycle = state.cycle + 1;
        *state = ClockState::new(clock);
        state.cycle = cycle;
        state.started_at = Some(at);
        state.target = target;
        if paused {
            state.paused_since = Some(at);
        } else {
            state.running_since = Some(at);
        }
        retarget(state, policy, target, at);
    }

    /// Starts a (new run of a) promise, due at the end of `date` in the calendar's zone.
    fn start_promise(
        &mut self,
        policy: &SlaPolicy,
        clock: SlaClock,
        at: DateTime<Utc>,
        date: NaiveDate,
    ) {
        let state = self.clock_mut(clock);
        let cycle = state.cycle + 1;
        *state = ClockState::new(clock);
        state.cycle = cycle;
        state.started_at = Some(at);
        state.deadline = Some(date);
        state.running_since = Some(at);
        retarget(state, policy, None, at);
    }

    /// Ends an open run without its being met (a promise replaced or void).
    fn end(&mut self, clock: SlaClock, at: DateTime<Utc>) {
        let state = self.clock_mut(clock);
        if state.is_open() {
            state.ended_at = Some(at);
            let cycle = state.cycle;
            stop(state);
            self.ended.push((clock, cycle));
        }
    }

    fn meet(&mut self, clock: SlaClock, at: DateTime<Utc>) {
        let state = self.clock_mut(clock);
        if state.is_open() {
            state.met_at = Some(at);
            // Met before its due time, though seen after: never breached (a rebuild, seeing
            // the event in order, agrees).
            let revoked = state.breached_at.filter(|due| *due > at);
            if revoked.is_some() {
                state.breached_at = None;
            }
            let cycle = state.cycle;
            stop(state);
            if let Some(due) = revoked {
                self.revoked.push((clock, cycle, due));
            }
        }
    }

    fn pause(&mut self, policy: &SlaPolicy, at: DateTime<Utc>) {
        for state in self.clocks.iter_mut().filter(|s| s.clock.pauses()) {
            if !state.is_open() {
                continue;
            }
            if let Some(since) = state.running_since.take() {
                state.consumed_business_secs +=
                    policy.measure(Basis::Business, since, at).num_seconds();
                state.consumed_elapsed_secs +=
                    policy.measure(Basis::Calendar, since, at).num_seconds();
                state.paused_since = Some(at);
                state.due_at = None;
                state.at_risk_at = None;
            }
        }
    }

    fn resume(&mut self, policy: &SlaPolicy, at: DateTime<Utc>) {
        for state in self.clocks.iter_mut() {
            if !state.is_open() {
                continue;
            }
            if let Some(since) = state.paused_since.take() {
                state.paused_secs += (at - since).num_seconds().max(0);
                state.running_since = Some(at);
                schedule(state, policy, at);
            }
        }
    }

    /// Records what the passing of time did up to `now`: clocks that fell due unmet are
    /// breached (at their due time), clocks that passed their at-risk moment are at risk.
    /// Idempotent.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<Transition> {
        let mut transitions = Vec::new();
        for state in &mut self.clocks {
            if state.running_since.is_none() || !state.is_open() || state.breached_at.is_some() {
                continue;
            }
            if let (Some(at), Some(due), None) =
                (state.at_risk_at, state.due_at, state.at_risk_reached)
                && at <= now
                && at < due
            {
                state.at_risk_reached = Some(at);
                transitions.push(Transition::AtRisk {
                    clock: state.clock,
                    cycle: state.cycle,
                    at,
                    due_at: due,
                });
            }
            if let Some(due) = state.due_at
                && due <= now
            {
                state.breached_at = Some(due);
                transitions.push(Transition::Breached {
                    clock: state.clock,
                    cycle: state.cycle,
                    due_at: due,
                });
            }
        }
        transitions
    }

    /// Applies one event (after [`ComplaintSla::advance`] to its time). Returns the runs of
    /// clocks it ended.
    pub fn apply(&mut self, policy: &SlaPolicy, event: &ComplaintEvent) -> Vec<ClockOutcome> {
        let at = event.occurred_at;
        let before: Vec<(u32, bool)> = self.clocks.iter().map(|c| (c.cycle, c.is_open())).collect();
        match &event.change {
            ComplaintChange::ComplaintAcknowledged { .. } => {
                self.meet(SlaClock::Acknowledge, at);
                if !self.clock(SlaClock::Update).is_open() && !self.resolved {
                    self.start(policy, SlaClock::Update, at);
                }
            }
            ComplaintChange::OwnerAssigned { owner, .. } => {
                self.owner = Some(owner.clone());
                self.meet(SlaClock::Owner, at);
            }
            ComplaintChange::ActionCommitted { due_on, .. } => {
                self.meet(SlaClock::Commit, at);
                // A new commitment replaces the one before: its date no longer holds.
                self.end(SlaClock::Action, at);
                if !self.resolved {
                    self.start_promise(policy, SlaClock::Action, at, *due_on);
                }
            }
            ComplaintChange::ProgressUpdateSent { next_update_on, .. } => {
                self.updated(policy, at);
                if !self.resolved {
                    self.start_promise(policy, SlaClock::Promise, at, *next_update_on);
                }
            }
            ComplaintChange::CommunicationRecorded {
                direction: Direction::Outbound,
                ..
            }
            | ComplaintChange::ReplySent { .. }
            | ComplaintChange::PointsOfComplaintRecorded { sent: true, .. } => {
                self.updated(policy, at)
            }
            ComplaintChange::WaitingOnCustomer { .. } => {
                self.updated(policy, at);
                self.waiting = true;
                self.pause(policy, at);
            }
            ComplaintChange::CustomerResponded { .. } => {
                self.waiting = false;
                self.resume(policy, at);
            }
            ComplaintChange::ComplaintResolved { .. } => {
                if self.waiting {
                    self.waiting = false;
                    self.resume(policy, at);
                }
                self.resolved = true;
                for clock in SlaClock::ALL {
                    self.meet(clock, at);
                }
            }
            ComplaintChange::ComplaintReopened { .. } => {
                self.resolved = false;
                for clock in [SlaClock::Commit, SlaClock::Update, SlaClock::Resolve] {
                    self.start(policy, clock, at);
                }
            }
            ComplaintChange::PriorityChanged { to, .. } => {
                self.priority = *to;
                for clock in SlaClock::TARGETED {
                    let target = policy.target(self.tier, self.priority, clock);
                    let state = self.clock_mut(clock);
                    if state.is_open() {
                        state.target = target;
                        retarget(state, policy, target, at);
                    }
                }
            }
            ComplaintChange::CategoryChanged { to, .. } => self.category = to.clone(),
            _ => {}
        }
        let mut outcomes: Vec<ClockOutcome> = self
            .clocks
            .iter()
            .zip(before)
            .filter(|(state, (cycle, was_open))| {
                *was_open && (state.cycle != *cycle || !state.is_open())
            })
            .map(|(state, (cycle, _))| ClockOutcome {
                clock: state.clock,
                cycle,
                met_at: if self.ended.contains(&(state.clock, cycle)) {
                    None
                } else if state.cycle == cycle {
                    state.met_at
                } else {
                    Some(at)
                },
                revoked_breach: None,
            })
            .collect();
        self.ended.clear();
        for (clock, cycle, due) in self.revoked.drain(..) {
            if let Some(outcome) = outcomes
                .iter_mut()
                .find(|o| o.clock == clock && o.cycle == cycle)
            {
                outcome.revoked_breach = Some(due);
            }
        }
        outcomes
    }

    /// Like [`ComplaintSla::apply`], and also measures every run the event met: how long it
    /// took in working and in elapsed time (time paused not counted), and whether it was met
    /// within its target. What the response-speed reports count.
    pub fn apply_measured(
        &mut self,
        policy: &SlaPolicy,
        event: &ComplaintEvent,
    ) -> (Vec<ClockOutcome>, Vec<RunMeasure>) {
        let before = self.clocks.clone();
        let outcomes = self.apply(policy, event);
        let measures = outcomes
            .iter()
            .filter_map(|outcome| {
                let met_at = outcome.met_at?;
                let run = before
                    .iter()
                    .find(|c| c.clock == outcome.clock && c.cycle == outcome.cycle)?;
                let started_at = run.started_at?;
                let (business, calendar) = match run.running_since {
                    Some(since) => (
                        run.consumed_business_secs
                            + policy.measure(Basis::Business, since, met_at).num_seconds(),
                        run.consumed_elapsed_secs
                            + policy.measure(Basis::Calendar, since, met_at).num_seconds(),
                    ),
                    None => (run.consumed_business_secs, run.consumed_elapsed_secs),
                };
                Some(RunMeasure {
                    clock: outcome.clock,
                    cycle: outcome.cycle,
                    started_at,
                    met_at,
                    business_secs: business.max(0),
                    calendar_secs: calendar.max(0),
                    target: run.target,
                    breached: run.breached_at.is_some_and(|due| due <= met_at)
                        && outcome.revoked_breach.is_none(),
                })
            })
            .collect();
        (outcomes, measures)
    }

    /// The customer was told how things stand: the update clock's run is met and a new one
    /// starts (paused if we wait on them).
    fn updated(&mut self, policy: &SlaPolicy, at: DateTime<Utc>) {
        // Any message to the customer keeps the promise of the next update.
        self.meet(SlaClock::Promise, at);
        if self.resolved || self.clock(SlaClock::Update).started_at.is_none() {
            return;
        }
        self.meet(SlaClock::Update, at);
        self.start(policy, SlaClock::Update, at);
    }

    /// The worst state of its running clocks at `now`; when none runs, "met late" if any clock
    /// was met late, "met" if any ran, else "not started".
    pub fn status(&self, now: DateTime<Utc>) -> ClockStatus {
        let statuses: Vec<ClockStatus> = self.clocks.iter().map(|c| c.status(now)).collect();
        let done = |s: &ClockStatus| {
            matches!(
                s,
                ClockStatus::Met | ClockStatus::MetLate | ClockStatus::Ended | ClockStatus::Idle
            )
        };
        if let Some(open) = statuses.iter().copied().filter(|s| !done(s)).max() {
            return open;
        }
        // Nothing running: every clock that ran is done. Met late if any was.
        if statuses.contains(&ClockStatus::MetLate) {
            ClockStatus::MetLate
        } else if statuses.contains(&ClockStatus::Met) {
            ClockStatus::Met
        } else {
            ClockStatus::Idle
        }
    }

    /// The running clock due first, not yet breached: `(clock, due)`.
    pub fn next_due(&self) -> Option<(SlaClock, DateTime<Utc>)> {
        self.clocks
            .iter()
            .filter(|c| c.is_open() && c.breached_at.is_none())
            .filter_map(|c| c.due_at.map(|d| (c.clock, d)))
            .min_by_key(|(_, d)| *d)
    }

    /// The first at-risk moment still to come (not yet reached, before its due time).
    pub fn next_at_risk(&self) -> Option<DateTime<Utc>> {
        self.clocks
            .iter()
            .filter(|c| c.is_open() && c.breached_at.is_none() && c.at_risk_reached.is_none())
            .filter_map(|c| match (c.at_risk_at, c.due_at) {
                (Some(a), Some(d)) if a < d => Some(a),
                _ => None,
            })
            .min()
    }

    /// The due time of the oldest breach not yet made good.
    pub fn breached_since(&self) -> Option<DateTime<Utc>> {
        self.oldest_breach().map(|(_, due)| due)
    }

    /// The clock of the oldest breach not yet made good, and its due time.
    pub fn oldest_breach(&self) -> Option<(SlaClock, DateTime<Utc>)> {
        self.clocks
            .iter()
            .filter(|c| c.started_at.is_some() && c.met_at.is_none())
            .filter_map(|c| c.breached_at.map(|due| (c.clock, due)))
            .min_by_key(|(_, due)| *due)
    }

    /// The first at-risk moment of a running, unbreached clock (reached or not).
    pub fn at_risk_from(&self) -> Option<DateTime<Utc>> {
        self.clocks
            .iter()
            .filter(|c| c.is_open() && c.breached_at.is_none() && c.running_since.is_some())
            .filter_map(|c| c.at_risk_at)
            .min()
    }

    /// When time will next do something to a clock (an at-risk moment or a due time).
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        [self.next_at_risk(), self.next_due().map(|(_, d)| d)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether a clock is breached and still open (or ended breached, unmet).
    pub fn has_open_breach(&self) -> bool {
        self.clocks
            .iter()
            .any(|c| c.breached_at.is_some() && c.met_at.is_none() && c.started_at.is_some())
    }

    /// Whether some clock is paused and none runs.
    pub fn is_paused(&self) -> bool {
        let open = self
            .clocks
            .iter()
            .filter(|c| c.is_open() && c.target.is_some());
        let mut any = false;
        for c in open {
            if c.running_since.is_some() {
                return false;
            }
            any = true;
        }
        any
    }
}

/// Sets a clock's allowance from its target (or a promise's date), measured from its start,
/// and its due times.
fn retarget(state: &mut ClockState, policy: &SlaPolicy, target: Option<Target>, at: DateTime<Utc>) {
    if let (None, Some(date), Some(start)) = (target, state.deadline, state.started_at) {
        // Due at the end of the promised day (midnight after it, in the calendar's zone).
        let due = date
            .succ_opt()
            .map(|next| policy.calendar.instant(next, NaiveTime::MIN));
        match due {
            Some(due) => {
                state.allowance_secs = (due - start).num_seconds().max(0);
                schedule(state, policy, at);
            }
            None => {
                state.deadline = None;
                state.allowance_secs = 0;
                state.due_at = None;
                state.at_risk_at = None;
            }
        }
        return;
    }
    let (Some(target), Some(start)) = (target, state.started_at) else {
        state.allowance_secs = 0;
        state.due_at = None;
        state.at_risk_at = None;
        return;
    };
    match target.due(start, &policy.calendar) {
        Some(due) => {
            state.allowance_secs = policy.measure(target.basis, start, due).num_seconds();
            schedule(state, policy, at);
        }
        // No working time in reach (policies are checked for this when saved): nothing can
        // fall due.
        None => {
            state.allowance_secs = 0;
            state.target = None;
            state.due_at = None;
            state.at_risk_at = None;
        }
    }
}

/// Sets a running clock's due and at-risk moments from what it has left, not before `at`.
fn schedule(state: &mut ClockState, policy: &SlaPolicy, at: DateTime<Utc>) {
    let (Some(basis), Some(since)) = (state.basis(), state.running_since) else {
        state.due_at = None;
        state.at_risk_at = None;
        return;
    };
    let left = state
        .allowance_secs
        .saturating_sub(state.consumed(basis))
        .max(0);
    let risk = state
        .allowance_secs
        .saturating_mul(i64::from(policy.at_risk_percent))
        / 100;
    let after =
        |secs: i64| Duration::try_seconds(secs).and_then(|span| policy.add(basis, since, span));
    // A clock left with no time (a re-target to a shorter target) falls due at the change.
    state.due_at = after(left).map(|due| due.max(at));
    state.at_risk_at = after(left.saturating_sub(risk).max(0)).map(|risky| risky.max(at));
}

fn stop(state: &mut ClockState) {
    if let Some(since) = state.paused_since.take()
        && let Some(end) = state.met_at.or(state.ended_at)
    {
        state.paused_secs += (end - since).num_seconds().max(0);
    }
    state.running_since = None;
    state.due_at = None;
    state.at_risk_at = None;
}

impl BusinessCalendar {
    /// Close of business on the `days`-th working day after the local day of `start`.
    pub fn close_of_business_days_after(
        &self,
        start: DateTime<Utc>,
        days: i64,
    ) -> Option<DateTime<Utc>> {
        let mut date = start.with_timezone(&self.time_zone).date_naive();
        let mut left = days;
        for _ in 0..(3 * 366) {
            date = date.succ_opt()?;
            let intervals = self.intervals_on(date);
            if let Some(&(_, end)) = intervals.last() {
                left -= 1;
                if left <= 0 {
                    return Some(end);
                }
            }
        }
        None
    }
}
