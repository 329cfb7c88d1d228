//! Service recovery, on both databases: a score of 1 opens one follow-up complaint on the
//! survey channel, linked to the first, for its owner, with its own SLA clocks and a receipt
//! to the customer; a retry after a crash opens no second; a score above the limit, a
//! recovery turned off and an erased customer open none; the loyalty report counts the
//! follow-up, its acknowledgement and the better second score.

use redress_domain::{Actor, ComplaintAction, ComplaintCommand, Reference};
use redress_store::Role;
use redress_testing::{TestDb, on_both_backends};

use crate::causes::{file, resolve};
use crate::{TestApp, spawn_app, spawn_live_app_with};

on_both_backends!(
    a_score_of_one_opens_one_follow_up_with_its_clock_for_the_first_owner,
    scores_above_the_limit_recovery_turned_off_and_erased_customers_open_nothing,
    the_running_worker_opens_the_follow_up_without_being_asked,
);

async fn score(app: &TestApp, reference: &Reference, score: u8, comment: Option<&str>) {
    app.store
        .complaints
        .execute(
            reference,
            ComplaintCommand::new(
                Actor::Customer,
                ComplaintAction::RecordSatisfaction {
                    score,
                    comment: comment.map(str::to_string),
                    would_change: Some("Call people back.".into()),
                },
            ),
        )
        .await
        .unwrap();
}

/// The complaints on the survey channel.
async fn follow_ups(app: &TestApp) -> Vec<redress_store::complaint_list::ComplaintListRow> {
    let mut rows = Vec::new();
    for reference in queue_rows(app).await.into_iter().map(|r| r.1) {
        if let Some(row) = app.store.complaint_list.get(&reference).await.unwrap() {
            rows.push(row);
        }
    }
    rows
}

/// (source, follow-up, state) of every queued score.
async fn queue_rows(app: &TestApp) -> Vec<(String, String, String)> {
    match &app.store.db {
        redress_store::Database::Sqlite(pool) => sqlx::query_as(
            "SELECT source, follow_up, state FROM recovery_queue ORDER BY scored_at, source",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        redress_store::Database::Postgres(pool) => sqlx::query_as(
            "SELECT source, follow_up, state FROM recovery_queue ORDER BY scored_at, source",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}

async fn complaints_counted(app: &TestApp) -> i64 {
    match &app.store.db {
        redress_store::Database::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM complaint_list")
                .fetch_one(pool)
                .await
                .unwrap()
        }
        redress_store::Database::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM complaint_list")
                .fetch_one(pool)
                .await
                .unwrap()
        }
    }
}

async fn a_score_of_one_opens_one_follow_up_with_its_clock_for_the_first_owner(db: TestDb) {
    let app = spawn_app(db).await;
    let first = file(&app, "Charged twice").await;
    resolve(&app, &first).await;
    score(&app, &first, 1, Some("Nobody called me back.")).await;
    app.settle().await;

    let rows = queue_rows(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, first.as_str());
    assert_eq!(rows[0].2, "opened");
    let follow_up = Reference::parse(&rows[0].1).unwrap();
    let row = app.list_row(follow_up.as_str()).await;
    let source = app.list_row(first.as_str()).await;
    assert_eq!(row.channel, "survey");
    assert_eq!(row.priority, "high");
    assert_eq!(row.category, source.category);
    assert_eq!(row.customer_id, source.customer_id, "the same customer");
    assert_eq!(
        row.owner_name.as_deref(),
        Some("Test Agent"),
        "the first one's owner"
    );
    assert!(row.summary.contains(first.as_str()), "{}", row.summary);
    // Linked both ways.
    let loaded = app
        .store
        .complaints
        .load(&follow_up)
        .await
        .unwrap()
        .unwrap();
    assert!(loaded.links().contains(first.as_str()));
    let loaded = app.store.complaints.load(&first).await.unwrap().unwrap();
    assert!(loaded.links().contains(follow_up.as_str()));
    // Its own clocks, running.
    let (clocks, _) = app
        .store
        .sla
        .of_complaint(follow_up.as_str())
        .await
        .unwrap()
        .expect("the follow-up has SLA clocks");
    assert!(!clocks.clocks.is_empty());
    // The customer's words are the follow-up's, on the staff page.
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    let page = agent
        .get(&format!("/complaints/{follow_up}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Nobody called me back."), "{page}");
    assert!(page.contains("Survey follow-up"), "the channel is named");

    // A worker that died after receiving the follow-up and before marking its row: the next
    // pass finds it there and opens no second.
    let before = complaints_counted(&app).await;
    reset_to_pending(&app, first.as_str()).await;
    let pass = app.store.recovery.pass().await.unwrap();
    assert_eq!(pass.opened, 1, "marked opened again");
    app.settle().await;
    assert_eq!(
        complaints_counted(&app).await,
        before,
        "no second follow-up"
    );
    assert_eq!(follow_ups(&app).await.len(), 1);

    // The follow-up is acknowledged and resolved, and the customer scores it 4: better.
    resolve(&app, &follow_up).await;
    score(&app, &follow_up, 4, None).await;
    app.settle().await;
    let manager = app.another_visitor();
    manager.sign_in_as(Role::Manager).await;
    let csv = manager
        .get("/reports/loyalty?format=csv&table=loyalty-recovery")
        .await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let value = |measure: &str| {
        rows.iter()
            .find(|r| r[0] == measure)
            .unwrap_or_else(|| panic!("no {measure} in {rows:?}"))[1]
            .clone()
    };
    assert_eq!(value("Low scores given in the period"), "1");
    assert_eq!(
        value("Followed up (a follow-up complaint opened)"),
        "1 (100%)"
    );
    assert_eq!(value("Follow-ups acknowledged"), "1 (100%)");
    assert_eq!(value("Follow-ups the customer scored again"), "1 (100%)");
    assert_eq!(value("Scored better the second time"), "1 (100%)");
    assert!(!value("Median working hours to acknowledge a follow-up").is_empty());
    // The 4 is above the limit: no follow-up of the follow-up.
    assert_eq!(follow_ups(&app).await.len(), 1);
    app.stop().await;
}

async fn reset_to_pending(app: &TestApp, source: &str) {
    let sql = "UPDATE recovery_queue SET state = 'pending', opened_at = NULL WHERE source = $1";
    match &app.store.db {
        redress_store::Database::Sqlite(pool) => {
            sqlx::query(sql).bind(source).execute(pool).await.unwrap();
        }
        redress_store::Database::Postgres(pool) => {
            sqlx::query(sql).bind(source).execute(pool).await.unwrap();
        }
    }
}

async fn scores_above_the_limit_recovery_turned_off_and_erased_customers_open_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    // A 3 is above the default limit of 2.
    let third = file(&app, "Late delivery").await;
    resolve(&app, &third).await;
    score(&app, &third, 3, Some("Slow.")).await;
    app.settle().await;
    assert_eq!(queue_rows(&app).await[0].2, "skipped");
    assert!(follow_ups(&app).await.is_empty());

    // The customer is erased before the worker reaches their 1: nothing is opened for them.
    let erased = file(&app, "Rude call").await;
    resolve(&app, &erased).await;
    score(&app, &erased, 1, Some("Rude.")).await;
    app.store.projections.run_until_idle().await.unwrap();
    let customer = app.store.complaints.load(&erased).await.unwrap().unwrap();
    app.store
        .complaints
        .erase_customer(
            customer.customer().unwrap(),
            Actor::System {
                name: "test".into(),
            },
            "asked",
        )
        .await
        .unwrap();
    app.settle().await;
    let rows = queue_rows(&app).await;
    assert!(rows.iter().all(|r| r.2 == "skipped"), "{rows:?}");
    assert!(follow_ups(&app).await.is_empty());

    // Recovery turned off (limit 0): a 1 opens nothing either.
    let app = app.restart(&[("REDRESS_RECOVERY_SCORE", "0")]).await;
    assert_eq!(app.store.recovery.limit(), 0);
    let off = file(&app, "Wrong parcel").await;
    resolve(&app, &off).await;
    score(&app, &off, 1, None).await;
    app.settle().await;
    let rows = queue_rows(&app).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.2 == "skipped"), "{rows:?}");
    assert!(follow_ups(&app).await.is_empty());
    app.stop().await;
}

async fn the_running_worker_opens_the_follow_up_without_being_asked(db: TestDb) {
    let app = spawn_live_app_with(db, &[("REDRESS_RECOVERY_SCORE", "3")]).await;
    let first = file(&app, "Charged twice").await;
    resolve(&app, &first).await;
    score(&app, &first, 3, None).await;
    let mut opened = Vec::new();
    for _ in 0..200 {
        opened = follow_ups(&app).await;
        if !opened.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        opened.len(),
        1,
        "the worker opened the follow-up of a 3 (limit 3)"
    );
    assert_eq!(opened[0].channel, "survey");
    app.stop().await;
}
