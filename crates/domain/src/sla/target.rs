//! Targets ("3 business days", "8 weeks") and when one falls due in a calendar.

use super::*;

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
    pub(super) const MAX_DAYS: u32 = 731;

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

    pub(super) fn rough_days(&self) -> u32 {
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
    pub(super) fn get(&self, priority: Priority) -> &ClockTargets {
        match priority {
            Priority::Low => &self.low,
            Priority::Normal => &self.normal,
            Priority::High => &self.high,
            Priority::Urgent => &self.urgent,
        }
    }

    pub(super) fn get_mut(&mut self, priority: Priority) -> &mut ClockTargets {
        match priority {
            Priority::Low => &mut self.low,
            Priority::Normal => &mut self.normal,
            Priority::High => &mut self.high,
            Priority::Urgent => &mut self.urgent,
        }
    }
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
