//! Merging a duplicate and linking related complaints over HTTP, on both databases: the
//! duplicate closes as merged, the customer hears once in their language, the survivor shows
//! the duplicate's words, the reports stop counting it as received, `redress check`'s engine
//! finds every projection equal to a rebuild; and each refusal is said beside its form.

use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{csrf_in, spawn_app};

on_both_backends!(
    a_duplicate_is_merged_and_its_customer_hears_once_in_their_language,
    related_complaints_are_linked_on_both_and_bad_references_are_refused,
);

/// Every email written so far, as (file name, text).
fn emails(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let raw = std::fs::read(entry.path()).unwrap_or_default();
        let mut text = String::new();
        if let Some(parsed) = mail_parser::MessageParser::default().parse(&raw)
            && let Some(body) = parsed.body_text(0)
        {
            text.push_str(&body);
        }
        all.push((entry.file_name().to_string_lossy().to_string(), text));
    }
    all
}

async fn a_duplicate_is_merged_and_its_customer_hears_once_in_their_language(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    // The same Romanian customer wrote twice about the same thing.
    let survivor = crate::conversation::complaint(&app, "ioana@example.ro").await;
    let duplicate = crate::conversation::complaint(&app, "ioana@example.ro").await;
    app.settle().await;
    let received_before = received(&app).await;
    let page = format!("/complaints/{duplicate}");
    let csrf = csrf_in(&app.get(&page).await.text().await.unwrap());
    let merge = |survivor: String| {
        let app = &app;
        let page = page.clone();
        let csrf = csrf.clone();
        async move {
            app.post_form(
                &format!("{page}/merge_into"),
                &[("csrf", csrf.as_str()), ("survivor", survivor.as_str())],
            )
            .await
        }
    };
    // Into itself, into a complaint that does not exist, or a reference that is not one.
    let itself = merge(duplicate.to_string()).await;
    assert_eq!(itself.status(), 422);
    assert!(
        itself
            .text()
            .await
            .unwrap()
            .contains("cannot be merged into or linked with itself")
    );
    let missing = merge("RDR-2222-2222".into()).await;
    assert_eq!(missing.status(), 422);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("There is no complaint RDR-2222-2222")
    );
    let malformed = merge("twelve".into()).await;
    assert_eq!(malformed.status(), 422);
    assert!(
        malformed
            .text()
            .await
            .unwrap()
            .contains("is not a complaint reference")
    );

    assert_eq!(merge(survivor.to_string()).await.status(), 303);
    app.settle().await;
    let row = app.list_row(duplicate.as_str()).await;
    assert_eq!(row.status, "closed");
    assert_eq!(row.outcome, None, "merged, not decided");
    assert_eq!(row.merged_into.as_deref(), Some(survivor.as_str()));
    // The customer is told once, in Romanian, that it is handled with the other.
    let merged: Vec<(String, String)> = emails(&dir)
        .into_iter()
        .filter(|(name, _)| name.starts_with(&format!("{duplicate}.")) && name.contains(".merged"))
        .collect();
    assert_eq!(merged.len(), 1, "{merged:?}");
    assert!(
        merged[0]
            .1
            .contains(&format!("tratăm {duplicate} împreună cu aceasta")),
        "{}",
        merged[0].1
    );
    // Merged again, or reopened: refused.
    let again = merge(survivor.to_string()).await;
    assert_eq!(again.status(), 422);
    let reopen = app
        .post_form(
            &format!("{page}/reopen"),
            &[("csrf", csrf.as_str()), ("reason", "Oops")],
        )
        .await;
    assert_eq!(reopen.status(), 422);
    assert!(
        reopen
            .text()
            .await
            .unwrap()
            .contains(&format!("merged into {survivor}"))
    );
    // The survivor shows the duplicate's words and says where it came from.
    let shown = app
        .get(&format!("/complaints/{survivor}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.contains(&format!(
        "From the duplicate <a href=\"/complaints/{duplicate}\">"
    )));
    assert!(shown.contains("Mi s-au luat 149 de lei de două ori"));
    assert!(shown.contains(&format!("Took in the duplicate {duplicate}")));
    // The duplicate's own page and the customer's status page say where it went.
    let own = app.get(&page).await.text().await.unwrap();
    assert!(own.contains("data-merged-into"));
    let token = app
        .store
        .links
        .token(&duplicate, chrono::Utc::now() + chrono::Duration::days(1));
    let status = app
        .get(&format!("/status/{token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(status.contains(&format!(
        "Tratată împreună cu reclamația dumneavoastră {survivor}"
    )));
    // The reports no longer count the duplicate as a complaint received.
    assert_eq!(received(&app).await, received_before - 1);
    // Every projection equals a rebuild.
    for name in app.store.projections.names() {
        let report = app.store.projections.check(name).await.unwrap();
        assert!(report.matches(), "{report:?}");
    }
    app.stop().await;
}

/// Complaints received, by the reports (all days, all of them).
async fn received(app: &crate::TestApp) -> i64 {
    redress_store::on_pool!(&app.store.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(received), 0) AS BIGINT) FROM report_days WHERE dim = 'all'"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn related_complaints_are_linked_on_both_and_bad_references_are_refused(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let first = crate::conversation::complaint(&app, "ioana@example.ro").await;
    let second = crate::conversation::complaint(&app, "ion@example.ro").await;
    app.settle().await;
    let page = format!("/complaints/{first}");
    let csrf = csrf_in(&app.get(&page).await.text().await.unwrap());
    let link = |other: String| {
        let app = &app;
        let page = page.clone();
        let csrf = csrf.clone();
        async move {
            app.post_form(
                &format!("{page}/link"),
                &[("csrf", csrf.as_str()), ("other", other.as_str())],
            )
            .await
        }
    };
    assert_eq!(link(second.to_string()).await.status(), 303);
    app.settle().await;
    for (here, there) in [(&first, &second), (&second, &first)] {
        let shown = app
            .get(&format!("/complaints/{here}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(shown.contains("data-links"), "{here}");
        assert!(shown.contains(&format!(
            "<a href=\"/complaints/{there}\"><code>{there}</code></a>"
        )));
        assert!(shown.contains(&format!("Linked with {there}")));
    }
    let twice = link(second.to_string()).await;
    assert_eq!(twice.status(), 422);
    assert!(twice.text().await.unwrap().contains("already linked"));
    let itself = link(first.to_string()).await;
    assert_eq!(itself.status(), 422);
    let missing = link("RDR-2222-2222".into()).await;
    assert_eq!(missing.status(), 422);
    app.stop().await;
}
