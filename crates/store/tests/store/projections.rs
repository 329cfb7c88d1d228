use chrono::Duration;
use redress_domain::{ComplaintAction, Priority};
use redress_store::ComplaintListProjector;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{Fixture, other_agent};

on_both_backends!(
    a_rebuilt_projection_equals_the_live_one,
    running_the_projector_again_changes_nothing,
    rebuilding_an_unknown_projection_names_the_known_ones,
    the_checkpoint_and_the_rows_move_together,
    the_queue_search_finds_any_part_of_what_it_searches_through_changes_and_rebuilds,
    the_outbox_owes_one_email_per_telling_step_and_a_rebuild_adds_none,
    check_finds_a_tampered_projection_shows_the_rows_and_changes_nothing,
    a_companys_latest_complaint_is_the_latest_by_date_whatever_order_they_arrive_in,
);

/// Complaints can be recorded out of date order (back-dated intake, imports): a company's
/// "latest complaint" is the latest by date, not the last one the projection applied.
async fn a_companys_latest_complaint_is_the_latest_by_date_whatever_order_they_arrive_in(
    db: TestDb,
) {
    let f = Fixture::new(db).await;
    // 3 December first, then one dated 24 September (both for Contoso Ltd).
    let december = chrono::DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
        .unwrap()
        .to_utc();
    let september = chrono::DateTime::parse_from_rfc3339("2026-09-24T10:00:00Z")
        .unwrap()
        .to_utc();
    f.clock.set(december);
    f.receive("Ana Pop", "ana@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    f.clock.set(september);
    f.receive("Ion Pop", "ion@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    let latest = |companies: Vec<redress_store::companies::CompanyFile>| {
        companies
            .into_iter()
            .find(|c| c.name == "Contoso Ltd")
            .and_then(|c| c.last_received_at)
    };
    assert_eq!(
        latest(f.store.companies.list("", 10).await.unwrap()),
        Some(december)
    );
    // Both in one batch, in that order: the same.
    f.store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        latest(f.store.companies.list("", 10).await.unwrap()),
        Some(december)
    );
}

/// `redress check`'s engine: every projection equals a rebuild, including one that has not
/// caught up yet (it is caught up inside the check); a tampered row and a missing row are
/// found and shown; and nothing the check did remains.
async fn check_finds_a_tampered_projection_shows_the_rows_and_changes_nothing(db: TestDb) {
    let f = Fixture::new(db).await;
    let first = f.receive("Ana Pop", "ana@example.ro").await;
    f.work_to_closure(&first).await;
    let second = f.receive("Ion Ionescu", "ion@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    // One more event that no projector has applied yet.
    let third = f.receive("Lucía García", "lucia@example.es").await;
    for name in f.store.projections.names() {
        // On PostgreSQL a transaction of another test still running can hold the newest
        // event back for a moment (see the event log): look again until it is readable.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let report = f.store.projections.check(name).await.unwrap();
            assert!(report.matches(), "{report:?}");
            if report.events as i64 == f.event_count().await {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{report:?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    // The check caught up only inside its own transaction.
    assert!(
        f.store
            .complaint_list
            .all()
            .await
            .unwrap()
            .iter()
            .all(|row| row.reference != third.as_str())
    );
    f.store.projections.run_until_idle().await.unwrap();

    redress_store::on_pool!(&f.store.db, |pool| sqlx::query(
        "UPDATE complaint_list SET summary = 'tampered' WHERE reference = $1"
    )
    .bind(second.as_str())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    redress_store::on_pool!(&f.store.db, |pool| sqlx::query(
        "DELETE FROM sla_clock_states WHERE reference = $1"
    )
    .bind(first.as_str())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let list = f.store.projections.check("complaint_list").await.unwrap();
    assert!(!list.matches());
    let table = list
        .tables
        .iter()
        .find(|t| t.table == "complaint_list")
        .unwrap();
    assert_eq!((table.only_live, table.only_rebuilt), (1, 1), "{table:?}");
    assert_eq!((table.live_rows, table.rebuilt_rows), (3, 3));
    assert!(table.only_live_sample[0].contains("tampered"), "{table:?}");
    assert!(
        !table.only_rebuilt_sample[0].contains("tampered")
            && table.only_rebuilt_sample[0].contains(second.as_str()),
        "{table:?}"
    );
    assert!(
        list.tables
            .iter()
            .filter(|t| t.table != "complaint_list")
            .all(|t| t.matches())
    );
    let sla = f.store.projections.check("sla").await.unwrap();
    let clocks = sla
        .tables
        .iter()
        .find(|t| t.table == "sla_clock_states")
        .unwrap();
    assert_eq!(
        (clocks.only_live, clocks.only_rebuilt),
        (0, 1),
        "{clocks:?}"
    );
    assert_eq!(clocks.rebuilt_rows, clocks.live_rows + 1);
    assert!(clocks.only_rebuilt_sample[0].contains(first.as_str()));
    // Nothing the check did remains: the tampered row is still tampered.
    let summary: String = redress_store::on_pool!(&f.store.db, |pool| sqlx::query_scalar(
        "SELECT summary FROM complaint_list WHERE reference = $1"
    )
    .bind(second.as_str())
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(summary, "tampered");
    // A rebuild mends it.
    f.store
        .projections
        .rebuild("complaint_list", &|_| {})
        .await
        .unwrap();
    assert!(
        f.store
            .projections
            .check("complaint_list")
            .await
            .unwrap()
            .matches()
    );
}

async fn the_outbox_owes_one_email_per_telling_step_and_a_rebuild_adds_none(db: TestDb) {
    let f = Fixture::new(db).await;
    // A complaint from long ago owes nothing now; a fresh one owes one email per step that
    // tells the customer something.
    let old = f.receive("Old Customer", "old@example.com").await;
    f.clock.advance(Duration::days(4));
    f.store.projections.run_until_idle().await.unwrap();
    assert!(
        f.store
            .outbox
            .of_complaint(old.as_str())
            .await
            .unwrap()
            .is_empty()
    );
    let fresh = f.receive("Ana Pop", "ana@example.ro").await;
    f.work_to_closure(&fresh).await;
    f.store.projections.run_until_idle().await.unwrap();
    let (staff, kinds): (Vec<String>, Vec<String>) = f
        .store
        .outbox
        .of_complaint(fresh.as_str())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .partition(|kind| kind.starts_with("sla_"));
    // The owner was named at 13:19, after the owner clock became at risk at 12:00 and was
    // breached at 13:00: its alerts to staff sit in the same outbox.
    assert_eq!(staff, ["sla_at_risk", "sla_breach"]);
    assert_eq!(
        kinds,
        [
            "receipt",
            "acknowledgement",
            "commitment",
            "owner",
            "progress",
            "outcome",
            "survey"
        ]
    );
    let before = f.store.outbox.of_complaint(fresh.as_str()).await.unwrap();
    f.store
        .projections
        .rebuild(redress_store::OutboxProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        f.store.outbox.of_complaint(fresh.as_str()).await.unwrap(),
        before
    );
    assert!(
        f.store
            .outbox
            .of_complaint(old.as_str())
            .await
            .unwrap()
            .is_empty()
    );
    // Seven to the customer, two to staff.
    assert_eq!(f.store.outbox.counts().await.unwrap().pending, 9);
}

/// On SQLite the search reads an FTS5 trigram index kept by triggers, on PostgreSQL a pg_trgm
/// index: both must find any part of a name, company or summary, in any script, keep up with
/// changes and rebuilds, and take quotes and wildcards literally.
async fn the_queue_search_finds_any_part_of_what_it_searches_through_changes_and_rebuilds(
    db: TestDb,
) {
    let f = Fixture::new(db).await;
    let ana = f.receive("Ana Popescu", "ana@example.ro").await;
    let wang = f.receive("王芳芳", "wang@example.cn").await;
    let quote = f.receive("Mary \"Mo\" O'Neil", "mary@example.ie").await;
    f.store.projections.run_until_idle().await.unwrap();
    let found = |text: &str| {
        let store = f.store.clone();
        let text = text.to_string();
        async move {
            let filter = redress_store::QueueFilter {
                search: Some(text),
                ..Default::default()
            };
            let mut refs: Vec<String> = store
                .complaint_list
                .queue(&filter, Default::default(), None, 50)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.reference)
                .collect();
            refs.sort();
            refs
        }
    };
    let one = |r: &redress_domain::Reference| vec![r.to_string()];
    assert_eq!(found("OPESC").await, one(&ana), "inside a word, any case");
    assert_eq!(found("王芳芳").await, one(&wang));
    assert_eq!(found("芳芳").await, one(&wang), "two characters scan");
    assert_eq!(found("\"mo\" o'n").await, one(&quote), "quotes are literal");
    assert_eq!(found("contoso").await.len(), 3, "the company");
    assert_eq!(found(&ana.as_str()[4..]).await, one(&ana), "the reference");
    assert!(found("%%%").await.is_empty());
    assert!(found("ana popescux").await.is_empty());

    // A change of category does not touch the search text; erasure takes the name out.
    f.ok(
        &ana,
        ComplaintAction::ChangeCategory {
            category: "Delivery".into(),
        },
    )
    .await;
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(found("popescu").await, one(&ana));
    f.store
        .complaints
        .erase_customer(
            f.store
                .complaint_list
                .get(ana.as_str())
                .await
                .unwrap()
                .map(|r| redress_domain::CustomerId(r.customer_id))
                .unwrap(),
            redress_domain::Actor::System {
                name: "test".into(),
            },
            "request",
        )
        .await
        .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    assert!(found("popescu").await.is_empty());
    assert_eq!(found("王芳芳").await, one(&wang));

    f.store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert!(found("popescu").await.is_empty());
    assert_eq!(found("\"mo\" o'n").await, one(&quote));
    assert_eq!(found("charged twice").await.len(), 3, "the summary");
    // After a rebuild the index keeps up with new complaints again.
    let later = f.receive("Zoë Quist", "zoe@example.nl").await;
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(found("zoë qu").await, one(&later));
}

/// A mix of complaints at every stage, projected live in small batches while commands run.
async fn a_rebuilt_projection_equals_the_live_one(db: TestDb) {
    let f = Fixture::new(db).await;
    let projections = f.store.projections.clone().with_batch_size(7);
    let names = [
        "Ana Pop",
        "Ion Ionescu",
        "Lucía García",
        "王芳",
        "Olivia Bennett",
        "Hugo Martínez",
    ];
    let mut references = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let email = format!("customer{i}@example.com");
        let reference = f.receive(name, &email).await;
        let steps = f.six_steps();
        for action in steps.into_iter().take(i + 1) {
            f.ok(&reference, action).await;
        }
        if i % 2 == 0 {
            f.ok(
                &reference,
                ComplaintAction::ChangePriority {
                    priority: Priority::Urgent,
                },
            )
            .await;
        }
        projections
            .catch_up_batch(&ComplaintListProjector)
            .await
            .unwrap();
        references.push(reference);
    }
    f.work_to_closure(&f.receive("Closed Customer", "closed@example.com").await)
        .await;
    f.ok(
        &references[5],
        ComplaintAction::AssignOwner {
            owner: other_agent(),
        },
    )
    .await;
    f.clock.advance(Duration::days(2));
    projections.run_until_idle().await.unwrap();

    let live = f.store.complaint_list.all().await.unwrap();
    assert_eq!(live.len(), names.len() + 1);
    let companies = f.store.companies.list("", 100).await.unwrap();
    assert_eq!(companies.len(), 1, "every complaint names Contoso Ltd");
    assert_eq!(companies[0].complaints, live.len() as i64);
    assert_eq!(
        companies[0].open_complaints,
        live.iter().filter(|r| !r.closed).count() as i64
    );
    let report = f
        .store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.events as i64, f.event_count().await);
    let rebuilt = f.store.complaint_list.all().await.unwrap();
    assert_eq!(rebuilt, live);
    assert_eq!(f.store.companies.list("", 100).await.unwrap(), companies);
    assert_eq!(
        f.store
            .projections
            .checkpoint(ComplaintListProjector::NAME)
            .await
            .unwrap()
            .position,
        live.iter().map(|r| r.last_position).max().unwrap()
    );
}

async fn running_the_projector_again_changes_nothing(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    f.work_to_closure(&reference).await;
    let applied = f.store.projections.run_until_idle().await.unwrap();
    let projectors = f.store.projections.names().len() as i64;
    assert_eq!(
        applied as i64,
        projectors * f.event_count().await,
        "each projector saw each event once"
    );
    let first = f.store.complaint_list.all().await.unwrap();
    assert_eq!(f.store.projections.run_until_idle().await.unwrap(), 0);
    assert_eq!(f.store.complaint_list.all().await.unwrap(), first);
    assert_eq!(first[0].event_count, f.event_count().await);
}

async fn rebuilding_an_unknown_projection_names_the_known_ones(db: TestDb) {
    let f = Fixture::new(db).await;
    let error = f
        .store
        .projections
        .rebuild("complaints", &|_| {})
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "there is no projection called \"complaints\"; the projections are: complaint_list, outbox, sla, reports, notifications, recovery, webhooks"
    );
}

async fn the_checkpoint_and_the_rows_move_together(db: TestDb) {
    let f = Fixture::new(db).await;
    let projections = f.store.projections.clone().with_batch_size(2);
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    for action in f.six_steps() {
        f.ok(&reference, action).await;
    }
    // 9 events, at most 2 per batch. (On PostgreSQL a batch may apply fewer while another
    // test's transaction holds the cluster's xmin back.) After every batch the row has seen
    // exactly what the checkpoint says.
    let mut applied = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while applied < 9 {
        assert!(
            std::time::Instant::now() < deadline,
            "the projector never caught up"
        );
        let batch = projections
            .catch_up_batch(&ComplaintListProjector)
            .await
            .unwrap();
        assert!(batch <= 2, "a batch of {batch}");
        if batch == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            continue;
        }
        applied += batch as i64;
        let row = f.row(&reference).await;
        assert_eq!(row.event_count, applied);
        let checkpoint = projections
            .checkpoint(ComplaintListProjector::NAME)
            .await
            .unwrap();
        assert_eq!(checkpoint.position, row.last_position);
    }
    assert_eq!(
        projections
            .catch_up_batch(&ComplaintListProjector)
            .await
            .unwrap(),
        0
    );
}
