//! The JSON API for integrations, with tokens admins create and revoke.

use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use serde_json::{Value, json};

use crate::{TestApp, csrf_in, spawn_app};

on_both_backends!(
    an_integration_files_a_complaint_reads_its_status_and_lists_complaints,
    bad_requests_get_json_errors_that_say_what_to_fix_and_write_nothing,
    admins_create_and_revoke_tokens_and_the_openapi_document_matches_the_routes,
);

/// An admin creates a token through the page; returns it.
pub(crate) async fn token(app: &TestApp) -> String {
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let page = admin.get("/admin/api-tokens").await.text().await.unwrap();
    let response = admin
        .post_form(
            "/admin/api-tokens",
            &[
                ("csrf", &csrf_in(&page)),
                ("name", "Order system"),
                ("scope_read", "on"),
                ("scope_file", "on"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let marker = "<code class=\"token\">";
    let start = html.find(marker).expect("the token is shown once") + marker.len();
    let token = html[start..start + html[start..].find('<').unwrap()].to_string();
    assert!(token.starts_with("rdr_") && token.len() == 47, "{token}");
    token
}

pub(crate) fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
}

fn complaint(email: &str) -> Value {
    json!({
        "name": "Zhang Wei",
        "email": email,
        "category": "Billing",
        "summary": "Charged twice",
        "description": "我被扣了两次款。",
        "language": "zh",
        "priority": "high"
    })
}

async fn an_integration_files_a_complaint_reads_its_status_and_lists_complaints(db: TestDb) {
    let app = spawn_app(db).await;
    let token = token(&app).await;
    let mut references = Vec::new();
    for i in 0..3 {
        let response = api(
            &app,
            reqwest::Method::POST,
            "/api/v1/complaints",
            Some(&token),
        )
        .json(&complaint(&format!("wei{i}@example.cn")))
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        let body: Value = response.json().await.unwrap();
        let reference = body["reference"].as_str().unwrap().to_string();
        assert_eq!(location, format!("/api/v1/complaints/{reference}"));
        references.push(reference);
    }
    let status: Value = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/complaints/{}", references[0]),
        Some(&token),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(status["reference"], references[0].as_str());
    assert_eq!(status["status"], "open");
    // Its SLA clocks, once the SLA projection has seen it: wait for the read models
    // rather than polling against a deadline a busy machine can overrun.
    app.store.projections.run_until_idle().await.unwrap();
    let status: Value = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/complaints/{}", references[0]),
        Some(&token),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        !status["sla"].is_null(),
        "SLA clocks once projected: {status}"
    );
    assert_eq!(status["sla"]["policy"], "Redress default");
    assert_eq!(status["sla"]["policy_version"], 1);
    let clocks = status["sla"]["clocks"].as_array().unwrap();
    // The five of the policy, and the two dates promised to the customer (not started yet).
    assert_eq!(clocks.len(), 7);
    assert_eq!(clocks[5]["clock"], "promise");
    assert_eq!(clocks[6]["clock"], "action");
    assert_eq!(clocks[6]["run"], 0);
    assert_eq!(clocks[0]["clock"], "acknowledge");
    assert_eq!(
        clocks[0]["target"], "2 business hours",
        "high priority, standard"
    );
    assert!(clocks[0]["due_at"].is_string());
    assert_eq!(clocks[3]["clock"], "update");
    assert_eq!(clocks[3]["state"], "idle", "starts on acknowledgement");
    assert_eq!(status["next_step"], "acknowledge");
    assert_eq!(status["channel"], "api");
    assert_eq!(status["priority"], "high");
    assert_eq!(status["steps_done"], json!([]));
    assert!(
        !status.to_string().contains("Zhang"),
        "no personal data in the status"
    );
    // Who filed it: the token's name, on the staff timeline.
    let events = app
        .store
        .complaints
        .events_of(&redress_domain::Reference::parse(&references[0]).unwrap())
        .await
        .unwrap();
    assert_eq!(events[0].by.display_name(), "API: Order system");

    // Pages of one, newest first, to the end.
    app.store.projections.run_until_idle().await.unwrap();
    let mut seen = Vec::new();
    let mut path = "/api/v1/complaints?limit=1".to_string();
    loop {
        let page: Value = api(&app, reqwest::Method::GET, &path, Some(&token))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["complaints"].as_array().unwrap() {
            seen.push(item["reference"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => {
                path = format!(
                    "/api/v1/complaints?limit=1&after={}",
                    next.replace('~', "%7E")
                )
            }
            None => break,
        }
    }
    let mut expected = references.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    app.stop().await;
}

async fn bad_requests_get_json_errors_that_say_what_to_fix_and_write_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    let token = token(&app).await;
    let post = |body: reqwest::Body, content_type: &'static str, token: Option<String>| {
        let request = api(
            &app,
            reqwest::Method::POST,
            "/api/v1/complaints",
            token.as_deref(),
        )
        .header("content-type", content_type)
        .body(body);
        async move { request.send().await.unwrap() }
    };
    let valid = complaint("wei@example.cn").to_string();
    let mut unknown = complaint("wei@example.cn");
    unknown["admin"] = json!(true);
    let mut bad_email = complaint("wei@example.cn");
    bad_email["email"] = json!("not an address");
    let mut empty = complaint("wei@example.cn");
    empty["summary"] = json!("   ");
    let cases: Vec<(reqwest::Body, &str, Option<String>, u16, &str)> = vec![
        (
            valid.clone().into(),
            "application/json",
            None,
            401,
            "Authorization: Bearer",
        ),
        (
            valid.clone().into(),
            "application/json",
            Some("rdr_forged".into()),
            401,
            "Bearer",
        ),
        (
            "{\"name\": ".into(),
            "application/json",
            Some(token.clone()),
            400,
            "cannot be read",
        ),
        (
            unknown.to_string().into(),
            "application/json",
            Some(token.clone()),
            400,
            "unknown field",
        ),
        (
            valid.clone().into(),
            "text/plain",
            Some(token.clone()),
            415,
            "application/json",
        ),
        (
            bad_email.to_string().into(),
            "application/json",
            Some(token.clone()),
            422,
            "email",
        ),
        (
            empty.to_string().into(),
            "application/json",
            Some(token.clone()),
            422,
            "summary",
        ),
        (
            format!("{{\"name\": \"{}\"}}", "x".repeat(70_000)).into(),
            "application/json",
            Some(token.clone()),
            413,
            "larger than",
        ),
    ];
    for (body, content_type, token, status, words) in cases {
        let response = post(body, content_type, token).await;
        assert_eq!(response.status().as_u16(), status, "{words}");
        let error: Value = response.json().await.unwrap();
        assert!(
            error["error"].as_str().unwrap().contains(words),
            "{status}: {error}"
        );
    }
    assert_eq!(app.store.projections.event_count().await.unwrap(), 0);

    for (path, status) in [
        ("/api/v1/complaints/RDR-0000-0000", 404),
        ("/api/v1/complaints/not-a-reference", 404),
        ("/api/v1/complaints?status=lost", 400),
        ("/api/v1/complaints?limit=0", 400),
        ("/api/v1/complaints?after=garbage", 400),
        ("/api/v1/complaints?unknown=1", 400),
        ("/api/v2/anything", 404),
    ] {
        let response = api(&app, reqwest::Method::GET, path, Some(&token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"].is_string(), "{path}: {error}");
    }
    app.stop().await;
}

async fn admins_create_and_revoke_tokens_and_the_openapi_document_matches_the_routes(db: TestDb) {
    let app = spawn_app(db).await;
    // Agents and managers may not manage tokens.
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Manager).await;
    assert_eq!(agent.get("/admin/api-tokens").await.status(), 403);

    let token = token(&app).await;
    let use_it = |token: String| {
        let request = api(
            &app,
            reqwest::Method::GET,
            "/api/v1/complaints",
            Some(&token),
        );
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(use_it(token.clone()).await, 200);
    let listed = app.store.api_tokens.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "its use is noted");
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let page = admin.get("/admin/api-tokens").await.text().await.unwrap();
    assert!(
        page.contains("Order system") && !page.contains(&token),
        "never shown again"
    );
    let revoke = admin
        .post_form(
            &format!("/admin/api-tokens/{}/revoke", listed[0].id),
            &[("csrf", &csrf_in(&page))],
        )
        .await;
    assert_eq!(revoke.status(), 303);
    assert_eq!(use_it(token).await, 401, "revoked at once");

    // The document parses, and every operation it lists is a route.
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    // The three of the first version, the page, and one path per action.
    assert_eq!(paths.len(), 29);
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let concrete = path.replace("{reference}", "RDR-0000-0000");
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let status = api(&app, method.clone(), &concrete, None)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            let expected = if path == "/api/openapi.json" || path == "/api/docs" {
                200
            } else {
                401
            };
            assert_eq!(status, expected, "{method} {path}");
        }
    }
    app.stop().await;
}
