use redress::demo;
use redress_store::on_both_backends;
use redress_store::testing::TestDb;

use crate::spawn_app;

on_both_backends!(
    the_complaint_list_shows_every_complaint_newest_first_across_pages,
    an_unknown_address_gets_a_404_page,
);

async fn the_complaint_list_shows_every_complaint_newest_first_across_pages(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(redress_store::Role::Agent).await;
    let empty = app.get("/complaints").await.text().await.unwrap();
    assert!(empty.contains("No complaints yet"));

    let clock = demo::clock();
    let store = redress_store::Store::from_database(app.store.db.clone(), clock.clone())
        .await
        .unwrap();
    demo::load(&store, &clock, 60, 7).await.unwrap();
    app.store.projections.run_until_idle().await.unwrap();

    let first = app.get("/complaints").await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    assert!(first.contains("60 complaints, showing 1–50"), "{first}");
    assert_eq!(first.matches("<code>RDR-").count(), 50);
    assert!(first.contains("rel=\"next\""));
    let second = app.get("/complaints?page=2").await.text().await.unwrap();
    assert_eq!(second.matches("<code>RDR-").count(), 10);
    assert!(!second.contains("rel=\"next\""));

    // Newest first: the first row of page 1 is the most recent complaint.
    let page = app.store.complaint_list.page(0, 1).await.unwrap();
    let newest = &page.rows[0].reference;
    let position = first.find(newest.as_str()).unwrap();
    assert!(first[..position].matches("<code>RDR-").count() == 0);

    // Every complaint appears on exactly one page.
    for row in app.store.complaint_list.all().await.unwrap() {
        let on_first = first.contains(&row.reference);
        let on_second = second.contains(&row.reference);
        assert!(on_first ^ on_second, "{} listed wrongly", row.reference);
    }
    assert_eq!(app.get("/complaints?page=3").await.status(), 404);
    let root = app.get("/").await;
    assert_eq!(root.status(), 303);
    assert_eq!(root.headers()["location"], "/complaints");
    let css = app.get("/static/redress.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    app.stop().await;
}

async fn an_unknown_address_gets_a_404_page(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(redress_store::Role::Agent).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Not found"));
    let response = app.get("/complaints?page=zero").await;
    assert_eq!(response.status(), 400);
    app.stop().await;
}
