//! Layout measured in a real browser (`e2e/layout.mjs`: headless Chromium, every page checked
//! with axe-core and the Nu HTML Checker) on the demo data: the SLA clocks at 1280 and 375
//! pixels, the SLA policy editor, the SLA dashboard, the charts on /reports, the refusal
//! pages' navigation, destructive buttons, and the contact file right after an erasure.

use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::browser::{artifacts_dir, run_script};
use crate::spawn_live_app_with;

on_both_backends!(pages_fit_their_boxes_and_charts_keep_their_labels_apart_in_a_real_browser);

async fn pages_fit_their_boxes_and_charts_keep_their_labels_apart_in_a_real_browser(db: TestDb) {
    let backend = if db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    assert!(
        redress::seed_demo_if_empty(&crate::settings_for(&db), 120)
            .await
            .unwrap(),
        "the database was not empty"
    );
    // A person at a browser cannot wait for the test to drive the workers: they run.
    let app = spawn_live_app_with(db, &[]).await;
    // An open complaint whose customer has an address, to read its clocks and erase them.
    let row = app
        .store
        .complaint_list
        .all()
        .await
        .unwrap()
        .into_iter()
        .find(|r| !r.closed && !r.personal_data_erased && r.customer_email.is_some())
        .expect("an open demo complaint");
    // A periodic survey's invitation not answered yet, to read its page and its stop page (the
    // demo's wave answered some; a wave now asks whoever it left).
    let rules = redress_store::surveys::SurveyRules {
        every_months: 6,
        min_days: 0,
        ..Default::default()
    };
    let now = chrono::Utc::now() + chrono::Duration::days(200);
    app.store.surveys.schedule(rules, now).await.unwrap();
    const UNANSWERED: &str = "SELECT id FROM survey_invitations WHERE answered_at IS NULL ORDER BY asked_at DESC LIMIT 1";
    let survey: uuid::Uuid = match &app.store.db {
        redress_store::Database::Sqlite(pool) => sqlx::query_scalar(UNANSWERED)
            .fetch_one(pool)
            .await
            .unwrap(),
        redress_store::Database::Postgres(pool) => sqlx::query_scalar(UNANSWERED)
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    let survey = format!("/survey/{}", app.store.surveys.token(survey));
    let dir = artifacts_dir().join(format!("layout-{backend}"));
    let run = run_script(
        "layout",
        &dir,
        std::slice::from_ref(&app.address),
        &[
            (
                "REDRESS_E2E_PASSWORD",
                redress::demo::DEMO_PASSWORD.to_string(),
            ),
            ("REDRESS_E2E_ADMIN", "admin@redress.example".to_string()),
            (
                "REDRESS_E2E_COMPLAINT",
                format!("/complaints/{}", row.reference),
            ),
            (
                "REDRESS_E2E_CUSTOMER",
                format!("/customers/{}", row.customer_id),
            ),
            (
                "REDRESS_E2E_CUSTOMER_EMAIL",
                row.customer_email.clone().unwrap_or_default(),
            ),
            (
                "REDRESS_E2E_CUSTOMER_NAME",
                row.customer_name.clone().unwrap_or_default(),
            ),
            ("REDRESS_E2E_SURVEY", survey),
            ("REDRESS_E2E_DIR", dir.display().to_string()),
        ],
        8,
    )
    .await;
    let charts: usize = run.printed("charts").parse().unwrap();
    assert!(charts >= 4, "{charts} charts measured");
    // The erasure went through: the customer's key is gone.
    let key = app
        .store
        .vault
        .key(redress_domain::CustomerId(row.customer_id))
        .await
        .unwrap();
    assert!(key.is_none(), "the customer was not erased");
    app.stop().await;
}
