//! What a page shows of a complaint is folded from its events by the domain, in one place:
//! the complaint now or as of a moment (`Complaint::from_events`, `Complaint::as_of`) and its
//! SLA clocks as of a moment (`ComplaintSla::replay`), which the complaint page, its time
//! travel, the API and the dashboard's time travel all ask.

#[expect(
    dead_code,
    reason = "the support module is shared by several test binaries; each uses part of it"
)]
mod support;

use chrono::{Duration, NaiveTime, TimeZone};
use cqrs_es::Aggregate;
use redress_domain::sla::ClockStatus;
use redress_domain::{
    BusinessCalendar, Complaint, ComplaintEvent, ComplaintSla, Preset, Priority, SlaClock, Target,
    Tier,
};
use support::*;

/// `history` with its events an hour apart, from Friday 20 March 2026, 15:00 in London.
fn hourly(mut history: Vec<ComplaintEvent>) -> Vec<ComplaintEvent> {
    let start = chrono_tz::Europe::London
        .with_ymd_and_hms(2026, 3, 20, 15, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    for (i, event) in history.iter_mut().enumerate() {
        event.occurred_at = start + Duration::hours(i as i64);
    }
    history
}

#[test]
fn a_complaint_folded_from_its_events_is_the_one_the_repository_builds() {
    let history = owned();
    let mut applied = Complaint::default();
    for event in history.clone() {
        applied.apply(event);
    }
    let folded = Complaint::from_events(&history);
    assert_eq!(folded.progress(), applied.progress());
    assert_eq!(folded.status(), applied.status());
    assert_eq!(folded.owner(), applied.owner());
    assert_eq!(folded.reference(), applied.reference());
}

#[test]
fn a_complaint_as_of_a_moment_has_only_the_events_up_to_it() {
    let history = hourly(acknowledged());
    let received = history[0].occurred_at;
    assert!(
        Complaint::as_of(&history, received - Duration::seconds(1)).is_none(),
        "not yet received"
    );
    let then = Complaint::as_of(&history, received + Duration::minutes(30)).unwrap();
    assert!(!then.progress().acknowledged);
    let now = Complaint::as_of(&history, received + Duration::hours(1)).unwrap();
    assert!(now.progress().acknowledged);
}

#[test]
fn the_clocks_replayed_as_of_a_moment_count_only_the_events_up_to_it() {
    let calendar = BusinessCalendar::weekdays(
        chrono_tz::Europe::London,
        NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        [],
    );
    let mut policy = Preset::Default.policy(calendar);
    for tier in [Tier::Standard, Tier::KeyAccount] {
        for priority in [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ] {
            policy.set_target(
                tier,
                priority,
                SlaClock::Acknowledge,
                Some(Target::parse("4 business hours").unwrap()),
            );
        }
    }
    // Received Friday 15:00, acknowledged at 16:00: due Monday 11:00 (two hours each day).
    let history = hourly(acknowledged());
    let friday_half_past_three = history[0].occurred_at + Duration::minutes(30);
    let monday_noon = history[0].occurred_at + Duration::hours(69);

    let before_ack = ComplaintSla::replay(&history, &policy, 3, friday_half_past_three).unwrap();
    assert_eq!(before_ack.policy_version, 3);
    let clock = before_ack.clock(SlaClock::Acknowledge);
    assert!(clock.met_at.is_none());
    assert_eq!(clock.status(friday_half_past_three), ClockStatus::OnTrack);

    let all = ComplaintSla::replay(&history, &policy, 3, monday_noon).unwrap();
    assert_eq!(
        all.clock(SlaClock::Acknowledge).met_at,
        Some(history[1].occurred_at)
    );
    // Without the acknowledgement the same moment is a breach.
    let unacknowledged = ComplaintSla::replay(&history[..1], &policy, 3, monday_noon).unwrap();
    assert!(unacknowledged.has_open_breach());
    assert!(!all.has_open_breach());
    // A history that does not start with the receipt is no complaint's.
    assert!(ComplaintSla::replay(&history[1..], &policy, 3, monday_noon).is_none());
}
