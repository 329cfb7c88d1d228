//! The reports read model against figures worked out by hand on a small data set.
//!
//! The default policy: 09:00–17:00 Monday to Friday, Europe/London (UTC in early March 2026);
//! high priority, standard tier: acknowledge in 2 business hours, name an owner in 4, commit
//! in 2 business days, update every 3, resolve in 5.
//!
//! | complaint | received | what happens |
//! |---|---|---|
//! | A: Ana, Billing, phone, Contoso | Mon 2 Mar 09:00 | ack 09:30, owner Maria 10:00, commit Tue 10:00, upheld Wed 12:00 (50.00 paid), closed 12:30, satisfaction 4 |
//! | B: Ben, Delivery, email | Mon 2 Mar 13:00 | ack 16:00 (late), owner James Tue 10:00 (late), waits on the customer Tue 11:00 to Thu 11:00, commit Thu 12:00, not upheld Thu 15:00 |
//! | C: Ana again, Billing → Delivery, web, normal | Mon 2 Mar 15:00 | moved to Delivery Tue 09:00; still open |
//!
//! Durations in working minutes (elapsed in brackets), paused time left out:
//! - acknowledge: A 30 (30), B 180 (180); within target 1 of 2
//! - owner: A 60 (60), B 300 (1,260); within 1 of 2
//! - commit: A 540 (1,500), B 420 (1,380) — B counts Mon 13–17, Tue 9–11, Thu 11–12
//! - update: A 1,110 (3,030: ack to decision), B 180 (1,140: ack to the request), B's second
//!   run 240 (240: paused Tue 11:00 to Thu 11:00, resumed to the decision)
//! - resolve: A 1,140 (3,060), B 600 (1,560)
//!
//! Percentiles by nearest rank: of two values the median is the smaller and the 90th the
//! larger; of three, the median is the middle one and the 90th and 95th the largest. Values of 128 minutes and more are reported at their histogram bucket's start
//! (never more than 1/64 below): `bucketed` computes it.

use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::histogram::{bucket, lower_bound};
use redress_domain::{
    Actor, Basis, Channel, ComplaintAction, CustomerEmail, Outcome, Priority, Reference, SlaClock,
};
use redress_store::ReportsProjector;
use redress_store::reports::{ClockSpeed, Grouping, Range, ReportFilter};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{Fixture, agent, new_complaint, other_agent};

on_both_backends!(
    reports_match_the_figures_worked_out_by_hand,
    a_rebuild_gives_the_same_reports,
    breaches_are_counted_in_the_reports_local_days_whatever_the_zone,
    points_of_complaint_are_counted_one_by_one_by_period_and_category,
);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn bucketed(minutes: u64) -> u64 {
    lower_bound(bucket(minutes))
}

fn week() -> Range {
    Range {
        from: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
    }
}

fn filter(by: &'static str, basis: Basis) -> ReportFilter {
    ReportFilter {
        range: week(),
        grouping: Grouping::Week,
        by,
        only: None,
        basis,
    }
}

async fn step(f: &Fixture, reference: &Reference, when: &str, action: ComplaintAction) {
    f.clock.set(at(when));
    f.run(reference, action)
        .await
        .expect("the command is accepted");
}

#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a different thing the caller holds; a struct for one call would only rename them"
)]
async fn receive(
    f: &Fixture,
    when: &str,
    name: &str,
    email: &str,
    category: &str,
    channel: Channel,
    priority: Priority,
    company: Option<&str>,
) -> Reference {
    f.clock.set(at(when));
    let mut complaint = new_complaint(name, email);
    complaint.category = category.into();
    complaint.channel = channel;
    complaint.priority = priority;
    complaint.company = company.map(str::to_string);
    f.store
        .complaints
        .receive(Actor::Staff(agent()), complaint)
        .await
        .unwrap()
}

/// Investigation and commitment (facts and findings just before the commitment).
async fn commit(f: &Fixture, reference: &Reference, when: DateTime<Utc>) {
    let minute = chrono::Duration::minutes(1);
    f.clock.set(when - minute - minute);
    f.run(
        reference,
        ComplaintAction::RecordFact {
            fact: "Checked.".into(),
            source: None,
        },
    )
    .await
    .unwrap();
    f.run(
        reference,
        ComplaintAction::RecordPoints {
            points: vec!["It went wrong.".into()],
            send: false,
        },
    )
    .await
    .unwrap();
    f.clock.set(when - minute);
    f.run(
        reference,
        ComplaintAction::ConcludeInvestigation {
            findings: "Found.".into(),
        },
    )
    .await
    .unwrap();
    f.clock.set(when);
    f.run(
        reference,
        ComplaintAction::CommitToAction {
            action: "Put it right.".into(),
            due_on: when.date_naive() + chrono::Duration::days(3),
            resolve_by: None,
        },
    )
    .await
    .unwrap();
}

/// Builds the data set of the module's table; returns A, B, C.
async fn worked_example(f: &Fixture) -> (Reference, Reference, Reference) {
    let ack = || ComplaintAction::Acknowledge {
        apology: "We are sorry.".into(),
    };
    let a = receive(
        f,
        "2026-03-02T09:00:00Z",
        "Ana Pop",
        "ana@example.ro",
        "Billing",
        Channel::Phone,
        Priority::High,
        Some("Contoso Ltd"),
    )
    .await;
    let b = receive(
        f,
        "2026-03-02T13:00:00Z",
        "Ben Ode",
        "ben@example.com",
        "Delivery",
        Channel::Email,
        Priority::High,
        None,
    )
    .await;
    let c = receive(
        f,
        "2026-03-02T15:00:00Z",
        "Ana Pop",
        "ana@example.ro",
        "Billing",
        Channel::WebForm,
        Priority::Normal,
        Some("Contoso Ltd"),
    )
    .await;
    step(f, &a, "2026-03-02T09:30:00Z", ack()).await;
    step(
        f,
        &a,
        "2026-03-02T10:00:00Z",
        ComplaintAction::AssignOwner { owner: agent() },
    )
    .await;
    step(f, &b, "2026-03-02T16:00:00Z", ack()).await;
    step(
        f,
        &c,
        "2026-03-03T09:00:00Z",
        ComplaintAction::ChangeCategory {
            category: "Delivery".into(),
        },
    )
    .await;
    commit(f, &a, at("2026-03-03T10:00:00Z")).await;
    step(
        f,
        &b,
        "2026-03-03T10:00:00Z",
        ComplaintAction::AssignOwner {
            owner: other_agent(),
        },
    )
    .await;
    step(
        f,
        &b,
        "2026-03-03T11:00:00Z",
        ComplaintAction::WaitOnCustomer {
            request: "Please send a photo of the parcel.".into(),
        },
    )
    .await;
    step(
        f,
        &a,
        "2026-03-04T12:00:00Z",
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: Outcome::Upheld,
                reasons: "Decided on the facts.".into(),
            }],
            reasons: "Our error.".into(),
            remedy: None,
            redress_paid_cents: Some(5000),
        },
    )
    .await;
    step(f, &a, "2026-03-04T12:30:00Z", ComplaintAction::Close).await;
    step(
        f,
        &a,
        "2026-03-04T12:40:00Z",
        ComplaintAction::RecordSatisfaction {
            score: 4,
            comment: Some("Très aimables.".into()),
            would_change: Some("Answer the PHONE faster".into()),
        },
    )
    .await;
    step(
        f,
        &b,
        "2026-03-05T11:00:00Z",
        ComplaintAction::RecordCustomerResponse {
            response: "Photo attached.".into(),
        },
    )
    .await;
    // B's commitment at Thu 12:00 (its facts at 11:58 and 11:59 change no clock).
    commit(f, &b, at("2026-03-05T12:00:00Z")).await;
    step(
        f,
        &b,
        "2026-03-05T15:00:00Z",
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: Outcome::NotUpheld,
                reasons: "Decided on the facts.".into(),
            }],
            reasons: "Delivered as promised.".into(),
            remedy: None,
            redress_paid_cents: None,
        },
    )
    .await;
    f.store.projections.run_until_idle().await.unwrap();
    step(
        f,
        &b,
        "2026-03-05T15:30:00Z",
        ComplaintAction::RecordBreachCause {
            clock: SlaClock::Acknowledge,
            cycle: 1,
            cause: "Phone lines were down".into(),
        },
    )
    .await;
    f.clock.set(at("2026-03-09T09:00:00Z"));
    f.store.projections.run_until_idle().await.unwrap();
    (a, b, c)
}

fn clock(speeds: &[ClockSpeed], clock: SlaClock) -> &ClockSpeed {
    speeds.iter().find(|c| c.clock == clock).unwrap()
}

/// (runs, tracked, within, p50, p90, p95) of a clock's whole range.
fn figures(speeds: &[ClockSpeed], c: SlaClock) -> (i64, i64, i64, u64, u64, u64) {
    let t = &clock(speeds, c).total;
    (
        t.runs,
        t.tracked,
        t.within,
        t.p50().unwrap(),
        t.p90().unwrap(),
        t.p95().unwrap(),
    )
}

async fn reports_match_the_figures_worked_out_by_hand(db: TestDb) {
    let f = Fixture::new(db).await;
    let (a, b, _c) = worked_example(&f).await;
    let reports = &f.store.reports;

    // Response speed in working time.
    let speed = reports
        .speed(&filter("all", Basis::Business))
        .await
        .unwrap();
    assert_eq!(
        figures(&speed, SlaClock::Acknowledge),
        (2, 2, 1, 30, bucketed(180), bucketed(180))
    );
    assert_eq!(
        clock(&speed, SlaClock::Acknowledge).total.within_percent(),
        Some(50.0)
    );
    assert_eq!(
        figures(&speed, SlaClock::Owner),
        (2, 2, 1, 60, bucketed(300), bucketed(300))
    );
    assert_eq!(
        figures(&speed, SlaClock::Commit),
        (2, 2, 2, bucketed(420), bucketed(540), bucketed(540))
    );
    assert_eq!(
        figures(&speed, SlaClock::Update),
        (3, 3, 3, bucketed(240), bucketed(1110), bucketed(1110))
    );
    assert_eq!(
        figures(&speed, SlaClock::Resolve),
        (2, 2, 2, bucketed(600), bucketed(1140), bucketed(1140))
    );
    // One weekly period holds everything.
    let periods = &clock(&speed, SlaClock::Resolve).periods;
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].0, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    assert_eq!(periods[0].1.runs, 2);

    // The same in elapsed time.
    let speed = reports
        .speed(&filter("all", Basis::Calendar))
        .await
        .unwrap();
    assert_eq!(
        figures(&speed, SlaClock::Owner),
        (2, 2, 1, 60, bucketed(1260), bucketed(1260))
    );
    assert_eq!(
        figures(&speed, SlaClock::Commit),
        (2, 2, 2, bucketed(1380), bucketed(1500), bucketed(1500))
    );
    assert_eq!(
        figures(&speed, SlaClock::Update),
        (3, 3, 3, bucketed(1140), bucketed(3030), bucketed(3030))
    );
    assert_eq!(
        figures(&speed, SlaClock::Resolve),
        (2, 2, 2, bucketed(1560), bucketed(3060), bucketed(3060))
    );

    // By owner: who owned the complaint when the run was met.
    let by_owner = reports
        .speed(&filter("owner", Basis::Business))
        .await
        .unwrap();
    let resolve: Vec<(String, i64, u64)> = clock(&by_owner, SlaClock::Resolve)
        .breakdown
        .iter()
        .map(|(v, s)| (v.clone(), s.runs, s.p50().unwrap()))
        .collect();
    assert_eq!(
        resolve,
        vec![
            ("James Carter".to_string(), 1, bucketed(600)),
            ("Maria Ionescu".to_string(), 1, bucketed(1140)),
        ]
    );
    // Both acknowledgements came before anyone owned the complaint.
    let ack: Vec<(String, i64)> = clock(&by_owner, SlaClock::Acknowledge)
        .breakdown
        .iter()
        .map(|(v, s)| (v.clone(), s.runs))
        .collect();
    assert_eq!(ack, vec![(String::new(), 2)]);
    // Only one value: key accounts against the rest, here high priority only.
    let mut only_high = filter("priority", Basis::Business);
    only_high.only = Some("high".into());
    let high = reports.speed(&only_high).await.unwrap();
    assert_eq!(clock(&high, SlaClock::Resolve).total.runs, 2);
    only_high.only = Some("normal".into());
    let normal = reports.speed(&only_high).await.unwrap();
    assert_eq!(clock(&normal, SlaClock::Resolve).total.runs, 0);
    assert_eq!(clock(&normal, SlaClock::Resolve).total.p50(), None);

    // Volumes, outcomes, backlog, satisfaction.
    let volume = reports
        .volume(&filter("category", Basis::Business))
        .await
        .unwrap();
    assert_eq!(volume.backlog_start, 0);
    let t = volume.total;
    assert_eq!(
        (t.received, t.repeat_received, t.closed, t.closed_3d),
        (3, 1, 1, 1)
    );
    assert_eq!(
        (t.resolved, t.upheld, t.partly_upheld, t.not_upheld),
        (2, 1, 0, 1)
    );
    assert_eq!(t.redress_cents, 5000);
    assert_eq!(volume.backlog_end(), 2);
    assert_eq!((t.sat_n, t.sat_sum, t.sat[3]), (1, 4, 1));
    assert_eq!(t.satisfaction(), Some(4.0));
    assert_eq!(volume.periods.len(), 1);
    assert_eq!(volume.periods[0].2, 2, "open at the end of the week");
    // The FCA return by category: C moved from Billing to Delivery while open.
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = volume
        .breakdown
        .iter()
        .map(|(v, x, open)| {
            (
                v.clone(),
                x.received,
                x.closed_3d,
                x.closed_8w + x.closed_later,
                x.upheld_any(),
                x.redress_cents,
                *open,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("billing".to_string(), 2, 1, 0, 1, 5000, 0),
            ("delivery".to_string(), 1, 0, 0, 0, 0, 2),
        ]
    );

    // The backlog's ages a week later: B and C are 6 days old.
    let ages = reports
        .ages(
            NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            "category",
            None,
        )
        .await
        .unwrap();
    assert_eq!(ages.len(), 1);
    assert_eq!(ages[0].value, "delivery");
    assert_eq!(ages[0].buckets, [0, 2, 0, 0, 0, 0]);

    // What customers would change, searchable in any case.
    let (found, total) = reports.feedback(week(), "phone", 50).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(found[0].reference, a.as_str());
    assert_eq!(
        found[0].would_change.as_deref(),
        Some("Answer the PHONE faster")
    );
    assert_eq!(
        (found[0].score, found[0].owner.as_str()),
        (4, "Maria Ionescu")
    );
    assert_eq!(reports.feedback(week(), "refund", 50).await.unwrap().1, 0);
    // Lowercased by Unicode rules on both databases (SQLite's LOWER knows only ASCII).
    assert_eq!(reports.feedback(week(), "TRÈS", 50).await.unwrap().1, 1);
    assert_eq!(reports.feedback(week(), "50%", 50).await.unwrap().1, 0);

    // Ana complained twice.
    let repeat = reports
        .repeat_customers((at("2026-03-01T00:00:00Z"), at("2026-03-09T00:00:00Z")), 10)
        .await
        .unwrap();
    // Her latest complaint came after a range that ends on 1 March.
    assert!(
        reports
            .repeat_customers((at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z")), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(repeat.len(), 1);
    assert_eq!(repeat[0].complaints, 2);
    assert_eq!(repeat[0].name.as_deref(), Some("Ana Pop"));
    assert_eq!(repeat[0].company.as_deref(), Some("Contoso Ltd"));
    let companies = reports
        .volume(&filter("company", Basis::Business))
        .await
        .unwrap();
    assert_eq!(companies.breakdown.len(), 1);
    assert_eq!(companies.breakdown[0].0, "Contoso Ltd");
    assert_eq!(companies.breakdown[0].1.received, 2);

    // Breaches and their causes: B's acknowledgement and owner were late.
    let breaches = reports
        .breaches(week(), chrono_tz::Europe::London, 10)
        .await
        .unwrap();
    assert_eq!(breaches.total(), 2);
    assert_eq!(breaches.by_clock[0], (SlaClock::Acknowledge, 1));
    assert_eq!(breaches.by_clock[1], (SlaClock::Owner, 1));
    assert_eq!(
        breaches.causes,
        vec![("Phone lines were down".to_string(), 1)]
    );
    assert_eq!(breaches.caused[0].reference, b.as_str());

    // Erasure blanks the customer's words, and leaves the figures.
    f.store
        .complaints
        .erase_customer_by_email(
            &CustomerEmail::parse("ana@example.ro").unwrap(),
            Actor::Staff(agent()),
            "Asked to be forgotten",
        )
        .await
        .unwrap()
        .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(reports.feedback(week(), "", 50).await.unwrap().1, 0);
    let after = reports
        .volume(&filter("all", Basis::Business))
        .await
        .unwrap();
    assert_eq!(after.total.sat_sum, 4);
    assert_eq!(after.total.received, 3);
}

async fn a_rebuild_gives_the_same_reports(db: TestDb) {
    let f = Fixture::new(db).await;
    worked_example(&f).await;
    let reports = &f.store.reports;
    let mut before = Vec::new();
    for by in ["all", "owner", "category", "tier"] {
        before.push(format!(
            "{:?}{:?}",
            reports.speed(&filter(by, Basis::Business)).await.unwrap(),
            reports.volume(&filter(by, Basis::Calendar)).await.unwrap()
        ));
    }
    f.store
        .projections
        .rebuild(ReportsProjector::NAME, &|_| {})
        .await
        .unwrap();
    let mut after = Vec::new();
    for by in ["all", "owner", "category", "tier"] {
        after.push(format!(
            "{:?}{:?}",
            reports.speed(&filter(by, Basis::Business)).await.unwrap(),
            reports.volume(&filter(by, Basis::Calendar)).await.unwrap()
        ));
    }
    assert_eq!(before, after);
    assert!(before[0].contains("runs: 3"), "the figures are not empty");
}

/// The breach counts read whole UTC days from `sla_breach_days` and count only the part-days
/// at the ends breach by breach: for every zone and range they equal counting every breach.
/// 600 breaches spread over March 2026 (both DST changes of the zones below fall in it).
async fn breaches_are_counted_in_the_reports_local_days_whatever_the_zone(db: TestDb) {
    let f = Fixture::new(db).await;
    let clocks = SlaClock::ALL;
    let start = at("2026-03-01T00:00:00Z");
    let mut breaches = Vec::new();
    let mut per_day: std::collections::BTreeMap<(String, &str), i64> = Default::default();
    let mut seed = 7u64;
    for n in 0..600 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let due = start + chrono::Duration::minutes((seed >> 33) as i64 % (31 * 24 * 60));
        let clock = clocks[n % clocks.len()].code();
        breaches.push((due, clock));
        *per_day
            .entry((due.date_naive().to_string(), clock))
            .or_default() += 1;
        redress_store::on_pool!(&f.store.db, |pool| sqlx::query(
            "INSERT INTO sla_breaches (reference, clock, cycle, due_at, policy_version, tier,
                    priority, category)
             VALUES ($1, $2, 1, $3, 1, 'standard', 'normal', 'Billing')"
        )
        .bind(format!("RDR-TEST-{n:04}"))
        .bind(clock)
        .bind(due)
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
    }
    for ((day, clock), count) in per_day {
        redress_store::on_pool!(&f.store.db, |pool| sqlx::query(
            "INSERT INTO sla_breach_days (day, clock, owner_key, owner_name, category, tier,
                    priority, breaches)
             VALUES ($1, $2, '', '', 'Billing', 'standard', 'normal', $3)"
        )
        .bind(day)
        .bind(clock)
        .bind(count)
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
    }
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    let ranges = [
        (day(1), day(1)),
        (day(8), day(8)),
        (day(29), day(29)),
        (day(2), day(3)),
        (day(5), day(20)),
        (day(1), day(31)),
        (day(28), NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()),
    ];
    let zones = [
        chrono_tz::UTC,
        chrono_tz::Europe::London,
        chrono_tz::America::New_York,
        chrono_tz::Asia::Tokyo,
        chrono_tz::Asia::Kolkata,
        chrono_tz::Pacific::Chatham,
    ];
    let mut checked = 0;
    for zone in zones {
        for (from, to) in ranges {
            let range = Range { from, to };
            let (begin, end) = range.instants(zone);
            let report = f.store.reports.breaches(range, zone, 0).await.unwrap();
            for (clock, counted) in &report.by_clock {
                let expected = breaches
                    .iter()
                    .filter(|(due, c)| *c == clock.code() && *due >= begin && *due < end)
                    .count() as i64;
                assert_eq!(*counted, expected, "{clock:?} {from}..={to} in {zone}");
            }
            checked += report.total();
        }
    }
    assert!(checked > 1000, "the ranges hold breaches: {checked}");
}

/// Each point of complaint is decided on its own; the reports count them one by one, beside
/// the complaints' outcomes, in each period and each category.
async fn points_of_complaint_are_counted_one_by_one_by_period_and_category(db: TestDb) {
    let f = Fixture::new(db).await;
    let decide = |outcomes: &[Outcome]| ComplaintAction::Resolve {
        outcome: None,
        decisions: outcomes
            .iter()
            .enumerate()
            .map(|(i, outcome)| redress_domain::PointDecision {
                point: i as u32 + 1,
                outcome: *outcome,
                reasons: format!("Point {} decided on the facts.", i + 1),
            })
            .collect(),
        reasons: "Decided point by point.".into(),
        remedy: None,
        redress_paid_cents: None,
    };
    let cases = [
        (
            "Billing",
            vec![Outcome::Upheld, Outcome::PartlyUpheld, Outcome::NotUpheld],
        ),
        ("Delivery", vec![Outcome::Upheld, Outcome::Upheld]),
    ];
    for (i, (category, outcomes)) in cases.iter().enumerate() {
        let reference = receive(
            &f,
            &format!("2026-03-0{}T09:00:00Z", i + 2),
            "Ana Pop",
            &format!("ana{i}@example.ro"),
            category,
            Channel::Phone,
            Priority::High,
            None,
        )
        .await;
        for action in f.six_steps() {
            let action = match action {
                ComplaintAction::RecordPoints { send, .. } => ComplaintAction::RecordPoints {
                    points: (1..=outcomes.len()).map(|n| format!("Point {n}")).collect(),
                    send,
                },
                other => other,
            };
            f.ok(&reference, action).await;
        }
        f.ok(&reference, decide(outcomes)).await;
    }
    f.store.projections.run_until_idle().await.unwrap();

    let volume = f
        .store
        .reports
        .volume(&filter("category", Basis::Business))
        .await
        .unwrap();
    let t = &volume.total;
    // Complaints: one partly upheld (its points differ), one upheld.
    assert_eq!(
        (t.resolved, t.upheld, t.partly_upheld, t.not_upheld),
        (2, 1, 1, 0)
    );
    // Points: five, decided one by one.
    assert_eq!(
        (
            t.points,
            t.points_upheld,
            t.points_partly_upheld,
            t.points_not_upheld
        ),
        (5, 3, 1, 1)
    );
    let of = |category: &str| {
        volume
            .breakdown
            .iter()
            .find(|(value, _, _)| value == category)
            .map(|(_, v, _)| {
                (
                    v.points,
                    v.points_upheld,
                    v.points_partly_upheld,
                    v.points_not_upheld,
                )
            })
            .unwrap()
    };
    assert_eq!(of("billing"), (3, 1, 1, 1));
    assert_eq!(of("delivery"), (2, 2, 0, 0));
    // By day: each complaint's points in the period it was decided.
    let daily = f
        .store
        .reports
        .volume(&ReportFilter {
            grouping: Grouping::Day,
            ..filter("all", Basis::Business)
        })
        .await
        .unwrap();
    let by_day: Vec<i64> = daily.periods.iter().map(|(_, v, _)| v.points).collect();
    assert_eq!(by_day.iter().sum::<i64>(), 5);
    assert!(by_day.contains(&3) && by_day.contains(&2), "{by_day:?}");
}
