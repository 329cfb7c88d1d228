use std::collections::HashSet;

use redress::demo;
use redress_domain::{Language, Step};
use redress_store::testing::TestDb;
use redress_store::{ComplaintListProjector, Store, on_both_backends};

on_both_backends!(demo_data_covers_every_step_and_language_and_a_rebuild_equals_the_live_list);

async fn demo_data_covers_every_step_and_language_and_a_rebuild_equals_the_live_list(db: TestDb) {
    let clock = demo::clock();
    let store: Store = db.store(clock.clone()).await;
    let report = demo::load(&store, &clock, 120, 2026).await.unwrap();
    assert_eq!(report.complaints, 120);
    // Projected live, a batch at a time, as the server would.
    let live_projections = store.projections.clone().with_batch_size(50);
    live_projections.run_until_idle().await.unwrap();
    let live = store.complaint_list.all().await.unwrap();
    assert_eq!(live.len(), 120);

    let steps: HashSet<&str> = live.iter().map(|r| r.step.as_str()).collect();
    for step in Step::ALL {
        assert!(steps.contains(step.code()), "no demo complaint at {step:?}");
    }
    let languages: HashSet<&str> = live.iter().map(|r| r.language.as_str()).collect();
    for language in Language::ALL {
        assert!(languages.contains(language.code()));
    }
    assert!(live.iter().all(|r| r.customer_name.is_some()));
    let now = chrono::Utc::now();
    assert!(
        live.iter()
            .all(|r| r.received_at <= now && r.updated_at <= now)
    );
    assert!(live.iter().any(|r| (now - r.received_at).num_days() > 60));

    // Key accounts, and people who complain more than once for their company.
    let companies = store.companies.list("", 100).await.unwrap();
    assert!(
        companies
            .iter()
            .filter(|c| c.tier == redress_domain::Tier::KeyAccount)
            .count()
            >= 2
    );
    assert!(live.iter().any(|r| r.tier == "key_account"));
    let mut per_customer = std::collections::HashMap::new();
    for row in live.iter().filter(|r| r.company.is_some()) {
        *per_customer.entry(row.customer_id).or_insert(0) += 1;
    }
    assert!(
        per_customer.values().any(|n| *n > 1),
        "no repeat complainant"
    );

    store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(store.complaint_list.all().await.unwrap(), live);
    assert_eq!(store.companies.list("", 100).await.unwrap(), companies);
}
