//! The global order on PostgreSQL: an event whose transaction commits late is never skipped.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use redress_store::vault::KeyRing;
use redress_store::{
    Checkpoint, ComplaintListProjector, Database, Projections, Projector, StoreError, StoredEvent,
    Tx,
};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::Fixture;

/// Records the order it sees events in.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, Checkpoint)>>);

#[async_trait]
impl Projector for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }
    async fn apply(
        &self,
        _tx: &mut Tx,
        _keys: &mut KeyRing,
        event: &StoredEvent,
    ) -> Result<(), StoreError> {
        self.0
            .lock()
            .unwrap()
            .push((event.reference.to_string(), event.checkpoint));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_waits_for_a_transaction_that_commits_late_then_sees_both_in_order() {
    let f = Fixture::new(TestDb::postgres().await).await;
    let Database::Postgres(pool) = f.store.db.clone() else {
        unreachable!()
    };
    let recorder = Arc::new(Recorder::default());
    let projections = Projections::new(
        f.store.db.clone(),
        vec![Arc::new(ComplaintListProjector), recorder.clone()],
    );

    // Without teams a receipt is one event, which the positions below count.
    sqlx::query("DELETE FROM teams")
        .execute(&pool)
        .await
        .unwrap();
    // A first complaint, projected: the checkpoint stands after it.
    let first = f.receive("Ana Pop", "ana@example.ro").await;
    projections.run_until_idle().await.unwrap();
    let template: serde_json::Value = sqlx::query_scalar("SELECT payload::jsonb FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();

    // Transaction "late" inserts an event (taking the lower position) but does not commit.
    let late_reference = "RDR-AAAA-AAAA";
    let mut payload = template.clone();
    payload["change"]["ComplaintReceived"]["reference"] = late_reference.into();
    let mut late = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Complaint', $1, 1, 'ComplaintReceived', '1', $2::json, '{}')",
    )
    .bind(late_reference)
    .bind(payload.to_string())
    .execute(&mut *late)
    .await
    .unwrap();

    // Meanwhile a second complaint commits, with a higher position.
    let early = f.receive("Ion Pop", "ion@example.ro").await;
    let positions: Vec<(String, i64)> =
        sqlx::query_as("SELECT aggregate_id, global_position FROM events ORDER BY global_position")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(positions.len(), 2, "the late event is not visible yet");
    assert_eq!(positions[1].0, early.as_str());

    // The projector must not move past the open transaction: it applies nothing yet.
    assert_eq!(
        projections
            .catch_up_batch(&ComplaintListProjector)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        projections.catch_up_batch(recorder.as_ref()).await.unwrap(),
        0
    );
    assert!(
        f.store
            .complaint_list
            .get(early.as_str())
            .await
            .unwrap()
            .is_none(),
        "the projector moved past an event still being written"
    );

    late.commit().await.unwrap();
    assert_eq!(projections.run_until_idle().await.unwrap(), 4);

    let seen: Vec<String> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(r, _)| r.clone())
        .collect();
    assert_eq!(
        seen,
        vec![
            first.to_string(),
            late_reference.to_string(),
            early.to_string()
        ]
    );
    let checkpoints: Vec<Checkpoint> = recorder.0.lock().unwrap().iter().map(|(_, c)| *c).collect();
    assert!(
        checkpoints.windows(2).all(|w| w[0] < w[1]),
        "{checkpoints:?}"
    );
    // The late event has the lower position, yet came before the early one: by transaction.
    assert!(checkpoints[1].position < checkpoints[2].position);
    for reference in [first.as_str(), late_reference, early.as_str()] {
        assert!(
            f.store
                .complaint_list
                .get(reference)
                .await
                .unwrap()
                .is_some(),
            "{reference} missing from the list"
        );
    }
}

/// Transaction ids are shared by every database of a PostgreSQL server; a transaction that
/// writes in another database (another application, another test) can never write to this
/// events table, so it holds nothing back here, however long it runs. One in this database
/// still does (the test above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_transaction_in_another_database_holds_no_projector_back() {
    let f = Fixture::new(TestDb::postgres().await).await;
    let elsewhere = TestDb::postgres().await;
    let Database::Postgres(other_pool) = elsewhere.database().await else {
        unreachable!()
    };
    let mut long = other_pool.begin().await.unwrap();
    let other_xid: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut *long)
        .await
        .unwrap();

    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let Database::Postgres(pool) = f.store.db.clone() else {
        unreachable!()
    };
    let (written_by, xmin): (i64, i64) = sqlx::query_as(
        "SELECT transaction_id::text::bigint, pg_snapshot_xmin(pg_current_snapshot())::text::bigint
           FROM events",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        other_xid < written_by && xmin <= other_xid,
        "the other database's transaction is older and still running"
    );
    // Other tests' transactions may come and go meanwhile; this one stays open throughout.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while f
        .store
        .complaint_list
        .get(reference.as_str())
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the projector waited for a transaction of another database"
        );
        f.store
            .projections
            .catch_up_batch(&ComplaintListProjector)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let still_running: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_xid::text::bigint = $1)",
    )
    .bind(other_xid % (1 << 32))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(still_running);
    long.rollback().await.unwrap();
    other_pool.close().await;
}

on_both_backends!(events_are_read_in_one_global_order_across_complaints);

async fn events_are_read_in_one_global_order_across_complaints(db: TestDb) {
    let f = Fixture::new(db).await;
    let recorder = Arc::new(Recorder::default());
    let projections = Projections::new(f.store.db.clone(), vec![recorder.clone()]);
    // Without teams a receipt is one event, so the two receipts come first.
    redress_store::on_pool!(&f.store.db, |pool| sqlx::query("DELETE FROM teams")
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
    let a = f.receive("Ana Pop", "ana@example.ro").await;
    let b = f.receive("Ion Pop", "ion@example.ro").await;
    let steps = f.six_steps();
    for (i, action) in steps.into_iter().enumerate() {
        let target = if i % 2 == 0 { &a } else { &b };
        let _ = f.run(target, action).await;
    }
    projections.run_until_idle().await.unwrap();
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(seen.len() as i64, f.event_count().await);
    assert!(seen.windows(2).all(|w| w[0].1 < w[1].1));
    assert_eq!(seen[0].0, a.to_string());
    assert_eq!(seen[1].0, b.to_string());
}
