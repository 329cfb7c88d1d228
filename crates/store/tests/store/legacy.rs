//! Events recorded before this version still load, project, rebuild and show as they did.
//!
//! `fixtures/legacy-2026-12.json` holds the events of six complaints (every kind of event
//! there was: a complaint worked to closure and rated, one stopped while its facts were
//! established, one reopened with triage changes, one by email with files, one breached with a
//! cause, one erased) exactly as the code of December 2026 wrote them, at version 1, with the
//! customers' keys; and what that code's projections made of them. Here they are stored as
//! they were, read through today's upcasters, loaded as aggregates, projected and rebuilt, and
//! compared with what was recorded then.
//!
//! One difference is by design, and asserted as such: step 2 is now done when the points of
//! complaint are recorded, so a complaint that was waiting for its facts to be concluded,
//! with no points yet, now waits for its points (`listen` where it said `establish_facts`).
//! A complaint concluded before points existed keeps its place.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use redress_domain::{ManualClock, Reference, SlaClock};
use redress_store::{Database, Store};
use redress_testing::TestDb;
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/legacy-2026-12.json");

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Stores the fixture's keys, secret and events in a fresh database, as they were written.
async fn stored(db: &TestDb, fixture: &Value) -> Database {
    let database = db.database().await;
    let secret = hex(fixture["email_digest_secret"].as_str().unwrap());
    redress_store::on_pool!(&database, |pool| sqlx::query(
        "INSERT INTO instance_secrets (name, value) VALUES ('email_digest', $1)"
    )
    .bind(&secret)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    for key in fixture["customer_keys"].as_array().unwrap() {
        let id = uuid::Uuid::from_slice(&hex(key["customer_id"].as_str().unwrap())).unwrap();
        let at: DateTime<Utc> = key["created_at"].as_str().unwrap().parse().unwrap();
        redress_store::on_pool!(&database, |pool| sqlx::query(
            "INSERT INTO customer_keys (customer_id, email_digest, sealing_key, created_at)
             VALUES ($1, $2, $3, $4)"
        )
        .bind(id)
        .bind(hex(key["email_digest"].as_str().unwrap()))
        .bind(hex(key["sealing_key"].as_str().unwrap()))
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
    }
    let cast = match &database {
        Database::Sqlite(_) => "",
        Database::Postgres(_) => "::json",
    };
    for event in fixture["events"].as_array().unwrap() {
        assert_eq!(event["event_version"], "1", "the fixture is of version 1");
        let sql = format!(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata)
             VALUES ($1, $2, $3, $4, $5, $6{cast}, $7{cast})"
        );
        redress_store::on_pool!(&database, |pool| sqlx::query(&sql)
            .bind(event["aggregate_type"].as_str().unwrap())
            .bind(event["aggregate_id"].as_str().unwrap())
            .bind(event["sequence"].as_i64().unwrap())
            .bind(event["event_type"].as_str().unwrap())
            .bind(event["event_version"].as_str().unwrap())
            .bind(event["payload"].to_string())
            .bind(event["metadata"].to_string())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .unwrap();
    }
    database
}

/// Every key of `expected` has the same value in `actual` (which may have more, added since).
fn assert_holds(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let found = actual
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}.{key} is gone"));
                assert_holds(value, found, &format!("{at}.{key}"));
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            // The clocks of then come first; the promises (the next update's date, the
            // commitment's) came since, after them.
            if at.ends_with(".clocks") {
                assert!(
                    actual[expected.len()..]
                        .iter()
                        .all(|c| c["clock"] == "promise" || c["clock"] == "action")
                );
            } else {
                assert_eq!(expected.len(), actual.len(), "{at}: not as many");
            }
            for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
                assert_holds(e, a, &format!("{at}[{i}]"));
            }
        }
        (expected, actual) => assert_eq!(expected, actual, "{at}"),
    }
}

/// What the projections make of the stored events now, compared with then.
async fn compare(store: &Store, fixture: &Value) {
    let then = fixture["complaint_list"].as_array().unwrap();
    let now = store.complaint_list.all().await.unwrap();
    assert_eq!(now.len(), then.len());
    let mut moved_to_listening = 0;
    for (old, new) in then.iter().zip(&now) {
        let reference = old["reference"].as_str().unwrap();
        let mut new = serde_json::to_value(new).unwrap();
        // The one change by design: a complaint waiting for its facts, without points, now
        // waits for its points first.
        if old["step"] == "establish_facts" {
            assert_eq!(new["step"], "listen", "{reference}");
            assert_eq!(new["listened"], false, "{reference}");
            new["step"] = old["step"].clone();
            moved_to_listening += 1;
        }
        assert_holds(old, &new, reference);

        let (clocks, _) = store.sla.of_complaint(reference).await.unwrap().unwrap();
        let clocks = serde_json::to_value(&clocks).unwrap();
        assert_holds(
            &fixture["sla"][reference],
            &clocks,
            &format!("{reference} clocks"),
        );
        let breaches =
            serde_json::to_value(store.sla.breaches_of(reference).await.unwrap()).unwrap();
        assert_holds(
            &fixture["breaches"][reference],
            &breaches,
            &format!("{reference} breaches"),
        );
    }
    assert!(
        moved_to_listening > 0,
        "the fixture has a complaint waiting for its facts"
    );

    let first: DateTime<Utc> = fixture["events"][0]["payload"]["occurred_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let end: DateTime<Utc> = fixture["clock_at_end"].as_str().unwrap().parse().unwrap();
    let filter = redress_store::reports::ReportFilter {
        range: redress_store::reports::Range {
            from: first.date_naive(),
            to: end.date_naive(),
        },
        grouping: redress_store::reports::Grouping::Day,
        by: "all",
        only: None,
        basis: redress_domain::Basis::Business,
    };
    let volume = store.reports.volume(&filter).await.unwrap().total;
    let expected = &fixture["reports"]["volume"];
    for (key, value) in [
        ("received", volume.received),
        ("repeat_received", volume.repeat_received),
        ("closed", volume.closed),
        ("closed_3d", volume.closed_3d),
        ("reopened", volume.reopened),
        ("resolved", volume.resolved),
        ("upheld", volume.upheld),
        ("partly_upheld", volume.partly_upheld),
        ("not_upheld", volume.not_upheld),
        ("redress_cents", volume.redress_cents),
        ("backlog_delta", volume.backlog_delta),
        ("sat_n", volume.sat_n),
        ("sat_sum", volume.sat_sum),
    ] {
        assert_eq!(expected[key], value, "reports: {key}");
    }
    assert_eq!(volume.points, 0, "no complaint of then had points");
    let speed = store.reports.speed(&filter).await.unwrap();
    for row in fixture["reports"]["speed"].as_array().unwrap() {
        let clock = SlaClock::parse(row[0].as_str().unwrap()).unwrap();
        let now = speed.iter().find(|s| s.clock == clock).unwrap();
        assert_eq!(
            [now.total.runs, now.total.tracked, now.total.within],
            [
                row[1].as_i64().unwrap(),
                row[2].as_i64().unwrap(),
                row[3].as_i64().unwrap()
            ],
            "reports: speed of {clock}"
        );
    }
}

async fn events_recorded_before_points_existed_still_load_project_and_rebuild_as_they_did(
    db: TestDb,
) {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let database = stored(&db, &fixture).await;
    let end: DateTime<Utc> = fixture["clock_at_end"].as_str().unwrap().parse().unwrap();
    let store = Store::from_database(
        database,
        Arc::new(ManualClock::at(end)),
        Arc::new(redress_notify::Policy),
    )
    .await
    .unwrap();

    // Every event reads in today's shape, and every complaint loads as an aggregate (through
    // cqrs-es and its upcasters) that still takes commands.
    for row in fixture["complaint_list"].as_array().unwrap() {
        let reference = Reference::parse(row["reference"].as_str().unwrap()).unwrap();
        let events = store.complaints.events_of(&reference).await.unwrap();
        assert!(!events.is_empty());
        for event in &events {
            assert_eq!(event.event_version(), event.change.version());
        }
        let complaint = store.complaints.load(&reference).await.unwrap().unwrap();
        assert_eq!(complaint.reference(), Some(&reference));
    }

    store.projections.run_until_idle().await.unwrap();
    compare(&store, &fixture).await;
    for name in store.projections.names() {
        store.projections.rebuild(name, &|_| {}).await.unwrap();
    }
    compare(&store, &fixture).await;
    for name in store.projections.names() {
        let report = store.projections.check(name).await.unwrap();
        assert!(
            report
                .tables
                .iter()
                .all(|t| t.only_live == 0 && t.only_rebuilt == 0),
            "{name} differs from its rebuild: {report:?}"
        );
    }
}

redress_testing::on_both_backends!(
    events_recorded_before_points_existed_still_load_project_and_rebuild_as_they_did
);
