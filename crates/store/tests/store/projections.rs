use chrono::Duration;
use redress_domain::{ComplaintAction, Priority};
use redress_store::testing::TestDb;
use redress_store::{ComplaintListProjector, on_both_backends};

use crate::{Fixture, other_agent};

on_both_backends!(
    a_rebuilt_projection_equals_the_live_one,
    running_the_projector_again_changes_nothing,
    rebuilding_an_unknown_projection_names_the_known_ones,
    the_checkpoint_and_the_rows_move_together,
);

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
    let report = f
        .store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.events as i64, f.event_count().await);
    let rebuilt = f.store.complaint_list.all().await.unwrap();
    assert_eq!(rebuilt, live);
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
    assert_eq!(applied as i64, f.event_count().await);
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
        "there is no projection called \"complaints\"; the projections are: complaint_list"
    );
}

async fn the_checkpoint_and_the_rows_move_together(db: TestDb) {
    let f = Fixture::new(db).await;
    let projections = f.store.projections.clone().with_batch_size(2);
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    for action in f.six_steps() {
        f.ok(&reference, action).await;
    }
    // 8 events, at most 2 per batch. (On PostgreSQL a batch may apply fewer while another
    // test's transaction holds the cluster's xmin back.) After every batch the row has seen
    // exactly what the checkpoint says.
    let mut applied = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while applied < 8 {
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
