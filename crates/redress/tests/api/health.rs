use redress_store::Database;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::spawn_app;

on_both_backends!(healthz_answers_ok_with_the_backend_when_the_database_answers);
on_both_backends!(an_instance_of_workers_only_answers_health_and_metrics_and_nothing_else);

async fn healthz_answers_ok_with_the_backend_when_the_database_answers(db: TestDb) {
    let backend = match db.backend {
        redress_store::Backend::Sqlite => "sqlite",
        redress_store::Backend::Postgres => "postgres",
    };
    let app = spawn_app(db).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"].to_str().unwrap(),
        "no-store"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ok", "database": backend})
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_503_when_postgresql_goes_away_and_pages_say_so_plainly() {
    let app = spawn_app(TestDb::postgres().await).await;
    app.sign_in_as(redress_store::Role::Agent).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let mut app = app;
    // A real outage: the database is dropped under the running server's feet.
    app.db.drop_now().await.unwrap();
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    let page = app.get("/complaints").await;
    assert_eq!(page.status(), 503);
    let text = page.text().await.unwrap();
    assert!(
        !text.contains("sqlx"),
        "internals leaked into the page: {text}"
    );
    assert!(
        !text.contains("test_"),
        "internals leaked into the page: {text}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_503_when_the_sqlite_pool_is_closed() {
    let app = spawn_app(TestDb::sqlite()).await;
    app.sign_in_as(redress_store::Role::Agent).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let Database::Sqlite(pool) = &app.store.db else {
        unreachable!()
    };
    pool.close().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 503);
    let page = app.get("/complaints").await;
    assert_eq!(page.status(), 503);
    assert_eq!(page.headers()["retry-after"], "30");
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Temporarily unavailable")
    );
    app.stop().await;
}

/// `redress serve --workers-only` serves the operations routes of the route table and no page.
async fn an_instance_of_workers_only_answers_health_and_metrics_and_nothing_else(db: TestDb) {
    let settings = crate::settings_for(&db);
    let store = redress::open_store(&settings).await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = redress::start_as(
        listener,
        store.clone(),
        &settings,
        redress::ServeRole::WorkersOnly,
    )
    .await
    .unwrap();
    let app = crate::TestApp::from_running(db, store, running);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.unwrap().contains("# TYPE"));
    for page in [
        "/complaints",
        "/sign-in",
        "/complain",
        "/api/openapi.json",
        "/",
    ] {
        assert_eq!(app.get(page).await.status(), 404, "{page}");
    }
    app.stop().await;
}
