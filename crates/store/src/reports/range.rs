//! What a report asks for: a range of days in a time zone, how its days are grouped, what
//! it is broken down by, and its filters.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use redress_domain::Basis;

/// What a report can be broken down by: the dimensions of the projection, and company.
pub const BREAKDOWNS: [&str; 8] = [
    "all", "owner", "team", "category", "channel", "priority", "tier", "company",
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
    pub(super) fn bounds(&self) -> (String, String) {
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
    pub(super) fn next(self, start: NaiveDate) -> NaiveDate {
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

pub(super) fn parse_day(day: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}
