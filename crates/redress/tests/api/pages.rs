use redress::demo;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{TestApp, spawn_app};

on_both_backends!(
    the_complaint_list_shows_every_complaint_newest_first_across_pages,
    an_unknown_address_gets_a_404_page,
    every_page_renders_with_the_demo_data,
);

/// Every template, rendered by the server with the demo data: each complaint page (every
/// step, every language, erased or not), every company and contact file, the lists, the
/// forms, the account and admin pages, and the sign-in page.
async fn every_page_renders_with_the_demo_data(db: TestDb) {
    let app = spawn_app(db).await;
    let signed_out = app.get("/sign-in").await;
    assert_eq!(signed_out.status(), 200);
    let clock = demo::clock();
    let store = demo_store(&app, &clock).await;
    demo::load(&store, &clock, 40, 11).await.unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    let rows = app.store.complaint_list.all().await.unwrap();
    // One customer erased, so erased pages render too.
    app.store
        .complaints
        .erase_customer(
            redress_domain::CustomerId(rows[0].customer_id),
            redress_domain::Actor::System {
                name: "test".into(),
            },
            "Data-subject request",
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    app.sign_in_as(redress_store::Role::Admin).await;
    let (endpoint, _) = app
        .store
        .webhooks
        .create(
            "https://crm.example.com/hooks",
            "*",
            true,
            "test",
            app.store.clock.now(),
        )
        .await
        .unwrap();

    let mut paths: Vec<String> = [
        "/complaints",
        "/complaints?status=all&sort=priority&q=order",
        "/complaints/new",
        "/companies",
        "/account",
        "/admin/users",
        "/admin/mail",
        "/admin/api-tokens",
        "/admin/webhooks",
        "/api/docs",
        "/admin/sla",
        "/sla",
        "/sla?owner=none&tier=key_account&priority=high&period=7",
        "/sla/rules",
        "/complain",
        "/complain/thanks?reference=RDR-0000-0000",
    ]
    .map(String::from)
    .to_vec();
    paths.push(format!("/admin/webhooks/{}", endpoint.id));
    for row in &rows {
        paths.push(format!("/complaints/{}", row.reference));
        paths.push(format!("/customers/{}", row.customer_id));
        if row.customer_id != rows[0].customer_id {
            let token = app.store.links.token(
                &redress_domain::Reference::parse(&row.reference).unwrap(),
                chrono::Utc::now() + chrono::Duration::days(1),
            );
            paths.push(format!("/status/{token}"));
        }
    }
    for company in app.store.companies.list("", 100).await.unwrap() {
        paths.push(format!("/companies/{}", company.id));
    }
    assert!(paths.iter().any(|p| p.starts_with("/companies/")));
    for path in &paths {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{path}");
        for leftover in ["{{", "{%", "}}"] {
            assert!(!html.contains(leftover), "{path} has {leftover}");
        }
    }
    app.stop().await;
}

fn references(html: &str) -> Vec<String> {
    html.match_indices("<code>RDR-")
        .map(|(at, _)| html[at + 6..at + 19].to_string())
        .collect()
}

fn next_link(html: &str) -> Option<String> {
    let at = html.find("rel=\"next\"")?;
    let start = html[..at].rfind("href=\"")? + 6;
    let end = start + html[start..].find('"')?;
    Some(
        html[start..end]
            .replace("&#x2F;", "/")
            .replace("&amp;", "&"),
    )
}

async fn the_complaint_list_shows_every_complaint_newest_first_across_pages(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(redress_store::Role::Agent).await;
    let empty = app.get("/complaints").await.text().await.unwrap();
    assert!(empty.contains("No complaints match"));

    let clock = demo::clock();
    let store = demo_store(&app, &clock).await;
    demo::load(&store, &clock, 60, 7).await.unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    let all = app.store.complaint_list.all().await.unwrap();

    // Every complaint, newest first, across keyset pages.
    let first = app.get("/complaints?status=all").await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    assert!(first.contains("60 complaints match"), "{first}");
    let mut seen = references(&first);
    assert_eq!(seen.len(), 50);
    let next = next_link(&first).expect("a next page");
    assert!(
        next.contains("status=all") && next.contains("after="),
        "{next}"
    );
    let second = app.get(&next).await.text().await.unwrap();
    assert!(next_link(&second).is_none());
    assert!(second.contains("First page"));
    seen.extend(references(&second));
    let mut expected = all.clone();
    expected.sort_by(|a, b| {
        b.received_at
            .cmp(&a.received_at)
            .then(b.reference.cmp(&a.reference))
    });
    assert_eq!(
        seen,
        expected
            .iter()
            .map(|r| r.reference.clone())
            .collect::<Vec<_>>()
    );

    // The default view leaves closed complaints out.
    let open = references(&app.get("/complaints").await.text().await.unwrap());
    let not_closed = all.iter().filter(|r| !r.closed).count();
    assert_eq!(open.len(), not_closed.min(50));

    // Filters, in the URL.
    let unassigned = app
        .get("/complaints?owner=unassigned&status=all")
        .await
        .text()
        .await
        .unwrap();
    let expected = all.iter().filter(|r| r.owner_id.is_none()).count();
    assert!(
        unassigned.contains(&format!("{expected} complaint")),
        "unassigned count"
    );
    let urgent = references(
        &app.get("/complaints?priority=urgent&status=all")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(!urgent.is_empty());
    for reference in &urgent {
        assert_eq!(
            all.iter()
                .find(|r| &r.reference == reference)
                .unwrap()
                .priority,
            "urgent"
        );
    }
    let target = &all[3];
    let found = references(
        &app.get(&format!(
            "/complaints?status=all&q={}",
            target.reference.to_lowercase()
        ))
        .await
        .text()
        .await
        .unwrap(),
    );
    assert_eq!(found, vec![target.reference.clone()]);
    let name = target.customer_name.clone().unwrap();
    let by_name = references(
        &app.get(&format!(
            "/complaints?status=all&q={}",
            name.split(' ').next().unwrap()
        ))
        .await
        .text()
        .await
        .unwrap(),
    );
    assert!(by_name.contains(&target.reference));
    let percent = app.get("/complaints?q=%25").await.text().await.unwrap();
    assert!(
        percent.contains("0 complaints match"),
        "a % in the search matched everything"
    );

    // Longest without news first.
    let silence = references(
        &app.get("/complaints?status=all&sort=silence")
            .await
            .text()
            .await
            .unwrap(),
    );
    let heard: Vec<_> = silence
        .iter()
        .map(|r| {
            all.iter()
                .find(|row| &row.reference == r)
                .unwrap()
                .last_heard_at
                .unwrap()
        })
        .collect();
    assert!(heard.windows(2).all(|w| w[0] <= w[1]));

    // Bad parameters get a plain 400.
    for bad in [
        "step=nope",
        "sort=sideways",
        "after=garbage",
        "owner=someone",
        "priority=meh",
    ] {
        assert_eq!(
            app.get(&format!("/complaints?{bad}")).await.status(),
            400,
            "{bad}"
        );
    }
    let root = app.get("/").await;
    assert_eq!(root.status(), 303);
    assert_eq!(root.headers()["location"], "/complaints");
    // Redirects and refusals are kept by nobody, as pages are.
    assert_eq!(root.headers()["cache-control"], "no-store");
    let refused = app.get("/complaints?status=zero").await;
    assert_eq!(refused.headers()["cache-control"], "no-store");
    // Pages name the stylesheet and script by their content: kept a year under that name; the
    // plain name is checked again each time; another fingerprint is nothing.
    let html = app.get("/complaints").await.text().await.unwrap();
    for (plain, media) in [
        ("redress.css", "text/css"),
        ("redress.js", "text/javascript"),
    ] {
        let url = redress_web::assets::url(plain).unwrap();
        assert!(
            html.contains(&format!("\"{url}\"")),
            "{url} not on the page"
        );
        let kept = app.get(&url).await;
        assert_eq!(kept.status(), 200);
        assert_eq!(
            kept.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(
            kept.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(media)
        );
        let checked = app.get(&format!("/static/{plain}")).await;
        assert_eq!(checked.status(), 200);
        assert_eq!(checked.headers()["cache-control"], "no-cache");
    }
    assert_eq!(
        app.get("/static/redress.0000000000000000.css")
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
    app.stop().await;
}

async fn an_unknown_address_gets_a_404_page(db: TestDb) {
    let app = spawn_app(db).await;
    // Nobody signed in: the bare page, no navigation to pages they cannot open.
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(body.contains("Not found"));
    assert!(!body.contains("<nav aria-label=\"Main\">"), "{body}");
    app.sign_in_as(redress_store::Role::Agent).await;
    // Signed in, every refusal keeps the header, the navigation and sign-out: an unknown
    // address, an unknown complaint, a page of a higher role, a query that cannot be read.
    for (url, status, says) in [
        ("/no/such/page", 404, "Not found"),
        ("/complaints/RDR-0000-0000", 404, "Not found"),
        ("/admin/users", 403, "Not allowed"),
        ("/complaints?status=zero", 400, "The form could not be read"),
    ] {
        let response = app.get(url).await;
        assert_eq!(response.status(), status, "{url}");
        let cache = response.headers().get("cache-control").cloned();
        let body = response.text().await.unwrap();
        assert!(body.contains(says), "{url}: {body}");
        assert!(body.contains("<nav aria-label=\"Main\">"), "{url}: {body}");
        assert!(body.contains("Sign out"), "{url}");
        assert_eq!(
            cache.as_ref().and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{url}"
        );
    }
    app.stop().await;
}

/// A second store over the app's database, on the demo's clock (for loading demo data).
async fn demo_store(
    app: &TestApp,
    clock: &std::sync::Arc<redress_domain::ManualClock>,
) -> redress_store::Store {
    redress_store::Store::from_database(
        app.store.db.clone(),
        clock.clone(),
        std::sync::Arc::new(redress_notify::Policy),
    )
    .await
    .unwrap()
}
