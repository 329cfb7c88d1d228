//! Business time: a calendar's working hours in its own time zone, minus holidays, and the
//! arithmetic SLA clocks need — adding working time to an instant, and measuring the working
//! time between two instants. Everything takes instants in UTC and converts through the
//! calendar's zone day by day, so daylight-saving changes fall where they do locally (a
//! working day that spans a change is an hour shorter or longer).
//!
//! SLA policies and clocks ([`crate::sla`]) build on it.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How far ahead [`BusinessCalendar::add`] looks for working time before giving up.
const HORIZON_DAYS: i64 = 3 * 366;

/// Working hours in a time zone, minus holidays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// The zone the hours are in.
    pub time_zone: Tz,
    /// Working intervals per weekday, Monday first: `(start, end)` local times, start < end,
    /// in order and not overlapping. An end of 00:00 means midnight at the end of the day.
    pub hours: [Vec<(NaiveTime, NaiveTime)>; 7],
    /// Days off (local dates).
    pub holidays: BTreeSet<NaiveDate>,
}

/// Why a calendar is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A day's intervals are reversed, overlap or are out of order.
    #[error(
        "the working hours of {weekday} must be in order, each start before its end, without overlap"
    )]
    BadHours {
        /// The weekday's English name.
        weekday: &'static str,
    },
    /// No working time at all.
    #[error("the calendar has no working hours")]
    NoHours,
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl BusinessCalendar {
    /// Monday to Friday, `start` to `end` each day, in `time_zone`, with `holidays`.
    pub fn weekdays(
        time_zone: Tz,
        start: NaiveTime,
        end: NaiveTime,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        let day = vec![(start, end)];
        Self {
            time_zone,
            hours: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Every hour of every day, in UTC: calendar time as a calendar.
    pub fn always() -> Self {
        let day = vec![(NaiveTime::MIN, NaiveTime::MIN)];
        Self {
            time_zone: chrono_tz::UTC,
            hours: std::array::from_fn(|_| day.clone()),
            holidays: BTreeSet::new(),
        }
    }

    /// Checks the hours make sense.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let mut any = false;
        for (weekday, intervals) in self.hours.iter().enumerate() {
            let mut previous_end: Option<NaiveTime> = None;
            for &(start, end) in intervals {
                let end_is_midnight = end == NaiveTime::MIN;
                let ordered = end_is_midnight || start < end;
                let after_previous = previous_end.is_none_or(|p| p != NaiveTime::MIN && p <= start);
                if !ordered || !after_previous {
                    return Err(CalendarError::BadHours {
                        weekday: WEEKDAYS[weekday],
                    });
                }
                previous_end = Some(end);
                any = true;
            }
        }
        if any {
            Ok(())
        } else {
            Err(CalendarError::NoHours)
        }
    }

    /// The instant a local date and time names (the later side of a gap when the clocks
    /// jump forward, the earlier of two when they fall back).
    pub(crate) fn instant(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let mut local = date.and_time(time);
        for _ in 0..4 {
            match self.time_zone.from_local_datetime(&local) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
                LocalResult::None => local += Duration::minutes(30),
            }
        }
        Utc.from_utc_datetime(&local)
    }

    /// The working intervals of one local date, as instants (none on a holiday).
    pub fn intervals_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&date) {
            return vec![];
        }
        let weekday = date.weekday().num_days_from_monday() as usize;
        self.hours[weekday]
            .iter()
            .map(|&(start, end)| {
                let from = self.instant(date, start);
                let to = if end == NaiveTime::MIN {
                    self.instant(date.succ_opt().unwrap_or(date), NaiveTime::MIN)
                } else {
                    self.instant(date, end)
                };
                (from, to)
            })
            .filter(|(from, to)| from < to)
            .collect()
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// The instant when `work` of working time has passed since `start`; `None` when the
    /// calendar has no working time within three years.
    pub fn add(&self, start: DateTime<Utc>, work: Duration) -> Option<DateTime<Utc>> {
        let mut left = work.max(Duration::zero());
        // The local day before, too: an interval may start the day before and run past
        // midnight into `start`'s local date.
        let mut date = self.local_date(start).pred_opt()?;
        for _ in 0..HORIZON_DAYS {
            for (from, to) in self.intervals_on(date) {
                if to <= start {
                    continue;
                }
                let from = from.max(start);
                let available = to - from;
                if left <= available {
                    return Some(from + left);
                }
                left -= available;
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// The working time between `from` and `to` (zero when `to` is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        let last = self.local_date(to);
        let Some(mut date) = self.local_date(from).pred_opt() else {
            return total;
        };
        while date <= last {
            for (start, end) in self.intervals_on(date) {
                let (start, end) = (start.max(from), end.min(to));
                if start < end {
                    total += end - start;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    /// `work` of working time from `start`, told in this calendar's working days: how many
    /// whole working days it takes after what is left of `start`'s own day, and the working
    /// time besides (what is left of that day and the part of the last), a whole working day's
    /// worth of which counts as one more day. A working day is the calendar's, not 24 hours:
    /// ten business days of 8 hours are 80 hours, told as 10 days.
    pub fn in_working_days(&self, start: DateTime<Utc>, work: Duration) -> (i64, Duration) {
        let mut left = work.max(Duration::zero());
        let today = self.local_date(start);
        let end_of_today = today
            .succ_opt()
            .map_or(start, |next| self.instant(next, NaiveTime::MIN));
        let mut rest = left.min(self.between(start, end_of_today));
        left -= rest;
        let (mut days, mut longest) = (0_i64, Duration::zero());
        let mut date = today;
        for _ in 0..HORIZON_DAYS {
            if left <= Duration::zero() {
                break;
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
            let day: Duration = self
                .intervals_on(date)
                .iter()
                .map(|(from, to)| *to - *from)
                .sum();
            if day <= Duration::zero() {
                continue;
            }
            longest = longest.max(day);
            if left >= day {
                days += 1;
                left -= day;
            } else {
                rest += left;
                left = Duration::zero();
            }
        }
        rest += left.max(Duration::zero());
        if longest > Duration::zero() {
            while rest >= longest {
                days += 1;
                rest -= longest;
            }
        }
        (days, rest)
    }

    /// Whether `at` falls within working time.
    pub fn is_working(&self, at: DateTime<Utc>) -> bool {
        let date = self.local_date(at);
        [date.pred_opt(), Some(date)]
            .into_iter()
            .flatten()
            .flat_map(|d| self.intervals_on(d))
            .any(|(from, to)| from <= at && at < to)
    }
}
