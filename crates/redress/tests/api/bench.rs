use redress_store::testing::TestDb;
use redress_store::{ComplaintListProjector, QueueFilter, on_both_backends};

on_both_backends!(
    generated_complaints_project_like_real_ones_and_the_queue_caps_its_count,
    the_sla_bench_runs_its_pages_over_open_complaints,
);

/// `redress bench sla` on a small load: open complaints only, every dashboard page timed.
async fn the_sla_bench_runs_its_pages_over_open_complaints(db: TestDb) {
    let settings = crate::settings_for(&db);
    let report = redress::bench::sla(&settings, 300, 3, true).await.unwrap();
    assert!(report.contains("generated 300 complaints"), "{report}");
    assert!(report.contains("rebuilt sla from"), "{report}");
    assert!(
        report.contains("open complaints on the dashboard: 300"),
        "{report}"
    );
    for page in [
        "dashboard",
        "dashboard, key accounts, high",
        "dashboard, one owner",
    ] {
        assert!(report.contains(&format!("\n{page} ")), "{page}: {report}");
    }
}

/// The benchmark's bulk generator writes events the projector reads like any others (sealed
/// fields open, steps follow), and a backlog over 1,000 is reported as "more than 1,000".
async fn generated_complaints_project_like_real_ones_and_the_queue_caps_its_count(db: TestDb) {
    let store = db
        .store(std::sync::Arc::new(redress_domain::SystemClock))
        .await;
    let events = redress::bench::generate(&store, 1_100, 5).await.unwrap();
    assert!(events >= 1_100);
    let replayed = store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(replayed.events, events);
    let all = store.complaint_list.all().await.unwrap();
    assert_eq!(all.len(), 1_100);
    assert!(all.iter().all(|r| {
        r.customer_name
            .as_deref()
            .is_some_and(|n| n.starts_with("Customer "))
    }));
    assert!(all.iter().any(|r| r.closed) && all.iter().any(|r| !r.acknowledged));

    let everything = QueueFilter {
        statuses: ["open", "waiting_on_customer", "resolved", "closed"]
            .map(String::from)
            .to_vec(),
        ..QueueFilter::default()
    };
    let page = store
        .complaint_list
        .queue(&everything, Default::default(), None, 50)
        .await
        .unwrap();
    assert!(page.more_than);
    assert_eq!(page.total, redress_store::complaint_list::COUNT_CAP);
    assert_eq!(page.rows.len(), 50);
    let closed = QueueFilter {
        statuses: vec!["closed".into()],
        ..QueueFilter::default()
    };
    let page = store
        .complaint_list
        .queue(&closed, Default::default(), None, 50)
        .await
        .unwrap();
    assert!(!page.more_than);
    assert_eq!(page.total as usize, all.iter().filter(|r| r.closed).count());
}
