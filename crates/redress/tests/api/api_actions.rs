//! The method through the API: every action staff take, with scoped tokens and
//! `Idempotency-Key`, and the page that documents it.

use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use reqwest::Method;
use serde_json::{Value, json};

use crate::json_api::api;
use crate::{TestApp, csrf_in, spawn_app};

on_both_backends!(
    an_integration_works_a_complaint_through_the_six_steps_to_closure,
    a_token_may_do_only_what_its_scopes_allow_and_a_refusal_writes_nothing,
    a_replayed_idempotency_key_answers_again_and_writes_nothing_twice,
    bad_actions_are_refused_with_json_that_says_what_to_fix,
);

/// An admin creates a token with `scopes` ticked on the page; returns it.
pub(crate) async fn token_with(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let page = admin.get("/admin/api-tokens").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let ticked: Vec<String> = scopes.iter().map(|s| format!("scope_{s}")).collect();
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("name", name)];
    form.extend(ticked.iter().map(|s| (s.as_str(), "on")));
    let response = admin.post_form("/admin/api-tokens", &form).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let marker = "<code class=\"token\">";
    let start = html.find(marker).expect("the token is shown once") + marker.len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = api(app, Method::POST, path, Some(token))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn file(app: &TestApp, token: &str, email: &str) -> String {
    let (status, filed) = post(
        app,
        token,
        "/api/v1/complaints",
        json!({
            "name": "Zhang Wei", "email": email, "category": "billing",
            "summary": "Charged twice", "description": "I was charged twice.",
        }),
    )
    .await;
    assert_eq!(status, 201, "{filed}");
    filed["reference"].as_str().unwrap().to_string()
}

async fn an_integration_works_a_complaint_through_the_six_steps_to_closure(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let token = token_with(&app, "CRM", &["read", "file", "act"]).await;
    let owner = app.another_visitor().sign_in_as(Role::Agent).await;
    let reference = file(&app, &token, "wei@example.cn").await;
    let today = app.store.clock.now().date_naive();
    let in_days = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let steps = [
        (
            "acknowledge",
            json!({"apology": "We are sorry you were charged twice."}),
        ),
        (
            "record_customer_statement",
            json!({"channel": "phone", "statement": "Both charges on 2 December.", "shared": true}),
        ),
        (
            "record_points",
            json!({"points": ["Charged twice", "No answer to two emails"], "send": true}),
        ),
        (
            "record_fact",
            json!({"fact": "The provider retried the charge.", "source": "Payment log"}),
        ),
        (
            "conclude_investigation",
            json!({"findings": "The second charge was our error."}),
        ),
        (
            "commit_to_action",
            json!({"action": "Refund the second charge.", "due_on": in_days(7)}),
        ),
        ("assign_owner", json!({"owner": owner.email.to_uppercase()})),
        (
            "send_progress_update",
            json!({"message": "The refund is on its way.", "next_update_on": in_days(3)}),
        ),
        (
            "add_internal_note",
            json!({"note": "Provider confirmed the retry; watch for more."}),
        ),
        ("add_tag", json!({"tag": "Refund due"})),
        ("change_priority", json!({"priority": "high"})),
        (
            "send_reply",
            json!({"message": "Thank you; the refund was sent today."}),
        ),
        (
            "resolve",
            json!({
                "decisions": [
                    {"point": 1, "outcome": "upheld", "reasons": "Our retry charged twice."},
                    {"point": 2, "outcome": "upheld", "reasons": "Two emails went unanswered."}
                ],
                "reasons": "We charged twice and did not answer.",
                "remedy": "Refund and a credit.",
                "redress_paid_cents": 2500
            }),
        ),
        ("close", json!({})),
    ];
    let mut last = Value::Null;
    for (action, body) in steps {
        let (status, answer) = post(
            &app,
            &token,
            &format!("/api/v1/complaints/{reference}/{action}"),
            body,
        )
        .await;
        assert_eq!(status, 200, "{action}: {answer}");
        assert_eq!(answer["reference"], reference.as_str(), "{action}");
        last = answer;
    }
    assert_eq!(last["status"], "closed", "{last}");
    assert_eq!(last["outcome"], "upheld");
    assert_eq!(last["owner"], owner.name.as_str());
    assert_eq!(
        last["steps_done"],
        json!([
            "acknowledge",
            "listen",
            "establish_facts",
            "commit_to_action",
            "name_owner",
            "resolve",
            "close"
        ])
    );
    // Closed: it may only be reopened (or rated).
    let allowed: Vec<&str> = last["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(allowed.contains(&"reopen"), "{allowed:?}");
    assert!(!allowed.contains(&"acknowledge"), "{allowed:?}");
    // The history says who acted: the integration, by its token's name.
    let parsed = redress_domain::Reference::parse(&reference).unwrap();
    let events = app.store.complaints.events_of(&parsed).await.unwrap();
    let by_the_integration = events
        .iter()
        .filter(|e| format!("{:?}", e.by).contains("API: CRM"))
        .count();
    assert!(
        by_the_integration >= 15,
        "filed and 14 actions: {by_the_integration}"
    );
    // The staff page shows the same complaint closed, with the note among staff's words.
    let staff = app.another_visitor();
    staff.sign_in_as(Role::Agent).await;
    let page = staff
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Provider confirmed the retry"), "the note");
    // What the customer was sent holds the reply and never the note.
    app.settle().await;
    let mail = crate::conversation::every_email(&dir);
    assert!(
        mail.contains("the refund was sent today"),
        "the reply was sent"
    );
    assert!(!mail.contains("Provider confirmed"), "a note is never sent");
    app.stop().await;
}

async fn a_token_may_do_only_what_its_scopes_allow_and_a_refusal_writes_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    let filer = token_with(&app, "Order system", &["file"]).await;
    let reader = token_with(&app, "Dashboard", &["read"]).await;
    let admin = token_with(&app, "Everything", &["admin"]).await;
    let reference = file(&app, &filer, "scopes@example.com").await;
    let before = app.store.projections.event_count().await.unwrap();
    let status_of = |token: &str, method: Method, path: String| {
        let request = api(&app, method, &path, Some(token)).json(&json!({"apology": "Sorry."}));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let acknowledge = format!("/api/v1/complaints/{reference}/acknowledge");
    // A read-only token reads, and may neither file nor act.
    let (status, _) = status_of(
        &reader,
        Method::GET,
        format!("/api/v1/complaints/{reference}"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, error) = status_of(&reader, Method::POST, acknowledge.clone()).await;
    assert_eq!(status, 403, "{error}");
    let words = error["error"].as_str().unwrap();
    assert!(
        words.contains("`act` scope") && words.contains("has `read`"),
        "{words}"
    );
    let (status, _) = status_of(&reader, Method::POST, "/api/v1/complaints".into()).await;
    assert_eq!(status, 403);
    // A filing token may not read or act.
    let (status, _) = status_of(&filer, Method::GET, "/api/v1/complaints".into()).await;
    assert_eq!(status, 403);
    let (status, _) = status_of(&filer, Method::POST, acknowledge.clone()).await;
    assert_eq!(status, 403);
    assert_eq!(
        app.store.projections.event_count().await.unwrap(),
        before,
        "nothing was written"
    );
    // `admin` allows everything.
    let (status, answer) = status_of(&admin, Method::POST, acknowledge).await;
    assert_eq!(status, 200, "{answer}");
    // The page lists each token's scopes; a token with none is refused.
    let visitor = app.another_visitor();
    visitor.sign_in_as(Role::Admin).await;
    let page = visitor.get("/admin/api-tokens").await.text().await.unwrap();
    assert!(page.contains("<code>read</code>") && page.contains("<code>admin</code>"));
    let refused = visitor
        .post_form(
            "/admin/api-tokens",
            &[("csrf", &csrf_in(&page)), ("name", "Nothing")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("at least one"));
    assert_eq!(app.store.api_tokens.list().await.unwrap().len(), 3);
    app.stop().await;
}

async fn a_replayed_idempotency_key_answers_again_and_writes_nothing_twice(db: TestDb) {
    let app = spawn_app(db).await;
    let token = token_with(&app, "CRM", &["read", "file", "act"]).await;
    let other = token_with(&app, "Other", &["file"]).await;
    let body = json!({
        "name": "Ana Pop", "email": "ana@example.ro", "category": "billing",
        "summary": "Charged twice", "description": "Twice.",
    });
    let send = |token: &str, path: &str, key: &str, body: &Value| {
        api(&app, Method::POST, path, Some(token))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let first = send(&token, "/api/v1/complaints", "order-1", &body)
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let events = app.store.projections.event_count().await.unwrap();
    let again = send(&token, "/api/v1/complaints", "order-1", &body)
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        first,
        "the same answer"
    );
    assert_eq!(
        app.store.projections.event_count().await.unwrap(),
        events,
        "nothing written twice"
    );
    // The same key with another body is refused; another token's keys are its own.
    let mut changed = body.clone();
    changed["summary"] = json!("Charged three times");
    let other_body = send(&token, "/api/v1/complaints", "order-1", &changed)
        .await
        .unwrap();
    assert_eq!(other_body.status(), 422);
    let error: Value = other_body.json().await.unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("another request"),
        "{error}"
    );
    let theirs = send(&other, "/api/v1/complaints", "order-1", &body)
        .await
        .unwrap();
    assert_eq!(theirs.status(), 201);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    let reference = first["reference"].as_str().unwrap().to_string();

    // An action sent twice with its key happens once.
    let acknowledge = format!("/api/v1/complaints/{reference}/acknowledge");
    let apology = json!({"apology": "We are sorry."});
    for _ in 0..2 {
        let response = send(&token, &acknowledge, "ack-1", &apology).await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let parsed = redress_domain::Reference::parse(&reference).unwrap();
    let acknowledged = app
        .store
        .complaints
        .events_of(&parsed)
        .await
        .unwrap()
        .iter()
        .filter(|e| format!("{:?}", e.change).starts_with("ComplaintAcknowledged"))
        .count();
    assert_eq!(acknowledged, 1);

    // A refused request keeps nothing: the same key gets the refusal again, not a replay.
    let close = format!("/api/v1/complaints/{reference}/close");
    for _ in 0..2 {
        let refused = send(&token, &close, "close-1", &json!({})).await.unwrap();
        assert_eq!(refused.status(), 422);
        assert!(refused.headers().get("idempotent-replayed").is_none());
    }
    // A key that is no key.
    for key in ["", "two words", &"k".repeat(256)] {
        let bad = send(&token, &close, key, &json!({})).await.unwrap();
        assert_eq!(bad.status(), 400, "{key:?}");
    }

    // Five at once with one key: one complaint, every answer a 201 or a 409.
    let racing = json!({
        "name": "Li Na", "email": "li@example.cn", "category": "billing",
        "summary": "Race", "description": "Sent five times at once.",
    });
    let before = app.store.api_tokens.list().await.unwrap().len();
    let one = || send(&token, "/api/v1/complaints", "race-1", &racing);
    let (a, b, c, d, e) = tokio::join!(one(), one(), one(), one(), one());
    let statuses: Vec<u16> = [a, b, c, d, e]
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201), "{statuses:?}");
    app.store.projections.run_until_idle().await.unwrap();
    let page: Value = api(
        &app,
        Method::GET,
        "/api/v1/complaints?limit=200",
        Some(&token),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let filed_for_race = page["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["reference"].is_string())
        .count();
    assert_eq!(
        filed_for_race, 3,
        "ana (once), ana by the other token, li (once)"
    );
    assert_eq!(app.store.api_tokens.list().await.unwrap().len(), before);
    app.stop().await;
}

async fn bad_actions_are_refused_with_json_that_says_what_to_fix(db: TestDb) {
    let app = spawn_app(db).await;
    let token = token_with(&app, "CRM", &["file", "act"]).await;
    let reference = file(&app, &token, "bad@example.com").await;
    let events = app.store.projections.event_count().await.unwrap();
    let at = |action: &str| format!("/api/v1/complaints/{reference}/{action}");
    let cases: Vec<(String, Value, u16, &str)> = vec![
        (at("fly"), json!({}), 404, "the actions are: acknowledge"),
        (
            at("erase_personal_data"),
            json!({"reason": "x"}),
            404,
            "the actions are",
        ),
        (
            "/api/v1/complaints/RDR-0000-0000/acknowledge".into(),
            json!({"apology": "Sorry."}),
            404,
            "No complaint",
        ),
        (
            at("acknowledge"),
            json!({"apology": "Sorry.", "admin": true}),
            400,
            "unknown field",
        ),
        (at("acknowledge"), json!({}), 400, "missing field `apology`"),
        (
            at("acknowledge"),
            json!({"apology": "   "}),
            422,
            "The apology",
        ),
        (
            at("commit_to_action"),
            json!({"action": "Refund.", "due_on": "next week"}),
            422,
            "due_on: must be a date like",
        ),
        (
            at("commit_to_action"),
            json!({"action": "Refund.", "due_on": "2001-01-01"}),
            422,
            "",
        ),
        (
            at("assign_owner"),
            json!({"owner": "nobody@example.com"}),
            422,
            "owner: no active member",
        ),
        (
            at("change_priority"),
            json!({"priority": "whenever"}),
            422,
            "priority",
        ),
        (
            at("change_category"),
            json!({"category": "Nonsense"}),
            422,
            "billing",
        ),
        (
            at("change_team"),
            json!({"team": "Nobody"}),
            422,
            "no team is called",
        ),
        (at("close"), json!({}), 422, ""),
        (at("record_satisfaction"), json!({"score": 9}), 422, ""),
        (
            at("link"),
            json!({"other": "not a reference"}),
            422,
            "other",
        ),
        (
            at("add_internal_note"),
            json!({"note": "@nobodyatall look"}),
            422,
            "@nobodyatall",
        ),
    ];
    for (path, body, status, words) in cases {
        let (got, error) = post(&app, &token, &path, body.clone()).await;
        assert_eq!(got, status, "{path} {body}: {error}");
        let said = error["error"].as_str().unwrap_or_default();
        assert!(
            !said.is_empty() && said.contains(words),
            "{path} {body}: {said}"
        );
    }
    // Not JSON, and too large.
    let response = api(&app, Method::POST, &at("acknowledge"), Some(&token))
        .header("content-type", "text/plain")
        .body("sorry")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let response = api(&app, Method::POST, &at("acknowledge"), Some(&token))
        .json(&json!({"apology": "x".repeat(70_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(
        response.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("larger than")
    );
    assert_eq!(
        app.store.projections.event_count().await.unwrap(),
        events,
        "nothing was written"
    );

    // The page documents every action, from Redress's own assets.
    let page = reqwest::get(format!("{}/api/docs", app.address))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap().replace("&#x2F;", "/");
    for action in redress_domain::ActionKind::ALL {
        let documented = html.contains(&format!(
            "/api/v1/complaints/{{reference}}/{}",
            action.code()
        ));
        let offered = !matches!(
            action,
            redress_domain::ActionKind::ErasePersonalData | redress_domain::ActionKind::AttachFiles
        );
        assert_eq!(documented, offered, "{}", action.code());
    }
    assert!(html.contains("Idempotency-Key") && html.contains("curl -X POST"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no third party"
    );
    app.stop().await;
}
