//! Business-time arithmetic: worked examples across weekends, holidays and daylight-saving
//! changes, and properties checked on thousands of generated cases.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_domain::{BusinessCalendar, CalendarError};

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn local(tz: Tz, y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, m, day, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn london_office() -> BusinessCalendar {
    // 2026: Friday 3 April and Monday 6 April are UK bank holidays (Easter).
    BusinessCalendar::weekdays(
        chrono_tz::Europe::London,
        t(9, 0),
        t(17, 0),
        [d(2026, 4, 3), d(2026, 4, 6)],
    )
}

#[test]
fn two_working_hours_from_friday_afternoon_end_on_monday_morning() {
    let cal = london_office();
    let london = chrono_tz::Europe::London;
    let friday = local(london, 2026, 3, 20, 16, 0);
    assert_eq!(
        cal.add(friday, Duration::hours(2)),
        Some(local(london, 2026, 3, 23, 10, 0))
    );
    assert_eq!(
        cal.between(friday, local(london, 2026, 3, 23, 10, 0)),
        Duration::hours(2)
    );
}

#[test]
fn holidays_are_skipped_like_weekends() {
    let cal = london_office();
    let london = chrono_tz::Europe::London;
    // Thursday 2 April 16:00 + 2 h: Good Friday, the weekend and Easter Monday are off.
    assert_eq!(
        cal.add(local(london, 2026, 4, 2, 16, 0), Duration::hours(2)),
        Some(local(london, 2026, 4, 7, 10, 0))
    );
    assert_eq!(
        cal.between(
            local(london, 2026, 4, 2, 0, 0),
            local(london, 2026, 4, 8, 0, 0)
        ),
        Duration::hours(16),
        "Thursday and Tuesday only"
    );
}

#[test]
fn a_start_outside_hours_waits_for_the_next_opening() {
    let cal = london_office();
    let london = chrono_tz::Europe::London;
    assert_eq!(
        cal.add(local(london, 2026, 3, 21, 11, 0), Duration::minutes(30)),
        Some(local(london, 2026, 3, 23, 9, 30)),
        "Saturday → Monday"
    );
    assert_eq!(
        cal.add(local(london, 2026, 3, 23, 7, 0), Duration::zero()),
        Some(local(london, 2026, 3, 23, 9, 0)),
        "zero work waits for the opening"
    );
}

#[test]
fn working_days_follow_local_time_across_daylight_saving_changes() {
    let london = chrono_tz::Europe::London;
    let cal = london_office();
    // Clocks went forward on Sunday 29 March 2026: 09:00 London is 09:00 UTC on Friday
    // 27 March and 08:00 UTC on Monday 30 March. Friday 16:00 + 2 h = Monday 10:00 local.
    let friday = local(london, 2026, 3, 27, 16, 0);
    let monday = cal.add(friday, Duration::hours(2)).unwrap();
    assert_eq!(monday, local(london, 2026, 3, 30, 10, 0));
    assert_eq!(monday, Utc.with_ymd_and_hms(2026, 3, 30, 9, 0, 0).unwrap());
    // Around the clock in London: the day the clocks go forward has 23 hours, the day they
    // go back 25.
    let mut always_london = BusinessCalendar::always();
    always_london.time_zone = london;
    assert_eq!(
        always_london.between(
            local(london, 2026, 3, 29, 0, 0),
            local(london, 2026, 3, 30, 0, 0)
        ),
        Duration::hours(23)
    );
    assert_eq!(
        always_london.between(
            local(london, 2026, 10, 25, 0, 0),
            local(london, 2026, 10, 26, 0, 0)
        ),
        Duration::hours(25)
    );
    // Calendar time is elapsed time.
    let start = local(london, 2026, 3, 28, 12, 0);
    assert_eq!(
        BusinessCalendar::always().add(start, Duration::hours(24)),
        Some(start + Duration::hours(24))
    );
}

#[test]
fn bad_hours_are_refused_with_the_day_named() {
    let mut cal = london_office();
    cal.hours[2] = vec![(t(13, 0), t(17, 0)), (t(9, 0), t(12, 0))];
    assert_eq!(
        cal.validate(),
        Err(CalendarError::BadHours {
            weekday: "Wednesday"
        })
    );
    cal.hours = Default::default();
    assert_eq!(cal.validate(), Err(CalendarError::NoHours));
    assert_eq!(
        cal.add(Utc::now(), Duration::hours(1)),
        None,
        "no working time: no answer"
    );
    assert!(london_office().validate().is_ok());
}

fn calendars() -> Vec<BusinessCalendar> {
    let mut split = BusinessCalendar::weekdays(
        chrono_tz::America::New_York,
        t(8, 0),
        t(12, 0),
        [d(2026, 7, 3), d(2026, 11, 26)],
    );
    for day in 0..5 {
        split.hours[day].push((t(13, 0), t(17, 30)));
    }
    split.hours[5] = vec![(t(10, 0), t(14, 0))];
    let mut night = BusinessCalendar::weekdays(chrono_tz::Asia::Shanghai, t(20, 0), t(0, 0), []);
    night.hours[6] = vec![(t(0, 0), t(0, 0))];
    let mut bucharest = BusinessCalendar::always();
    bucharest.time_zone = chrono_tz::Europe::Bucharest;
    vec![
        london_office(),
        split,
        night,
        bucharest,
        BusinessCalendar::always(),
    ]
}

/// Adding working time and measuring it back gives the same duration; the result lies in
/// working time (unless nothing was added); more work never ends earlier.
#[test]
fn adding_then_measuring_gives_the_same_duration_for_generated_cases() {
    let mut rng = StdRng::seed_from_u64(2026);
    let year_start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut cases = 0;
    for cal in calendars() {
        cal.validate().unwrap();
        for _ in 0..800 {
            let start = year_start + Duration::minutes(rng.gen_range(0..366 * 24 * 60));
            let work = Duration::minutes(rng.gen_range(0..300 * 60));
            let end = cal
                .add(start, work)
                .expect("working time within three years");
            assert!(end >= start);
            assert_eq!(cal.between(start, end), work, "{start} + {work}");
            if work > Duration::zero() {
                assert!(
                    cal.is_working(end - Duration::seconds(1)),
                    "{start} + {work} ended outside working time at {end}"
                );
            }
            let more = work + Duration::minutes(rng.gen_range(0..600));
            assert!(cal.add(start, more).unwrap() >= end);
            // Working time is additive over any split point.
            let middle = start + (end - start) / 2;
            assert_eq!(cal.between(start, middle) + cal.between(middle, end), work);
            cases += 1;
        }
    }
    assert_eq!(cases, 4_000);
}

#[test]
fn holidays_and_weekends_never_count() {
    let cal = london_office();
    let mut rng = StdRng::seed_from_u64(7);
    let london = chrono_tz::Europe::London;
    for _ in 0..500 {
        let day = d(2026, 1, 1) + Duration::days(rng.gen_range(0..365));
        let next = day + Duration::days(1);
        let start = local(london, day.year(), day.month(), day.day(), 0, 0);
        let end = local(london, next.year(), next.month(), next.day(), 0, 0);
        let worked = cal.between(start, end);
        let off = cal.holidays.contains(&day)
            || matches!(day.format("%a").to_string().as_str(), "Sat" | "Sun");
        assert_eq!(
            worked,
            if off {
                Duration::zero()
            } else {
                Duration::hours(8)
            },
            "{day}"
        );
    }
}

#[test]
fn working_time_is_told_in_the_calendars_working_days_not_in_24_hour_days() {
    let cal = london_office();
    let london = chrono_tz::Europe::London;
    // Monday 9 March, 14:00: 3 hours left today, then whole 8-hour days.
    let monday = local(london, 2026, 3, 9, 14, 0);
    // Ten business days of 8 hours are 80 hours, not "3 d 8 h".
    assert_eq!(
        cal.in_working_days(monday, Duration::hours(80)),
        (10, Duration::zero())
    );
    // One business week is five days, not "1 d 16 h".
    assert_eq!(
        cal.in_working_days(monday, Duration::hours(40)),
        (5, Duration::zero())
    );
    // 3 hours today and 4 whole days: Tuesday to Friday.
    assert_eq!(
        cal.in_working_days(monday, Duration::hours(35)),
        (4, Duration::hours(3))
    );
    // Less than what is left of today: hours only.
    assert_eq!(
        cal.in_working_days(monday, Duration::minutes(150)),
        (0, Duration::minutes(150))
    );
    // From Friday 16:00, over a weekend: 1 hour on Friday, Monday whole, 2 h on Tuesday.
    let friday = local(london, 2026, 3, 13, 16, 0);
    assert_eq!(
        cal.in_working_days(friday, Duration::hours(11)),
        (1, Duration::hours(3))
    );
    // Over Easter (Good Friday and Easter Monday off): Thursday 2 April 17:00, 16 h left are
    // Tuesday 7 and Wednesday 8 April.
    assert_eq!(
        cal.in_working_days(local(london, 2026, 4, 2, 17, 0), Duration::hours(16)),
        (2, Duration::zero())
    );
    // Nothing left: nothing.
    assert_eq!(
        cal.in_working_days(monday, Duration::zero()),
        (0, Duration::zero())
    );
}
