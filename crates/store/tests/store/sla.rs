//! The SLA read model: clocks projected from events, breaches recorded by the scheduler's
//! tick without any new event, alerts queued once, restarts and rebuilds that change nothing.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use redress_domain::{BusinessCalendar, ClockStatus, ComplaintAction, Preset, SlaClock, Tier};
use redress_store::sla::{Dashboard, SlaFilter, alert_id};
use redress_store::{EmailKind, SlaProjector, on_pool};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{Fixture, agent, start_of_test};

on_both_backends!(
    clocks_follow_the_events_and_breaches_appear_without_any_event,
    a_restart_during_a_breach_window_neither_loses_nor_duplicates_the_breach_or_its_alert,
    the_tick_waits_for_the_projector,
    a_breach_judged_before_a_late_event_is_taken_back_with_its_count_and_alert,
    alerts_wait_for_business_hours,
    a_complaint_keeps_the_policy_version_it_arrived_under,
    the_dashboard_counts_lists_and_filters,
    a_rebuild_gives_the_same_clocks_breaches_and_causes,
    promised_dates_are_clocks_that_breach_alert_and_show_on_the_dashboard,
);

/// The dashboard at `now`: today is `now`'s UTC day; breaches counted since 1 January.
async fn board(f: &Fixture, filter: SlaFilter, now: DateTime<Utc>) -> Dashboard {
    let day = now.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    f.store
        .sla
        .dashboard(
            &filter,
            now,
            (day, day + Duration::days(1)),
            at("2026-01-01T00:00:00Z"),
            50,
        )
        .await
        .unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn clock_status(f: &Fixture, reference: &str, clock: SlaClock) -> ClockStatus {
    use redress_domain::Clock;
    let (sla, _) = f.store.sla.of_complaint(reference).await.unwrap().unwrap();
    sla.clock(clock).status(f.clock.now())
}

async fn alerts(f: &Fixture) -> Vec<(String, DateTime<Utc>)> {
    on_pool!(&f.store.db, |pool| sqlx::query_as(
        "SELECT id, next_attempt_at FROM outbox WHERE kind LIKE 'sla_%' ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

async fn tick(f: &Fixture) {
    use redress_domain::Clock;
    let report = f.store.sla.tick(f.clock.now()).await.unwrap();
    assert!(!report.behind);
}

/// The default policy (09:00–17:00 UTC, Monday to Friday); the fixture's complaints are high
/// priority, standard tier: acknowledge in 2 business hours, name an owner in 4.
async fn clocks_follow_the_events_and_breaches_appear_without_any_event(db: TestDb) {
    let f = Fixture::new(db).await;
    // Monday 2 March 2026, 09:00 UTC.
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let r = reference.as_str();
    f.store.projections.run_until_idle().await.unwrap();
    let (sla, policy) = f.store.sla.of_complaint(r).await.unwrap().unwrap();
    assert_eq!(sla.policy_version, 1);
    assert_eq!(policy.name, "Redress default");
    let owner = sla.clock(SlaClock::Owner);
    assert_eq!(owner.started_at, Some(start_of_test()));
    assert_eq!(owner.due_at, Some(at("2026-03-02T13:00:00Z")));

    f.ok(
        &reference,
        ComplaintAction::Acknowledge {
            apology: "We are sorry.".into(),
        },
    )
    .await;
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(
        clock_status(&f, r, SlaClock::Acknowledge).await,
        ClockStatus::Met
    );
    assert_eq!(
        clock_status(&f, r, SlaClock::Update).await,
        ClockStatus::OnTrack
    );

    // 12:30: the owner clock is at risk (a quarter of four hours left from 12:00).
    f.clock.set(at("2026-03-02T12:30:00Z"));
    tick(&f).await;
    assert_eq!(
        clock_status(&f, r, SlaClock::Owner).await,
        ClockStatus::AtRisk
    );
    let at_risk = alert_id(r, SlaClock::Owner, 1, EmailKind::SlaAtRisk);
    assert_eq!(
        alerts(&f).await,
        vec![(at_risk.clone(), at("2026-03-02T12:30:00Z"))]
    );

    // 14:00, no event since: the breach is recorded at 13:00 by the tick alone.
    f.clock.set(at("2026-03-02T14:00:00Z"));
    tick(&f).await;
    assert_eq!(
        clock_status(&f, r, SlaClock::Owner).await,
        ClockStatus::Breached
    );
    let breaches = f.store.sla.breaches_of(r).await.unwrap();
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].clock, "owner");
    assert_eq!(breaches[0].due_at, at("2026-03-02T13:00:00Z"));
    assert_eq!(breaches[0].met_at, None);
    let breach = alert_id(r, SlaClock::Owner, 1, EmailKind::SlaBreach);
    assert_eq!(
        alerts(&f).await,
        vec![
            (at_risk, at("2026-03-02T12:30:00Z")),
            (breach, at("2026-03-02T14:00:00Z")),
        ]
    );

    // Named late: met late, the breach stays with its met time; the cause is recorded.
    f.run(&reference, ComplaintAction::AssignOwner { owner: agent() })
        .await
        .unwrap();
    f.run(
        &reference,
        ComplaintAction::RecordBreachCause {
            clock: SlaClock::Owner,
            cycle: 1,
            cause: "Nobody watched the queue on Monday morning.".into(),
        },
    )
    .await
    .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(
        clock_status(&f, r, SlaClock::Owner).await,
        ClockStatus::MetLate
    );
    let breach_row = f
        .store
        .sla
        .breach(r, SlaClock::Owner, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(breach_row.met_at, Some(at("2026-03-02T14:00:00Z")));
    assert_eq!(
        breach_row.cause.as_deref(),
        Some("Nobody watched the queue on Monday morning.")
    );
    assert_eq!(breach_row.cause_by.as_deref(), Some("Maria Ionescu"));

    // Waiting on the customer pauses what depends on them; their answer resumes it.
    f.run(
        &reference,
        ComplaintAction::WaitOnCustomer {
            request: "Your bank statement, please.".into(),
        },
    )
    .await
    .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    for clock in [SlaClock::Commit, SlaClock::Update, SlaClock::Resolve] {
        assert_eq!(
            clock_status(&f, r, clock).await,
            ClockStatus::Paused,
            "{clock}"
        );
    }
    let dashboard = board(&f, SlaFilter::default(), at("2026-03-02T14:00:00Z")).await;
    assert_eq!(dashboard.counts.paused, 1);
    assert_eq!(dashboard.counts.breached, 0, "the breach was made good");
    // A week passes while paused: nothing is breached.
    f.clock.set(at("2026-03-09T14:00:00Z"));
    tick(&f).await;
    assert_eq!(f.store.sla.breaches_of(r).await.unwrap().len(), 1);
    f.run(
        &reference,
        ComplaintAction::RecordCustomerResponse {
            response: "Attached.".into(),
        },
    )
    .await
    .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(
        clock_status(&f, r, SlaClock::Commit).await,
        ClockStatus::OnTrack
    );
}

async fn a_restart_during_a_breach_window_neither_loses_nor_duplicates_the_breach_or_its_alert(
    db: TestDb,
) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let r = reference.as_str();
    f.store.projections.run_until_idle().await.unwrap();
    // The instance goes down at 10:00, before anything is due; it comes back at 11:30, after
    // the acknowledgement fell due (11:00), with two instances on the same database.
    f.clock.set(at("2026-03-02T10:00:00Z"));
    tick(&f).await;
    assert!(f.store.sla.breaches_of(r).await.unwrap().is_empty());
    f.clock.set(at("2026-03-02T11:30:00Z"));
    let first = f.db.store(Arc::new(f.clock.clone())).await;
    let second = f.db.store(Arc::new(f.clock.clone())).await;
    let now = at("2026-03-02T11:30:00Z");
    let (a, b) = tokio::join!(first.sla.tick(now), second.sla.tick(now));
    a.unwrap();
    b.unwrap();
    first.sla.tick(now).await.unwrap();
    let breaches = f.store.sla.breaches_of(r).await.unwrap();
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].clock, "acknowledge");
    assert_eq!(breaches[0].due_at, at("2026-03-02T11:00:00Z"));
    let ids: Vec<String> = alerts(&f).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        vec![alert_id(r, SlaClock::Acknowledge, 1, EmailKind::SlaBreach)],
        "one breach alert, and no at-risk alert overtaken by it"
    );
    // The acknowledgement, late, and another restart: still one of each.
    f.ok(
        &reference,
        ComplaintAction::Acknowledge {
            apology: "We are sorry.".into(),
        },
    )
    .await;
    let third = f.db.store(Arc::new(f.clock.clone())).await;
    third.projections.run_until_idle().await.unwrap();
    third.sla.tick(now).await.unwrap();
    assert_eq!(f.store.sla.breaches_of(r).await.unwrap().len(), 1);
    let about_acknowledging = alerts(&f)
        .await
        .into_iter()
        .filter(|(id, _)| id.contains("sla-acknowledge"))
        .count();
    assert_eq!(about_acknowledging, 1);
}

async fn the_tick_waits_for_the_projector(db: TestDb) {
    use redress_domain::Clock;
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    // Acknowledged at 10:00 (in time), but the projector has not seen it when the tick runs
    // at 12:00: the tick must not record a breach the stream already prevented.
    f.clock.set(at("2026-03-02T10:00:00Z"));
    f.run(
        &reference,
        ComplaintAction::Acknowledge {
            apology: "We are sorry.".into(),
        },
    )
    .await
    .unwrap();
    f.clock.set(at("2026-03-02T12:00:00Z"));
    let report = f.store.sla.tick(f.clock.now()).await.unwrap();
    assert!(report.behind);
    f.store.projections.run_until_idle().await.unwrap();
    tick(&f).await;
    assert!(
        f.store
            .sla
            .breaches_of(reference.as_str())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn alerts_wait_for_business_hours(db: TestDb) {
    let f = Fixture::new(db).await;
    // Friday 6 March, 16:00: acknowledging is due at 09:00 + 1 h on Monday... at 16:00 +
    // 2 business hours = Monday 10:00; naming an owner by Monday 12:00.
    f.clock.set(at("2026-03-06T16:00:00Z"));
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    // The at-risk moment of the acknowledgement (30 min left) is Monday 09:30; of the owner
    // clock (1 h left) Monday 11:00. Check on Saturday: nothing yet.
    f.clock.set(at("2026-03-07T12:00:00Z"));
    tick(&f).await;
    assert!(alerts(&f).await.is_empty());
    // Monday 09:45: at risk, sent at once (in hours).
    f.clock.set(at("2026-03-09T09:45:00Z"));
    tick(&f).await;
    let r = reference.as_str();
    assert_eq!(
        alerts(&f).await,
        vec![(
            alert_id(r, SlaClock::Acknowledge, 1, EmailKind::SlaAtRisk),
            at("2026-03-09T09:45:00Z")
        )]
    );
    // A breach noticed at 19:00 (out of hours) waits for Tuesday 09:00.
    f.clock.set(at("2026-03-09T19:00:00Z"));
    tick(&f).await;
    let all = alerts(&f).await;
    let breach = all
        .iter()
        .find(|(id, _)| *id == alert_id(r, SlaClock::Acknowledge, 1, EmailKind::SlaBreach))
        .expect("a breach alert");
    assert_eq!(breach.1, at("2026-03-10T09:00:00Z"));
}

async fn a_complaint_keeps_the_policy_version_it_arrived_under(db: TestDb) {
    let f = Fixture::new(db).await;
    let before = f.receive("Ana Pop", "ana@example.ro").await;
    f.clock.advance(Duration::minutes(5));
    let calendar = BusinessCalendar::weekdays(
        "Europe/London".parse().unwrap(),
        chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
        [],
    );
    let version = f
        .store
        .sla
        .policies
        .save(
            &Preset::FcaDisp.policy(calendar),
            "Adopt the FCA's DISP timescales.",
            "Admin",
        )
        .await
        .unwrap();
    assert_eq!(version, 2);
    f.clock.advance(Duration::minutes(5));
    let after = f.receive("Ion Ionescu", "ion@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    let (old, old_policy) = f
        .store
        .sla
        .of_complaint(before.as_str())
        .await
        .unwrap()
        .unwrap();
    let (new, new_policy) = f
        .store
        .sla
        .of_complaint(after.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((old.policy_version, new.policy_version), (1, 2));
    assert_eq!(old_policy.name, "Redress default");
    assert_eq!(new_policy.name, "UK FCA DISP");
    assert_eq!(
        new.clock(SlaClock::Resolve).target.unwrap().to_string(),
        "8 weeks"
    );
    let versions = f.store.sla.policies.versions().await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].note, "Adopt the FCA's DISP timescales.");
    // A rebuild judges each complaint by the version in effect when it arrived.
    f.store
        .projections
        .rebuild(SlaProjector::NAME, &|_| {})
        .await
        .unwrap();
    let (old_again, _) = f
        .store
        .sla
        .of_complaint(before.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old_again, old);
    // A policy that does not hold together is refused, and nothing is saved.
    let mut broken = Preset::Default.policy(BusinessCalendar::always());
    broken.at_risk_percent = 0;
    let error = f
        .store
        .sla
        .policies
        .save(&broken, "", "Admin")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("at-risk share"), "{error}");
    assert_eq!(f.store.sla.policies.versions().await.unwrap().len(), 2);
}

async fn the_dashboard_counts_lists_and_filters(db: TestDb) {
    let f = Fixture::new(db).await;
    // Three complaints at 09:00: one acknowledged and owned at once (on track), one left
    // alone (breached at 11:00), one a key account... all high priority.
    let on_track = f.receive("Ana Pop", "ana@example.ro").await;
    let breached = f.receive("Ion Ionescu", "ion@example.ro").await;
    let mut key = crate::new_complaint("Zoë Qu", "zoe@example.com");
    key.tier = Tier::KeyAccount;
    key.category = "Delivery".into();
    let key = f
        .store
        .complaints
        .receive(redress_domain::Actor::Staff(agent()), key)
        .await
        .unwrap();
    for action in [
        ComplaintAction::Acknowledge {
            apology: "Sorry".into(),
        },
        ComplaintAction::AssignOwner { owner: agent() },
    ] {
        f.run(&on_track, action).await.unwrap();
    }
    f.store.projections.run_until_idle().await.unwrap();
    f.clock.set(at("2026-03-02T11:15:00Z"));
    tick(&f).await;
    let now = at("2026-03-02T11:15:00Z");
    let all = board(&f, SlaFilter::default(), now).await;
    // The key account (acknowledge in 1 business hour) and the plain one (2) are breached.
    assert_eq!(all.counts.breached, 2, "{all:?}");
    assert_eq!(all.counts.on_track + all.counts.at_risk, 1);
    let listed: Vec<&str> = all.breached.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(
        listed,
        vec![key.as_str(), breached.as_str()],
        "longest overdue first"
    );
    assert_eq!(
        all.breached[0].summary.as_deref(),
        Some("Charged twice for one order")
    );
    let by_clock: Vec<(&str, i64)> = all
        .by_clock
        .iter()
        .map(|t| (t.key.as_str(), t.count))
        .collect();
    assert_eq!(by_clock, vec![("acknowledge", 2), ("owner", 1)]);
    // Still due today: the plain one's owner clock (13:00); the on-track one's next deadline
    // is Wednesday's.
    let due: Vec<&str> = all.due_today.iter().map(|r| r.reference.as_str()).collect();
    assert!(due.contains(&breached.as_str()), "{due:?}");
    assert!(!due.contains(&on_track.as_str()), "{due:?}");
    let keys = board(
        &f,
        SlaFilter {
            tier: Some("key_account".into()),
            ..SlaFilter::default()
        },
        now,
    )
    .await;
    assert_eq!(keys.counts.breached, 1);
    assert_eq!(keys.breached.len(), 1);
    assert_eq!(keys.by_tier.len(), 1);
    let mine = board(
        &f,
        SlaFilter {
            owner: Some(agent().id),
            category: Some("billing".into()),
            ..SlaFilter::default()
        },
        now,
    )
    .await;
    assert_eq!(mine.counts.breached, 0);
    assert_eq!(mine.counts.on_track + mine.counts.at_risk, 1);
    let unassigned = board(
        &f,
        SlaFilter {
            owner: Some(uuid::Uuid::nil()),
            ..SlaFilter::default()
        },
        now,
    )
    .await;
    assert_eq!(unassigned.counts.breached, 2);
}

async fn a_rebuild_gives_the_same_clocks_breaches_and_causes(db: TestDb) {
    let f = Fixture::new(db).await;
    let mut references = Vec::new();
    for i in 0..3 {
        let reference = f
            .receive(&format!("Customer {i}"), &format!("c{i}@example.com"))
            .await;
        for action in f.six_steps().into_iter().take(i * 2) {
            f.ok(&reference, action).await;
        }
        references.push(reference);
    }
    f.clock.advance(Duration::days(3));
    f.store.projections.run_until_idle().await.unwrap();
    tick(&f).await;
    f.run(
        &references[0],
        ComplaintAction::RecordBreachCause {
            clock: SlaClock::Acknowledge,
            cycle: 1,
            cause: "Short-staffed.".into(),
        },
    )
    .await
    .unwrap();
    let closed = f.receive("Closed Customer", "closed@example.com").await;
    f.work_to_closure(&closed).await;
    references.push(closed);
    f.store.projections.run_until_idle().await.unwrap();
    tick(&f).await;
    let snapshot = |f: &Fixture| {
        let store = f.store.clone();
        let references = references.clone();
        async move {
            let mut all = Vec::new();
            for r in &references {
                let (sla, _) = store.sla.of_complaint(r.as_str()).await.unwrap().unwrap();
                let breaches = store.sla.breaches_of(r.as_str()).await.unwrap();
                all.push((sla, breaches));
            }
            all
        }
    };
    let live = snapshot(&f).await;
    assert!(
        live.iter().map(|(_, b)| b.len()).sum::<usize>() >= 3,
        "several breaches to compare"
    );
    assert_eq!(
        live[0].1[0].cause.as_deref(),
        Some("Short-staffed."),
        "{:?}",
        live[0].1
    );
    let alerts_before = alerts(&f).await;
    let evening = at("2026-03-05T18:00:00Z");
    let board_live = board(&f, SlaFilter::default(), evening).await;
    assert_eq!(
        board_live.by_clock.iter().map(|t| t.count).sum::<i64>(),
        live.iter().map(|(_, b)| b.len() as i64).sum::<i64>(),
        "every breach is counted once in the day aggregates"
    );
    f.store
        .projections
        .rebuild(SlaProjector::NAME, &|_| {})
        .await
        .unwrap();
    tick(&f).await;
    assert_eq!(snapshot(&f).await, live);
    assert_eq!(board(&f, SlaFilter::default(), evening).await, board_live);
    assert_eq!(
        alerts(&f).await,
        alerts_before,
        "a rebuild queues no alert again"
    );
}

/// An acknowledgement stamped 10:59 whose transaction commits after the scheduler judged
/// 11:30 (acknowledging was due at 11:00): the breach, its count and its alert are taken back,
/// so the live rows equal a rebuild's.
async fn a_breach_judged_before_a_late_event_is_taken_back_with_its_count_and_alert(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let r = reference.as_str();
    f.store.projections.run_until_idle().await.unwrap();
    f.clock.set(at("2026-03-02T10:59:00Z"));
    f.store.sla.tick(at("2026-03-02T11:30:00Z")).await.unwrap();
    assert_eq!(f.store.sla.breaches_of(r).await.unwrap().len(), 1);
    let breach_alert = alert_id(r, SlaClock::Acknowledge, 1, EmailKind::SlaBreach);
    assert!(alerts(&f).await.iter().any(|(id, _)| *id == breach_alert));
    f.run(
        &reference,
        ComplaintAction::Acknowledge {
            apology: "We are sorry.".into(),
        },
    )
    .await
    .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    assert!(f.store.sla.breaches_of(r).await.unwrap().is_empty());
    assert_eq!(
        clock_status(&f, r, SlaClock::Acknowledge).await,
        ClockStatus::Met
    );
    let state: String = on_pool!(&f.store.db, |pool| sqlx::query_scalar(
        "SELECT state FROM outbox WHERE id = $1"
    )
    .bind(&breach_alert)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(state, "cancelled");
    let taken_back = board(&f, SlaFilter::default(), at("2026-03-02T11:30:00Z")).await;
    assert_eq!(
        taken_back.by_clock.iter().map(|t| t.count).sum::<i64>(),
        0,
        "{:?}",
        taken_back.by_clock
    );
}

/// The dates given to the customer are deadlines: the next update's date (met by the next
/// message to them) and the commitment's "done by" date (met by the resolution). Missed, they
/// breach at the end of the day given, like any clock: recorded by the tick, alerted, counted
/// on the dashboard.
async fn promised_dates_are_clocks_that_breach_alert_and_show_on_the_dashboard(db: TestDb) {
    let f = Fixture::new(db).await;
    // Monday 2 March 2026, 09:00 UTC (Europe/London is on UTC until the 29th).
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let r = reference.as_str();
    let tuesday = chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    let wednesday = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
    for action in f.six_steps() {
        let action = match action {
            ComplaintAction::CommitToAction { action, .. } => ComplaintAction::CommitToAction {
                action,
                due_on: wednesday,
                resolve_by: None,
            },
            ComplaintAction::SendProgressUpdate { message, .. } => {
                ComplaintAction::SendProgressUpdate {
                    message,
                    next_update_on: tuesday,
                    resolve_by: None,
                }
            }
            other => other,
        };
        f.ok(&reference, action).await;
    }
    f.store.projections.run_until_idle().await.unwrap();
    let (sla, _) = f.store.sla.of_complaint(r).await.unwrap().unwrap();
    let promise = sla.clock(SlaClock::Promise);
    assert_eq!(promise.deadline, Some(tuesday));
    assert_eq!(promise.due_at, Some(at("2026-03-04T00:00:00Z")));
    let action = sla.clock(SlaClock::Action);
    assert_eq!(action.due_at, Some(at("2026-03-05T00:00:00Z")));
    assert_eq!(
        clock_status(&f, r, SlaClock::Promise).await,
        ClockStatus::OnTrack
    );

    // Wednesday 10:00, no word to the customer since Monday: the promise is broken at
    // midnight, by the tick alone.
    f.clock.set(at("2026-03-04T10:00:00Z"));
    tick(&f).await;
    assert_eq!(
        clock_status(&f, r, SlaClock::Promise).await,
        ClockStatus::Breached
    );
    let breaches = f.store.sla.breaches_of(r).await.unwrap();
    let broken = breaches
        .iter()
        .find(|b| b.clock == "promise")
        .unwrap_or_else(|| panic!("no promise breach among {breaches:?}"));
    assert_eq!(broken.due_at, at("2026-03-04T00:00:00Z"));
    let breach_alert = alert_id(r, SlaClock::Promise, 1, EmailKind::SlaBreach);
    assert!(
        alerts(&f).await.iter().any(|(id, _)| *id == breach_alert),
        "no breach alert {breach_alert} in {:?}",
        alerts(&f).await
    );
    let dashboard = board(&f, SlaFilter::default(), at("2026-03-04T10:00:00Z")).await;
    assert_eq!(dashboard.counts.breached, 1);

    // Resolved on Wednesday: the action is done by its date; the promise is met late.
    f.run(
        &reference,
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: redress_domain::Outcome::Upheld,
                reasons: "Charged twice.".into(),
            }],
            reasons: "Refunded.".into(),
            remedy: None,
            redress_paid_cents: None,
        },
    )
    .await
    .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(
        clock_status(&f, r, SlaClock::Action).await,
        ClockStatus::Met
    );
    assert_eq!(
        clock_status(&f, r, SlaClock::Promise).await,
        ClockStatus::MetLate
    );
    // A rebuild agrees.
    let report = f.store.projections.check("sla").await.unwrap();
    assert!(report.matches(), "{report:?}");
}
