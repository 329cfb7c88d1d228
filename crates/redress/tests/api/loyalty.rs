//! The loyalty report (`/reports/loyalty`) end to end, on both databases: a complaint
//! acknowledged and resolved at once and scored 5, whose customer came back with another
//! complaint, lands in the first band of both tables; the one not yet acknowledged is left out.
//! (The bands' arithmetic is worked through in `redress_store::reports::loyalty`'s tests.)

use redress_domain::{Actor, ComplaintAction, ComplaintCommand};
use redress_store::Role;
use redress_testing::{TestDb, on_both_backends};

use crate::causes::{file, resolve};
use crate::spawn_app;

on_both_backends!(a_fast_complaint_whose_customer_came_back_is_in_the_first_bands);

async fn csv(visitor: &crate::Visitor, query: &str) -> Vec<Vec<String>> {
    let response = visitor
        .get(&format!("/reports/loyalty?format=csv&{query}"))
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

async fn a_fast_complaint_whose_customer_came_back_is_in_the_first_bands(db: TestDb) {
    let app = spawn_app(db).await;
    let first = file(&app, "Charged twice").await;
    resolve(&app, &first).await;
    app.store
        .complaints
        .execute(
            &first,
            ComplaintCommand::new(
                Actor::Customer,
                ComplaintAction::RecordSatisfaction {
                    score: 5,
                    comment: None,
                    would_change: None,
                },
            ),
        )
        .await
        .unwrap();
    // The same customer, again: the first one's customer came back.
    file(&app, "Charged twice, again").await;
    app.store.projections.run_until_idle().await.unwrap();

    let manager = app.another_visitor();
    manager.sign_in_as(Role::Manager).await;
    let page = manager.get("/reports/loyalty").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("2 complaints received in the period"),
        "{page}"
    );
    assert!(page.contains("aria-label=\"Average score by the working time to acknowledge\""));

    let acknowledged = csv(&manager, "table=loyalty-acknowledge").await;
    assert_eq!(
        acknowledged,
        [
            ["Within a working hour", "1", "1", "5.0", "100%", "100%"],
            ["Within 4 working hours", "0", "0", "", "", ""],
            ["Within a working day", "0", "0", "", "", ""],
            ["Within 3 working days", "0", "0", "", "", ""],
            ["Later", "0", "0", "", "", ""],
        ]
    );
    let resolved = csv(&manager, "table=loyalty-resolve").await;
    assert_eq!(
        resolved[0],
        ["Within a working day", "1", "1", "5.0", "100%", "100%"]
    );
    assert_eq!(resolved.len(), 5);

    // By tier, side by side: both complaints are standard; the one acknowledged (and resolved)
    // was within a working day (week); its 5 is the average; one customer in two came back.
    let by_tier = csv(&manager, "by=tier&table=loyalty-by").await;
    assert_eq!(by_tier, [["Standard", "2", "100%", "100%", "5.0", "50%"]]);
    // Narrowed to one tier, the side-by-side table is not there.
    let narrowed = manager
        .get("/reports/loyalty?by=tier&only=standard")
        .await
        .text()
        .await
        .unwrap();
    assert!(!narrowed.contains("Speed and loyalty by"));

    // Only key accounts: none here.
    let key_accounts = csv(
        &manager,
        "by=tier&only=key_account&table=loyalty-acknowledge",
    )
    .await;
    assert!(
        key_accounts.iter().all(|row| row[1] == "0"),
        "{key_accounts:?}"
    );
    // Agents do not read reports.
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    assert_eq!(agent.get("/reports/loyalty").await.status(), 403);
    app.stop().await;
}
