//! SLA clocks on worked examples with a fixed clock: every clock's start, pause, resume,
//! fulfilment and breach, across weekends, holidays and daylight-saving changes, in business
//! and calendar time, and the FCA and CFPB presets; then properties on generated cases.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redress_domain::sla::{Basis, ClockStatus, PolicyError, Unit};
use redress_domain::{
    Actor, BusinessCalendar, ComplaintChange, ComplaintEvent, ComplaintSla, Direction, Outcome,
    Preset, Priority, Sealed, SlaClock, SlaPolicy, StaffMember, Target, Tier, Transition,
};

const LONDON: Tz = chrono_tz::Europe::London;
const NEW_YORK: Tz = chrono_tz::America::New_York;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(tz: Tz, y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, m, day, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// 09:00–17:00 Monday to Friday in London; Good Friday and Easter Monday 2026 off.
fn london_office() -> BusinessCalendar {
    BusinessCalendar::weekdays(LONDON, t(9, 0), t(17, 0), [d(2026, 4, 3), d(2026, 4, 6)])
}

fn event(occurred_at: DateTime<Utc>, change: ComplaintChange) -> ComplaintEvent {
    ComplaintEvent {
        occurred_at,
        by: Actor::System {
            name: "test".into(),
        },
        change,
    }
}

fn ack() -> ComplaintChange {
    ComplaintChange::ComplaintAcknowledged {
        apology: "Sorry".into(),
    }
}

fn owner() -> ComplaintChange {
    ComplaintChange::OwnerAssigned {
        owner: StaffMember {
            id: uuid::Uuid::nil(),
            name: "Ana".into(),
        },
        previous: None,
    }
}

fn commit() -> ComplaintChange {
    ComplaintChange::ActionCommitted {
        action: "Refund".into(),
        due_on: d(2026, 12, 1),
    }
}

fn update() -> ComplaintChange {
    ComplaintChange::ProgressUpdateSent {
        message: "Still on it".into(),
        next_update_on: d(2026, 12, 1),
    }
}

fn wait() -> ComplaintChange {
    ComplaintChange::WaitingOnCustomer {
        request: "Your receipt, please".into(),
    }
}

fn responded() -> ComplaintChange {
    ComplaintChange::CustomerResponded {
        response: Sealed("sealed".into()),
    }
}

fn resolved() -> ComplaintChange {
    ComplaintChange::ComplaintResolved {
        outcome: Outcome::Upheld,
        decisions: vec![],
        reasons: "We were wrong".into(),
        remedy: None,
        redress_paid_cents: None,
    }
}

/// Runs time forward to `now` and applies `change` there, as the projector does.
fn step(
    sla: &mut ComplaintSla,
    policy: &SlaPolicy,
    now: DateTime<Utc>,
    change: ComplaintChange,
) -> Vec<Transition> {
    let transitions = sla.advance(now);
    sla.apply(policy, &event(now, change));
    transitions
}

fn policy_with(calendar: BusinessCalendar, clock: SlaClock, target: &str) -> SlaPolicy {
    let mut policy = Preset::Default.policy(calendar);
    policy.set_target(
        Tier::Standard,
        Priority::Normal,
        clock,
        Some(Target::parse(target).unwrap()),
    );
    policy
}

fn received(policy: &SlaPolicy, when: DateTime<Utc>) -> ComplaintSla {
    ComplaintSla::received(
        1,
        policy,
        Tier::Standard,
        Priority::Normal,
        "Billing".into(),
        when,
    )
}

#[test]
fn acknowledgement_due_in_business_hours_runs_over_the_weekend_and_is_breached_on_monday() {
    let policy = policy_with(london_office(), SlaClock::Acknowledge, "4 business hours");
    // Friday 20 March 2026, 15:00 London: two working hours left on Friday, two on Monday.
    let friday = at(LONDON, 2026, 3, 20, 15, 0);
    let mut sla = received(&policy, friday);
    let clock = sla.clock(SlaClock::Acknowledge).clone();
    assert_eq!(clock.started_at, Some(friday));
    assert_eq!(clock.due_at, Some(at(LONDON, 2026, 3, 23, 11, 0)));
    // At risk with a quarter (one hour) left: Monday 10:00.
    assert_eq!(clock.at_risk_at, Some(at(LONDON, 2026, 3, 23, 10, 0)));
    assert_eq!(
        clock.status(at(LONDON, 2026, 3, 22, 12, 0)),
        ClockStatus::OnTrack
    );
    assert_eq!(
        clock.status(at(LONDON, 2026, 3, 23, 10, 30)),
        ClockStatus::AtRisk
    );
    assert_eq!(
        clock.status(at(LONDON, 2026, 3, 23, 11, 0)),
        ClockStatus::Breached
    );

    // Nothing happens over the weekend.
    assert!(sla.advance(at(LONDON, 2026, 3, 22, 23, 0)).is_empty());
    let transitions = sla.advance(at(LONDON, 2026, 3, 23, 12, 0));
    assert!(transitions.contains(&Transition::AtRisk {
        clock: SlaClock::Acknowledge,
        cycle: 1,
        at: at(LONDON, 2026, 3, 23, 10, 0),
        due_at: at(LONDON, 2026, 3, 23, 11, 0),
    }));
    assert!(transitions.contains(&Transition::Breached {
        clock: SlaClock::Acknowledge,
        cycle: 1,
        due_at: at(LONDON, 2026, 3, 23, 11, 0),
    }));
    // Advancing again records nothing twice.
    assert!(sla.advance(at(LONDON, 2026, 3, 23, 13, 0)).is_empty());
    assert!(sla.has_open_breach());

    // Acknowledged late: met late, the breach stays on record, and the update clock starts.
    let late = at(LONDON, 2026, 3, 23, 14, 0);
    let outcomes = sla.apply(&policy, &event(late, ack()));
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].met_at, Some(late));
    let clock = sla.clock(SlaClock::Acknowledge);
    assert_eq!(clock.status(late), ClockStatus::MetLate);
    assert_eq!(clock.breached_at, Some(at(LONDON, 2026, 3, 23, 11, 0)));
    assert_eq!(sla.clock(SlaClock::Update).started_at, Some(late));
    assert_eq!(sla.clock(SlaClock::Update).cycle, 1);
}

#[test]
fn met_in_time_is_never_breached() {
    let policy = policy_with(london_office(), SlaClock::Owner, "1 business hours");
    let start = at(LONDON, 2026, 3, 24, 9, 0);
    let mut sla = received(&policy, start);
    step(&mut sla, &policy, at(LONDON, 2026, 3, 24, 9, 59), owner());
    assert_eq!(
        sla.clock(SlaClock::Owner)
            .status(at(LONDON, 2026, 3, 30, 9, 0)),
        ClockStatus::Met
    );
    assert!(
        sla.advance(at(LONDON, 2026, 4, 30, 9, 0))
            .iter()
            .all(|t| !matches!(
                t,
                Transition::Breached {
                    clock: SlaClock::Owner,
                    ..
                }
            ))
    );
}

#[test]
fn waiting_on_the_customer_pauses_commit_update_and_resolve_but_not_the_owner_clock() {
    let mut policy = Preset::Default.policy(london_office());
    policy.set_target(
        Tier::Standard,
        Priority::Normal,
        SlaClock::Resolve,
        Some(Target::business(2, Unit::Days)),
    );
    // Monday 23 March 09:00: resolve due at close of business on Wednesday 25 March.
    let start = at(LONDON, 2026, 3, 23, 9, 0);
    let mut sla = received(&policy, start);
    assert_eq!(
        sla.clock(SlaClock::Resolve).due_at,
        Some(at(LONDON, 2026, 3, 25, 17, 0))
    );
    // 24 working hours allowed.
    assert_eq!(sla.clock(SlaClock::Resolve).allowance_secs, 24 * 3600);
    step(&mut sla, &policy, at(LONDON, 2026, 3, 23, 10, 0), ack());
    // Waiting from Monday 13:00 (4 working hours used) until Thursday 11:00.
    step(&mut sla, &policy, at(LONDON, 2026, 3, 23, 13, 0), wait());
    let resolve = sla.clock(SlaClock::Resolve);
    assert_eq!(resolve.running_since, None);
    assert_eq!(resolve.consumed_business_secs, 4 * 3600);
    assert_eq!(
        resolve.status(at(LONDON, 2026, 3, 26, 9, 0)),
        ClockStatus::Paused
    );
    assert_eq!(sla.clock(SlaClock::Commit).running_since, None);
    assert_eq!(sla.clock(SlaClock::Update).running_since, None);
    // The owner clock does not wait for the customer.
    assert!(sla.clock(SlaClock::Owner).running_since.is_some());
    assert!(!sla.is_paused(), "the owner clock still runs");
    // Wednesday's due time passes while paused: no breach.
    let paused = sla.advance(at(LONDON, 2026, 3, 26, 10, 0));
    assert!(
        paused
            .iter()
            .all(|t| !matches!(t, Transition::Breached { clock, .. } if clock.pauses()))
    );

    step(
        &mut sla,
        &policy,
        at(LONDON, 2026, 3, 26, 11, 0),
        responded(),
    );
    let resolve = sla.clock(SlaClock::Resolve);
    // 20 working hours left from Thursday 11:00: Thursday 6, Friday 8, Monday 6 → Mon 15:00.
    assert_eq!(resolve.due_at, Some(at(LONDON, 2026, 3, 30, 15, 0)));
    assert_eq!(
        resolve.paused_secs,
        (at(LONDON, 2026, 3, 26, 11, 0) - at(LONDON, 2026, 3, 23, 13, 0)).num_seconds()
    );
    // Still waiting time never counts, breach comes at the shifted due time.
    let transitions = sla.advance(at(LONDON, 2026, 3, 30, 16, 0));
    assert!(transitions.contains(&Transition::Breached {
        clock: SlaClock::Resolve,
        cycle: 1,
        due_at: at(LONDON, 2026, 3, 30, 15, 0),
    }));
}

#[test]
fn the_update_clock_restarts_after_every_update_and_each_run_is_judged_alone() {
    let policy = policy_with(london_office(), SlaClock::Update, "1 business days");
    let start = at(LONDON, 2026, 3, 23, 9, 0);
    let mut sla = received(&policy, start);
    assert_eq!(sla.clock(SlaClock::Update).started_at, None);
    step(&mut sla, &policy, at(LONDON, 2026, 3, 23, 10, 0), ack());
    // Acknowledged Monday: an update is owed by close of business Tuesday.
    assert_eq!(
        sla.clock(SlaClock::Update).due_at,
        Some(at(LONDON, 2026, 3, 24, 17, 0))
    );
    // Updated Tuesday 12:00: run 1 met, run 2 due Wednesday 17:00.
    let outcomes = sla.apply(&policy, &event(at(LONDON, 2026, 3, 24, 12, 0), update()));
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].clock, SlaClock::Update);
    assert_eq!(outcomes[0].cycle, 1);
    let clock = sla.clock(SlaClock::Update);
    assert_eq!(clock.cycle, 2);
    assert_eq!(clock.due_at, Some(at(LONDON, 2026, 3, 25, 17, 0)));
    // No update on Wednesday: run 2 is breached at 17:00.
    let transitions = sla.advance(at(LONDON, 2026, 3, 26, 9, 0));
    assert!(transitions.contains(&Transition::Breached {
        clock: SlaClock::Update,
        cycle: 2,
        due_at: at(LONDON, 2026, 3, 25, 17, 0),
    }));
    // An outbound communication counts as an update: run 2 met late, run 3 on track.
    let call = ComplaintChange::CommunicationRecorded {
        direction: Direction::Outbound,
        channel: redress_domain::Channel::Phone,
        summary: Sealed("x".into()),
    };
    step(&mut sla, &policy, at(LONDON, 2026, 3, 26, 9, 30), call);
    let clock = sla.clock(SlaClock::Update);
    assert_eq!(clock.cycle, 3);
    assert_eq!(clock.breached_at, None);
    // An inbound one does not.
    let inbound = ComplaintChange::CommunicationRecorded {
        direction: Direction::Inbound,
        channel: redress_domain::Channel::Phone,
        summary: Sealed("x".into()),
    };
    step(&mut sla, &policy, at(LONDON, 2026, 3, 26, 10, 0), inbound);
    assert_eq!(sla.clock(SlaClock::Update).cycle, 3);
    // The outcome is the last update; nothing is owed after it.
    step(&mut sla, &policy, at(LONDON, 2026, 3, 26, 11, 0), owner());
    step(&mut sla, &policy, at(LONDON, 2026, 3, 26, 12, 0), commit());
    step(
        &mut sla,
        &policy,
        at(LONDON, 2026, 3, 26, 13, 0),
        resolved(),
    );
    assert!(sla.clocks.iter().all(|c| !c.is_open()));
    assert!(sla.advance(at(LONDON, 2026, 6, 1, 9, 0)).is_empty());
    // Nothing runs any more: the complaint's standards were met, one run late.
    assert_eq!(
        sla.status(at(LONDON, 2026, 6, 1, 9, 0)),
        ClockStatus::MetLate
    );
}

#[test]
fn reopening_starts_commit_update_and_resolve_afresh() {
    let policy = Preset::Default.policy(london_office());
    let mut sla = received(&policy, at(LONDON, 2026, 3, 23, 9, 0));
    for (h, change) in [(10, ack()), (11, owner()), (12, commit()), (13, resolved())] {
        step(&mut sla, &policy, at(LONDON, 2026, 3, 23, h, 0), change);
    }
    let reopened = at(LONDON, 2026, 3, 30, 9, 0);
    step(
        &mut sla,
        &policy,
        reopened,
        ComplaintChange::ComplaintReopened {
            reason: "Not fixed".into(),
        },
    );
    for clock in [SlaClock::Commit, SlaClock::Update, SlaClock::Resolve] {
        let state = sla.clock(clock);
        assert_eq!(state.cycle, 2, "{clock}");
        assert_eq!(state.started_at, Some(reopened), "{clock}");
        assert_eq!(state.status(reopened), ClockStatus::OnTrack, "{clock}");
    }
    for clock in [SlaClock::Acknowledge, SlaClock::Owner] {
        assert_eq!(sla.clock(clock).status(reopened), ClockStatus::Met);
    }
}

#[test]
fn a_priority_change_retargets_the_open_clocks_from_their_start() {
    let policy = Preset::Default.policy(london_office());
    let start = at(LONDON, 2026, 3, 23, 9, 0);
    let mut sla = received(&policy, start);
    // Normal: acknowledge in 4 business hours; urgent: 1.
    assert_eq!(
        sla.clock(SlaClock::Acknowledge).due_at,
        Some(at(LONDON, 2026, 3, 23, 13, 0))
    );
    step(
        &mut sla,
        &policy,
        at(LONDON, 2026, 3, 23, 9, 30),
        ComplaintChange::PriorityChanged {
            from: Priority::Normal,
            to: Priority::Urgent,
        },
    );
    assert_eq!(
        sla.clock(SlaClock::Acknowledge).due_at,
        Some(at(LONDON, 2026, 3, 23, 10, 0))
    );
    assert_eq!(sla.priority, Priority::Urgent);
}

#[test]
fn key_accounts_get_their_own_targets() {
    let policy = Preset::Default.policy(london_office());
    let start = at(LONDON, 2026, 3, 23, 9, 0);
    let key = ComplaintSla::received(
        1,
        &policy,
        Tier::KeyAccount,
        Priority::Normal,
        "x".into(),
        start,
    );
    let standard = received(&policy, start);
    assert!(key.clock(SlaClock::Acknowledge).due_at < standard.clock(SlaClock::Acknowledge).due_at);
}

#[test]
fn fca_summary_resolution_window_ends_on_the_third_business_day_across_the_clock_change() {
    let policy = Preset::FcaDisp.policy(london_office());
    // Friday 27 March 2026, 16:00 GMT. The clocks go forward on Sunday 29 March. The third
    // business day after the day of receipt is Wednesday 1 April; close of business is 17:00
    // BST = 16:00 UTC.
    let received_at = at(LONDON, 2026, 3, 27, 16, 0);
    let sla = received(&policy, received_at);
    let commit = sla.clock(SlaClock::Commit);
    assert_eq!(commit.due_at, Some(at(LONDON, 2026, 4, 1, 17, 0)));
    assert_eq!(
        commit.due_at,
        Some(Utc.with_ymd_and_hms(2026, 4, 1, 16, 0, 0).unwrap())
    );
    // Final response: 8 weeks (56 days) after the day of receipt, to the end of Friday 22
    // May, midnight BST.
    assert_eq!(
        sla.clock(SlaClock::Resolve).due_at,
        Some(Utc.with_ymd_and_hms(2026, 5, 22, 23, 0, 0).unwrap())
    );
}

#[test]
fn fca_business_days_skip_easter() {
    let policy = Preset::FcaDisp.policy(london_office());
    // Wednesday 1 April 2026: Thursday 2 (1), Good Friday, the weekend and Easter Monday off,
    // Tuesday 7 (2), Wednesday 8 (3).
    let sla = received(&policy, at(LONDON, 2026, 4, 1, 11, 0));
    assert_eq!(
        sla.clock(SlaClock::Commit).due_at,
        Some(at(LONDON, 2026, 4, 8, 17, 0))
    );
}

#[test]
fn cfpb_counts_calendar_days_in_the_calendars_zone_across_the_clock_change() {
    let calendar = BusinessCalendar::weekdays(NEW_YORK, t(9, 0), t(17, 0), []);
    let policy = Preset::Cfpb.policy(calendar);
    // Sunday 25 October 2026, 14:00 EDT; clocks go back on 1 November.
    let received_at = at(NEW_YORK, 2026, 10, 25, 14, 0);
    let mut sla = received(&policy, received_at);
    // Response within 15 days: the end of Monday 9 November, midnight EST = 05:00 UTC.
    assert_eq!(
        sla.clock(SlaClock::Commit).due_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 10, 5, 0, 0).unwrap())
    );
    // Final response within 60 days: the end of Thursday 24 December.
    assert_eq!(
        sla.clock(SlaClock::Resolve).due_at,
        Some(Utc.with_ymd_and_hms(2026, 12, 25, 5, 0, 0).unwrap())
    );
    // A calendar-time pause of exactly two days moves the due time by two days.
    step(&mut sla, &policy, at(NEW_YORK, 2026, 10, 26, 9, 0), ack());
    step(&mut sla, &policy, at(NEW_YORK, 2026, 10, 27, 9, 0), wait());
    step(
        &mut sla,
        &policy,
        at(NEW_YORK, 2026, 10, 29, 9, 0),
        responded(),
    );
    assert_eq!(
        sla.clock(SlaClock::Commit).due_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 12, 5, 0, 0).unwrap())
    );
    assert_eq!(
        sla.clock(SlaClock::Commit)
            .status(Utc.with_ymd_and_hms(2026, 11, 12, 5, 0, 0).unwrap()),
        ClockStatus::Breached
    );
}

#[test]
fn psd2_preset_has_fifteen_and_thirty_five_business_days() {
    let policy = Preset::Psd2.policy(london_office());
    let commit = policy
        .target(Tier::Standard, Priority::Normal, SlaClock::Commit)
        .unwrap();
    let resolve = policy
        .target(Tier::Standard, Priority::Normal, SlaClock::Resolve)
        .unwrap();
    assert_eq!(commit.to_string(), "15 business days");
    assert_eq!(resolve.to_string(), "35 business days");
}

#[test]
fn a_clock_without_a_target_is_never_breached() {
    let mut policy = Preset::Default.policy(london_office());
    policy.set_target(Tier::Standard, Priority::Normal, SlaClock::Owner, None);
    let start = at(LONDON, 2026, 3, 23, 9, 0);
    let mut sla = received(&policy, start);
    let later = at(LONDON, 2027, 1, 1, 9, 0);
    assert!(
        sla.advance(later)
            .iter()
            .all(|t| !matches!(t, Transition::Breached { clock, .. } if *clock == SlaClock::Owner))
    );
    assert_eq!(sla.clock(SlaClock::Owner).status(later), ClockStatus::Idle);
}

#[test]
fn targets_read_as_people_write_them_and_print_back() {
    for (input, printed) in [
        ("4 business hours", "4 business hours"),
        ("3 working days", "3 business days"),
        ("8 weeks", "8 weeks"),
        ("15 days", "15 days"),
        ("1 day", "1 day"),
        ("30 min", "30 minutes"),
        ("2h", "2 hours"),
        ("3bd", "3 business days"),
        ("  5 Business Days ", "5 business days"),
    ] {
        let target = Target::parse(input).unwrap();
        assert_eq!(target.to_string(), printed, "{input}");
        assert_eq!(Target::parse(printed), Ok(target));
    }
    for bad in [
        "",
        "soon",
        "0 days",
        "-3 days",
        "3",
        "3 fortnights",
        "9999 weeks",
    ] {
        let error = Target::parse(bad).unwrap_err().to_string();
        assert!(error.contains("is not a target"), "{bad}: {error}");
    }
    assert_eq!(Target::parse("2 days").unwrap().basis, Basis::Calendar);
}

#[test]
fn policies_survive_json_and_are_checked() {
    for preset in Preset::ALL {
        let policy = preset.policy(london_office());
        policy.validate().unwrap();
        let json = serde_json::to_string(&policy).unwrap();
        let back: SlaPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, policy);
    }
    let mut policy = SlaPolicy {
        at_risk_percent: 0,
        ..SlaPolicy::default()
    };
    assert_eq!(policy.validate(), Err(PolicyError::AtRisk));
    policy.at_risk_percent = 25;
    policy.name = " ".into();
    assert_eq!(policy.validate(), Err(PolicyError::NoName));
}

/// Pauses never count: however a clock is paused and resumed, the working time it ran from
/// start to breach equals its allowance, and nothing is breached while paused.
#[test]
fn time_paused_never_counts_on_generated_cases() {
    let mut rng = StdRng::seed_from_u64(5);
    let calendars = [
        london_office(),
        BusinessCalendar::weekdays(NEW_YORK, t(8, 30), t(18, 0), [d(2026, 11, 26)]),
        BusinessCalendar::always(),
    ];
    for case in 0..2_000 {
        let calendar = calendars[case % calendars.len()].clone();
        let mut policy = Preset::Default.policy(calendar.clone());
        let business = rng.gen_bool(0.5);
        let amount = rng.gen_range(1..30);
        let target = if business {
            Target::business(amount, Unit::Hours)
        } else {
            Target::calendar(amount, Unit::Hours)
        };
        policy.set_target(
            Tier::Standard,
            Priority::Normal,
            SlaClock::Resolve,
            Some(target),
        );
        let mut now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
            + Duration::minutes(rng.gen_range(0..525_600));
        let start = now;
        let mut sla = received(&policy, start);
        now += Duration::minutes(1);
        sla.apply(&policy, &event(now, ack()));
        let mut ran = Duration::zero();
        let mut running_since = start;
        let breached_at = loop {
            now += Duration::minutes(rng.gen_range(1..600));
            if let Some(due) = sla.clock(SlaClock::Resolve).breached_at {
                break due;
            }
            let transitions = sla.advance(now);
            let breach = transitions.iter().find_map(|t| match t {
                Transition::Breached {
                    clock: SlaClock::Resolve,
                    due_at,
                    ..
                } => Some(*due_at),
                _ => None,
            });
            if let Some(due) = breach {
                break due;
            }
            if sla.waiting {
                sla.apply(&policy, &event(now, responded()));
                running_since = now;
            } else {
                sla.apply(&policy, &event(now, wait()));
                ran += measure(&calendar, target.basis, running_since, now);
            }
        };
        ran += measure(&calendar, target.basis, running_since, breached_at);
        let allowance = Duration::seconds(sla.clock(SlaClock::Resolve).allowance_secs);
        assert_eq!(ran, allowance, "case {case}: {target} from {start}");
    }
}

fn measure(
    calendar: &BusinessCalendar,
    basis: Basis,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Duration {
    match basis {
        Basis::Business => calendar.between(from, to),
        Basis::Calendar => to - from,
    }
}

#[test]
fn a_breach_judged_before_a_late_event_is_taken_back() {
    let policy = Preset::Default.policy(london_office());
    let start = at(LONDON, 2026, 3, 23, 9, 0);
    let mut sla = received(&policy, start);
    // The scheduler judged 13:05: acknowledging (due 13:00) breached.
    let transitions = sla.advance(at(LONDON, 2026, 3, 23, 13, 5));
    assert!(transitions.iter().any(|t| matches!(
        t,
        Transition::Breached {
            clock: SlaClock::Acknowledge,
            ..
        }
    )));
    // Then an acknowledgement stamped 12:59 arrives (its transaction committed late).
    let outcomes = sla.apply(&policy, &event(at(LONDON, 2026, 3, 23, 12, 59), ack()));
    let outcome = outcomes
        .iter()
        .find(|o| o.clock == SlaClock::Acknowledge)
        .unwrap();
    assert_eq!(outcome.revoked_breach, Some(at(LONDON, 2026, 3, 23, 13, 0)));
    let clock = sla.clock(SlaClock::Acknowledge);
    assert_eq!(clock.breached_at, None);
    assert_eq!(
        clock.status(at(LONDON, 2026, 3, 24, 9, 0)),
        ClockStatus::Met
    );
}

#[test]
fn a_priority_change_to_a_target_of_the_other_basis_counts_the_run_from_its_start() {
    let mut policy = Preset::Default.policy(london_office());
    policy.set_target(
        Tier::Standard,
        Priority::Normal,
        SlaClock::Resolve,
        Some(Target::parse("10 business days").unwrap()),
    );
    policy.set_target(
        Tier::Standard,
        Priority::Urgent,
        SlaClock::Resolve,
        Some(Target::parse("48 hours").unwrap()),
    );
    // Monday 09:00 to Friday 17:00 running (104 h elapsed), waiting over the weekend.
    let mut sla = received(&policy, at(LONDON, 2026, 3, 9, 9, 0));
    step(&mut sla, &policy, at(LONDON, 2026, 3, 9, 9, 30), ack());
    step(&mut sla, &policy, at(LONDON, 2026, 3, 13, 17, 0), wait());
    step(
        &mut sla,
        &policy,
        at(LONDON, 2026, 3, 16, 9, 0),
        responded(),
    );
    // Urgent on Monday 10:00: 48 elapsed hours were used up long ago; due at the change.
    let change = at(LONDON, 2026, 3, 16, 10, 0);
    step(
        &mut sla,
        &policy,
        change,
        ComplaintChange::PriorityChanged {
            from: Priority::Normal,
            to: Priority::Urgent,
        },
    );
    let resolve = sla.clock(SlaClock::Resolve);
    assert_eq!(resolve.consumed_elapsed_secs, 104 * 3600);
    assert_eq!(resolve.due_at, Some(change));
    assert_eq!(resolve.status(change), ClockStatus::Breached);
}

#[test]
fn a_target_out_of_the_calendars_reach_is_refused_and_never_panics() {
    let mut policy = Preset::Default.policy(london_office());
    let huge = Target::parse("8000 business hours").unwrap();
    policy.set_target(
        Tier::Standard,
        Priority::Normal,
        SlaClock::Resolve,
        Some(huge),
    );
    let error = policy.validate().unwrap_err().to_string();
    assert!(error.contains("8000 business hours"), "{error}");
    // Even unchecked, such a clock simply never falls due.
    let sla = received(&policy, at(LONDON, 2026, 3, 9, 9, 0));
    assert_eq!(sla.clock(SlaClock::Resolve).due_at, None);
    let mut sla = sla;
    assert!(
        sla.advance(at(LONDON, 2030, 1, 1, 9, 0))
            .iter()
            .all(|t| !matches!(
                t,
                Transition::Breached {
                    clock: SlaClock::Resolve,
                    ..
                }
            ))
    );
}

// ---------------------------------------------------------------------------------------
// Dates promised to the customer: the next update's, and the commitment's

fn update_by(date: NaiveDate) -> ComplaintChange {
    ComplaintChange::ProgressUpdateSent {
        message: "Still on it".into(),
        next_update_on: date,
    }
}

fn commit_by(date: NaiveDate) -> ComplaintChange {
    ComplaintChange::ActionCommitted {
        action: "Refund".into(),
        due_on: date,
    }
}

#[test]
fn the_promised_next_update_is_due_at_the_end_of_its_day_and_breaches_when_missed() {
    let policy = Preset::Default.policy(london_office());
    let monday = at(LONDON, 2026, 12, 7, 10, 0);
    let mut sla = received(&policy, monday);
    step(&mut sla, &policy, monday, ack());
    // Promised on Monday: the next update by Wednesday 9 December.
    step(
        &mut sla,
        &policy,
        at(LONDON, 2026, 12, 7, 11, 0),
        update_by(d(2026, 12, 9)),
    );
    let promise = sla.clock(SlaClock::Promise).clone();
    assert_eq!(promise.deadline, Some(d(2026, 12, 9)));
    assert_eq!(promise.due_at, Some(at(LONDON, 2026, 12, 10, 0, 0)));
    assert_eq!(
        promise.status(at(LONDON, 2026, 12, 8, 12, 0)),
        ClockStatus::OnTrack
    );
    // Nothing on Wednesday: breached at midnight, with an alert's transition.
    let transitions = sla.advance(at(LONDON, 2026, 12, 10, 9, 0));
    assert!(transitions.contains(&Transition::Breached {
        clock: SlaClock::Promise,
        cycle: 1,
        due_at: at(LONDON, 2026, 12, 10, 0, 0),
    }));
    assert!(sla.has_open_breach());
    // A reply on Thursday keeps it, late.
    let reply = ComplaintChange::ReplySent {
        message: Sealed("sealed".into()),
        attachments: vec![],
        saved_reply: None,
    };
    let thursday = at(LONDON, 2026, 12, 10, 9, 30);
    let outcomes = sla.apply(&policy, &event(thursday, reply));
    assert!(
        outcomes
            .iter()
            .any(|o| o.clock == SlaClock::Promise && o.met_at == Some(thursday))
    );
    assert_eq!(
        sla.clock(SlaClock::Promise).status(thursday),
        ClockStatus::MetLate
    );
}

#[test]
fn a_new_update_keeps_the_last_promise_and_makes_a_new_one() {
    let policy = Preset::Default.policy(london_office());
    let monday = at(LONDON, 2026, 12, 7, 10, 0);
    let mut sla = received(&policy, monday);
    step(&mut sla, &policy, monday, ack());
    step(&mut sla, &policy, monday, update_by(d(2026, 12, 9)));
    step(
        &mut sla,
        &policy,
        at(LONDON, 2026, 12, 9, 15, 0),
        update_by(d(2026, 12, 11)),
    );
    let promise = sla.clock(SlaClock::Promise);
    assert_eq!(promise.cycle, 2);
    assert_eq!(promise.due_at, Some(at(LONDON, 2026, 12, 12, 0, 0)));
    assert_eq!(promise.breached_at, None);
    assert!(
        !sla.advance(at(LONDON, 2026, 12, 11, 23, 0))
            .iter()
            .any(|t| matches!(
                t,
                Transition::Breached {
                    clock: SlaClock::Promise,
                    ..
                }
            )),
        "the first promise was kept"
    );
}

#[test]
fn the_committed_action_is_due_by_its_date_met_by_the_outcome_and_ended_by_a_new_commitment() {
    let policy = Preset::Default.policy(london_office());
    let monday = at(LONDON, 2026, 12, 7, 10, 0);
    let mut sla = received(&policy, monday);
    step(&mut sla, &policy, monday, ack());
    step(&mut sla, &policy, monday, commit_by(d(2026, 12, 8)));
    assert_eq!(
        sla.clock(SlaClock::Action).due_at,
        Some(at(LONDON, 2026, 12, 9, 0, 0))
    );
    // Revised on Tuesday to Friday: the first promise ends unmet and unbreached.
    let tuesday = at(LONDON, 2026, 12, 8, 12, 0);
    sla.advance(tuesday);
    let outcomes = sla.apply(&policy, &event(tuesday, commit_by(d(2026, 12, 11))));
    assert!(
        outcomes
            .iter()
            .any(|o| o.clock == SlaClock::Action && o.cycle == 1 && o.met_at.is_none())
    );
    let action = sla.clock(SlaClock::Action);
    assert_eq!(action.cycle, 2);
    assert_eq!(action.due_at, Some(at(LONDON, 2026, 12, 12, 0, 0)));
    // Resolved on Thursday: met in time.
    let thursday = at(LONDON, 2026, 12, 10, 16, 0);
    step(&mut sla, &policy, thursday, resolved());
    assert_eq!(
        sla.clock(SlaClock::Action).status(thursday),
        ClockStatus::Met
    );
}

#[test]
fn promises_do_not_pause_and_priority_changes_leave_their_dates_alone() {
    let policy = Preset::Default.policy(london_office());
    let monday = at(LONDON, 2026, 12, 7, 10, 0);
    let mut sla = received(&policy, monday);
    step(&mut sla, &policy, monday, ack());
    step(&mut sla, &policy, monday, commit_by(d(2026, 12, 8)));
    step(&mut sla, &policy, monday, wait());
    step(
        &mut sla,
        &policy,
        monday,
        ComplaintChange::PriorityChanged {
            from: Priority::Normal,
            to: Priority::Urgent,
        },
    );
    let action = sla.clock(SlaClock::Action);
    // Not paused by the wait: at risk with a quarter of its time left, Tuesday 14:30.
    assert_eq!(
        action.status(at(LONDON, 2026, 12, 8, 14, 0)),
        ClockStatus::OnTrack
    );
    assert_eq!(
        action.status(at(LONDON, 2026, 12, 8, 20, 0)),
        ClockStatus::AtRisk
    );
    assert_eq!(action.due_at, Some(at(LONDON, 2026, 12, 9, 0, 0)));
    assert!(SlaClock::Action.is_promise() && !SlaClock::Action.pauses());
}

#[test]
fn clocks_stored_before_the_promises_existed_read_with_them_not_started() {
    let policy = Preset::Default.policy(london_office());
    let sla = received(&policy, at(LONDON, 2026, 12, 7, 10, 0));
    let mut json: serde_json::Value = serde_json::to_value(&sla).unwrap();
    let clocks = json["clocks"].as_array_mut().unwrap();
    clocks.retain(|c| c["clock"] != "promise" && c["clock"] != "action");
    assert_eq!(clocks.len(), 5);
    let back: ComplaintSla = serde_json::from_value(json).unwrap();
    assert_eq!(back.clocks.len(), SlaClock::ALL.len());
    assert_eq!(back.clock(SlaClock::Promise).started_at, None);
    assert_eq!(back, sla);
}

#[test]
fn a_complaint_whose_clocks_are_all_met_is_met_not_not_started() {
    let policy = Preset::Default.policy(london_office());
    let monday = at(LONDON, 2026, 12, 7, 10, 0);
    let mut sla = received(&policy, monday);
    assert_eq!(sla.status(monday), ClockStatus::OnTrack);
    let steps = [
        (10, ack()),
        (20, owner()),
        (30, commit_by(d(2026, 12, 10))),
        (40, update_by(d(2026, 12, 9))),
        (50, resolved()),
    ];
    for (minute, change) in steps.clone() {
        step(
            &mut sla,
            &policy,
            at(LONDON, 2026, 12, 7, 10, minute),
            change,
        );
    }
    let later = at(LONDON, 2026, 12, 20, 9, 0);
    // Every clock that ran was met in time.
    assert_eq!(sla.status(later), ClockStatus::Met);
    assert_eq!(sla.status(later).label(), "Met");

    // The same two days later: acknowledged late, so met late.
    let mut late = received(&policy, monday);
    for (minute, change) in steps {
        step(
            &mut late,
            &policy,
            at(LONDON, 2026, 12, 9, 10, minute),
            change,
        );
    }
    assert_eq!(late.status(later), ClockStatus::MetLate);
}
