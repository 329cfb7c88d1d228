//! The hardened web layer, over HTTP: safety headers, body limits, sessions kept on the
//! server (renewed, ended, timed out), rate limits, the audit trail, a customer's export and
//! erasure, and retention.

use chrono::{Duration, Utc};
use redress_domain::{
    Actor, ComplaintAction, ComplaintCommand, ManualClock, Outcome, Reference, StaffMember,
};
use redress_store::{AuditAction, Role};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{PASSWORD, TestApp, csrf_in, spawn_app, spawn_app_on_clock_with, spawn_app_with};

on_both_backends!(
    every_response_carries_the_safety_headers_and_bodies_are_held_to_their_size,
    sign_in_starts_a_new_session_and_sign_out_ends_every_copy_of_it,
    idle_and_old_sessions_end_and_changes_to_an_account_end_its_sessions,
    sign_ins_per_address_and_api_requests_per_token_are_limited,
    the_audit_trail_records_who_did_what_from_where_for_admins,
    a_customers_data_is_exported_whole_and_erased_on_confirmation,
    retention_erases_customers_whose_last_complaint_closed_long_ago,
    forms_with_bytes_that_are_not_utf8_are_refused_and_write_nothing,
);

/// Bytes that are not UTF-8 in any form field (urlencoded or with files) are refused with a
/// message naming the field; nothing is written (they were once stored as U+FFFD, "���").
async fn forms_with_bytes_that_are_not_utf8_are_refused_and_write_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let reference = crate::conversation::complaint(&app, "ana@example.ro").await;
    let page = format!("/complaints/{reference}");
    let csrf = csrf_in(&app.get(&page).await.text().await.unwrap());
    let before = app
        .store
        .complaints
        .events_of(&reference)
        .await
        .unwrap()
        .len();
    for (path, body) in [
        (
            format!("{page}/note"),
            format!("csrf={csrf}&note=Called+%FF%FE+back"),
        ),
        (
            format!("{page}/acknowledge"),
            format!("csrf={csrf}&apology=Sorry%C3%28"),
        ),
        (format!("{page}/note"), format!("csrf={csrf}&n%FFote=x")),
    ] {
        let response = app
            .client
            .post(format!("{}{path}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let text = unescape(&response.text().await.unwrap());
        assert!(text.contains("is not UTF-8 text"), "{body}: {text}");
    }
    // The same fields as valid UTF-8 go through.
    let ok = app
        .client
        .post(format!("{}{page}/note", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&note=Called+%C8%98tefan+back+100%25"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let events = app.store.complaints.events_of(&reference).await.unwrap();
    assert_eq!(events.len(), before + 1, "only the valid note was written");
    // The public form (a form with files) refuses them too, and files no complaint.
    let visitor = app.another_visitor();
    let form = visitor.get("/complain").await.text().await.unwrap();
    let csrf = csrf_in(&form);
    let mut body = Vec::new();
    for (name, value) in [
        ("csrf", csrf.as_bytes()),
        ("name", b"Ana \xff\xfe Pop".as_slice()),
        ("email", b"ana@example.ro".as_slice()),
        ("category", b"Billing".as_slice()),
        ("summary", b"Charged twice".as_slice()),
        ("description", b"Twice.".as_slice()),
    ] {
        body.extend_from_slice(
            format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--b--\r\n");
    let list_before = app.store.projections.event_count().await.unwrap();
    let refused = visitor
        .client
        .post(format!("{}/complain", app.address))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let text = unescape(&refused.text().await.unwrap());
    assert!(
        text.contains("The form could not be read; please try again."),
        "{text}"
    );
    assert_eq!(
        app.store.projections.event_count().await.unwrap(),
        list_before
    );
    app.stop().await;
}

fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn agent() -> StaffMember {
    StaffMember {
        id: uuid::Uuid::from_u128(7),
        name: "Maria Ionescu".into(),
    }
}

/// Receives a complaint from `email`; returns its reference.
async fn complaint(app: &TestApp, email: &str) -> Reference {
    app.store
        .complaints
        .receive(
            Actor::Customer,
            redress_domain::NewComplaint {
                reference: Reference::parse("RDR-0000-0000").unwrap(),
                customer: redress_domain::NewCustomer {
                    name: "Ana Pop".into(),
                    email: Some(redress_domain::CustomerEmail::parse(email).unwrap()),
                    phone: Some("+40 721 000 111".into()),
                    language: redress_domain::Language::Ro,
                },
                company: None,
                tier: redress_domain::Tier::Standard,
                channel: redress_domain::Channel::Phone,
                category: "Billing".into(),
                summary: "Charged twice".into(),
                description: "I was charged twice on 1 March.".into(),
                remedy_requested: None,
                priority: redress_domain::Priority::Normal,
                routing: None,
            },
        )
        .await
        .unwrap()
}

/// Works a complaint to closure (on the store's clock).
async fn close(app: &TestApp, reference: &Reference) {
    let today = app.store.clock.now().date_naive();
    for action in [
        ComplaintAction::Acknowledge {
            apology: "Sorry.".into(),
        },
        ComplaintAction::RecordFact {
            fact: "Two charges.".into(),
            source: None,
        },
        ComplaintAction::RecordPoints {
            points: vec!["The customer was charged twice.".into()],
            send: false,
        },
        ComplaintAction::ConcludeInvestigation {
            findings: "A retry.".into(),
        },
        ComplaintAction::CommitToAction {
            action: "Refund.".into(),
            due_on: today,
            resolve_by: None,
        },
        ComplaintAction::AssignOwner { owner: agent() },
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: Outcome::Upheld,
                reasons: "Decided on the facts.".into(),
            }],
            reasons: "Our error.".into(),
            remedy: None,
            redress_paid_cents: None,
        },
        ComplaintAction::Close,
    ] {
        app.store
            .complaints
            .execute(
                reference,
                ComplaintCommand::new(Actor::Staff(agent()), action),
            )
            .await
            .unwrap();
    }
}

/// The `redress_session` cookie a response sets, as `name=value`.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("redress_session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// GET `path` with nothing but this cookie.
async fn with_cookie(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    crate::client()
        .get(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn every_response_carries_the_safety_headers_and_bodies_are_held_to_their_size(db: TestDb) {
    let app = spawn_app(db).await;
    for path in [
        "/sign-in",
        "/complain",
        "/static/redress.js",
        "/nowhere",
        "/api/openapi.json",
        "/healthz",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    // Bodies announced larger than the limit are refused before they are read.
    let huge = vec![b'a'; 2 * 1024 * 1024];
    for path in [
        "/complain",
        "/sign-in",
        "/api/v1/complaints",
        "/complaints/new",
    ] {
        let response = crate::client()
            .post(format!("{}{path}", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge.clone())
            .send()
            .await;
        // The server may answer and close before reading the body: either way, no 2xx/5xx.
        if let Ok(response) = response {
            assert_eq!(response.status(), 413, "{path}");
        }
    }
    assert_eq!(app.store.projections.event_count().await.unwrap(), 0);
    // Refusals made before any handler (the access check, the size check) carry them too.
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    for (response, expected) in [
        (agent.get("/admin/users").await, 403),
        (app.get("/complaints").await, 303),
        (
            crate::client()
                .post(format!("{}/complain", app.address))
                .header("content-length", "5000000")
                .body(vec![b'a'; 10])
                .send()
                .await
                .unwrap(),
            413,
        ),
    ] {
        assert_eq!(response.status(), expected);
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{expected}: {csp}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    app.stop().await;
    // Over HTTPS (secure cookies), browsers are told to keep to it.
    let db = TestDb::sqlite();
    let app = spawn_app_with(db, &[("REDRESS_SECURE_COOKIES", "true")]).await;
    let response = app.get("/sign-in").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=31536000")
    );
    app.stop().await;
}

async fn sign_in_starts_a_new_session_and_sign_out_ends_every_copy_of_it(db: TestDb) {
    let app = spawn_app(db).await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let account = app
        .store
        .accounts
        .create("ana@staff.example", "Ana Agent", Role::Agent, &hash)
        .await
        .unwrap();
    // The cookie from before sign-in (it carries the CSRF token) is not the session's.
    let before = session_cookie(&app.get("/sign-in").await).expect("a cookie before sign-in");
    let signed_in = app.sign_in("ana@staff.example", PASSWORD).await;
    let after = session_cookie(&signed_in).expect("a new cookie at sign-in");
    assert_ne!(before, after, "the session is renewed at sign-in");
    assert_eq!(
        with_cookie(&app, &before, "/complaints").await.status(),
        303
    );
    assert_eq!(with_cookie(&app, &after, "/complaints").await.status(), 200);
    assert_eq!(app.store.sessions.count(account.id).await.unwrap(), 1);

    // Signing out ends the session on the server: a copy of the cookie opens nothing.
    let csrf = csrf_in(&app.get("/account").await.text().await.unwrap());
    let out = app.post_form("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), 303);
    let replayed = with_cookie(&app, &after, "/complaints").await;
    assert_eq!(replayed.status(), 303);
    assert!(
        replayed.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );
    assert_eq!(app.store.sessions.count(account.id).await.unwrap(), 0);
    app.stop().await;
}

async fn idle_and_old_sessions_end_and_changes_to_an_account_end_its_sessions(db: TestDb) {
    let clock = ManualClock::at(Utc::now());
    let settings = crate::settings_with(
        &db,
        &[
            ("REDRESS_SESSION_IDLE_MINUTES", "30"),
            ("REDRESS_SESSION_ABSOLUTE_HOURS", "2"),
        ],
    );
    let store = redress::open_store_with_clock(&settings, std::sync::Arc::new(clock.clone()))
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = redress::start(listener, store.clone(), &settings)
        .await
        .unwrap();
    let app = crate::TestApp::from_running(db, store, running);

    // Idle for longer than 30 minutes: the next page asks to sign in again, saying why.
    app.sign_in_as(Role::Agent).await;
    clock.advance(Duration::minutes(29));
    assert_eq!(app.get("/complaints").await.status(), 200);
    clock.advance(Duration::minutes(31));
    let expired = app.get("/complaints").await;
    let location = expired.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("expired=1"), "{location}");
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("Your session ended"), "{page}");

    // Busy, but signed in for over two hours: ends too.
    let busy = app.another_visitor();
    busy.sign_in_as(Role::Agent).await;
    for _ in 0..4 {
        clock.advance(Duration::minutes(25));
        assert_eq!(busy.get("/complaints").await.status(), 200);
    }
    clock.advance(Duration::minutes(25));
    assert_eq!(
        busy.get("/complaints").await.status(),
        303,
        "past two hours"
    );

    // A role change, or a deactivation, ends the account's sessions at once.
    let agent = app.another_visitor();
    let account = agent.sign_in_as(Role::Agent).await;
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let csrf = csrf_in(&admin.get("/admin/users").await.text().await.unwrap());
    let changed = admin
        .post_form(
            &format!("/admin/users/{}/role", account.id),
            &[("csrf", &csrf), ("role", "manager")],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(agent.get("/complaints").await.status(), 303, "signed out");
    agent.sign_in(&account.email, PASSWORD).await;
    assert_eq!(agent.get("/reports").await.status(), 200, "now a manager");
    let deactivated = admin
        .post_form(
            &format!("/admin/users/{}/active", account.id),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(deactivated.status(), 303);
    assert_eq!(agent.get("/complaints").await.status(), 303, "signed out");
    app.stop().await;
}

async fn sign_ins_per_address_and_api_requests_per_token_are_limited(db: TestDb) {
    // The limits count in fixed windows (10 minutes, 1 minute) of the store's clock: a stopped
    // clock keeps every request of the test in one window (on the wall clock, a run that
    // crossed a window's end started counting again, and the test failed once in CI).
    let clock = ManualClock::at(Utc::now());
    let app = spawn_app_on_clock_with(
        db,
        clock.clone(),
        &[("REDRESS_API_REQUESTS_PER_MINUTE", "3")],
    )
    .await;
    // Guessing across many addresses from one client is slowed down too.
    let mut statuses = Vec::new();
    for n in 0..redress_web::auth::MAX_SIGN_INS_PER_ADDRESS + 1 {
        let response = app
            .sign_in(&format!("nobody{n}@staff.example"), "wrong password")
            .await;
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses[..statuses.len() - 1].iter().all(|s| *s == 401),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429));
    // Hammering on is refused every time, and audited once per window, not per attempt.
    for n in 0..3 {
        let response = app.sign_in(&format!("more{n}@staff.example"), "x").await;
        assert_eq!(response.status(), 429);
    }
    let limited = app
        .store
        .audit
        .list(Some(AuditAction::SignInFailed), None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.detail.contains("from this address"))
        .count();
    assert_eq!(limited, 1, "one audit entry for the window's refusals");

    let (token, _) = app
        .store
        .api_tokens
        .create("order system", &[redress_store::Scope::Read], "test")
        .await
        .unwrap();
    let api = async || {
        crate::client()
            .get(format!("{}/api/v1/complaints", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(api().await);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);

    // When the windows have passed, both are let through again.
    clock.advance(Duration::minutes(11));
    let again = app.sign_in("nobody@staff.example", "wrong password").await;
    assert_eq!(again.status(), 401, "a new window of sign-ins");
    assert_eq!(api().await, 200, "a new minute of API requests");
    app.stop().await;
}

async fn the_audit_trail_records_who_did_what_from_where_for_admins(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = app.another_visitor();
    let admin_account = admin.sign_in_as(Role::Admin).await;
    app.sign_in("someone@staff.example", "a wrong password")
        .await;
    let csrf = csrf_in(&admin.get("/admin/api-tokens").await.text().await.unwrap());
    let created = admin
        .post_form(
            "/admin/api-tokens",
            &[("csrf", &csrf), ("name", "CRM"), ("scope_read", "on")],
        )
        .await;
    assert_eq!(created.status(), 200);
    let page = created.text().await.unwrap();
    let token = page
        .match_indices("rdr_")
        .map(|(at, _)| {
            page[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect::<String>()
        })
        .find(|candidate| candidate.len() > 20)
        .expect("the new token on the page");
    let used = crate::client()
        .get(format!("{}/api/v1/complaints", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 200);

    let entries = app.store.audit.list(None, None, 50).await.unwrap();
    let find = |action: AuditAction| {
        entries
            .iter()
            .find(|e| e.action == action.code())
            .unwrap_or_else(|| panic!("no {action:?} in {entries:#?}"))
    };
    let sign_in = find(AuditAction::SignIn);
    assert_eq!(sign_in.actor, format!("staff:{}", admin_account.id));
    assert_eq!(sign_in.address, "127.0.0.1");
    let refused = find(AuditAction::SignInFailed);
    assert_eq!(refused.target, "someone@staff.example");
    assert_eq!(refused.detail, "no account with this address");
    assert_eq!(find(AuditAction::TokenCreated).target, "CRM");
    let use_ = find(AuditAction::TokenUsed);
    assert!(
        use_.detail.starts_with("GET /api/v1/complaints"),
        "{}",
        use_.detail
    );
    assert!(use_.actor.starts_with("api:"));

    // Admins read it, filtered; nobody else may.
    let html = unescape(
        &admin
            .get("/admin/audit?action=sign_in_failed")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(html.contains("someone@staff.example") && html.contains("Sign-in refused"));
    assert!(
        !html.contains("GET /api/v1/complaints"),
        "only refused sign-ins listed"
    );
    assert_eq!(
        admin.get("/admin/audit?action=nonsense").await.status(),
        400
    );
    let manager = app.another_visitor();
    manager.sign_in_as(Role::Manager).await;
    assert_eq!(manager.get("/admin/audit").await.status(), 403);
    app.stop().await;
}

async fn a_customers_data_is_exported_whole_and_erased_on_confirmation(db: TestDb) {
    let app = spawn_app(db).await;
    let reference = complaint(&app, "ana@example.ro").await;
    app.store
        .complaints
        .execute(
            &reference,
            ComplaintCommand::new(
                Actor::Customer,
                ComplaintAction::RecordCustomerStatement {
                    channel: redress_domain::Channel::WebForm,
                    statement: "It happened again on 3 March.".into(),
                    shared: false,
                },
            ),
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    let customer = app.list_row(reference.as_str()).await.customer_id;
    app.sign_in_as(Role::Admin).await;
    let export: serde_json::Value = app
        .get(&format!("/customers/{customer}/export?format=json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(export["email"], "ana@example.ro");
    assert_eq!(export["phone"], "+40 721 000 111");
    let text = export.to_string();
    assert!(text.contains("I was charged twice on 1 March."));
    assert!(text.contains("It happened again on 3 March."));
    assert_eq!(export["complaints"][0]["reference"], reference.as_str());
    assert!(
        export["complaints"][0]["emails_sent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "receipt")
    );
    let page = unescape(
        &app.get(&format!("/customers/{customer}/export"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains("It happened again on 3 March."));

    // Erasure asks for the address typed in; a wrong one erases nothing.
    let confirm = app.get(&format!("/customers/{customer}/erase")).await;
    let html = confirm.text().await.unwrap();
    assert!(html.contains(reference.as_str()));
    let csrf = csrf_in(&html);
    let path = format!("/customers/{customer}/erase");
    let wrong = app
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("confirm_email", "other@example.ro"),
                ("reason", "request"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let forged = app
        .post_form(
            &path,
            &[
                ("csrf", "forged"),
                ("confirm_email", "ana@example.ro"),
                ("reason", "request"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 403);
    app.store.projections.run_until_idle().await.unwrap();
    assert!(!app.list_row(reference.as_str()).await.personal_data_erased);
    let right = app
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("confirm_email", "ANA@example.ro"),
                ("reason", "request of 5 December"),
            ],
        )
        .await;
    assert_eq!(right.status(), 303);
    app.store.projections.run_until_idle().await.unwrap();
    let row = app.list_row(reference.as_str()).await;
    assert!(row.personal_data_erased);
    let after: serde_json::Value = app
        .get(&format!("/customers/{customer}/export?format=json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["erased"], true);
    assert!(!after.to_string().contains("ana@example.ro"));
    assert!(!after.to_string().contains("3 March"));
    let audit = app.store.audit.list(None, None, 20).await.unwrap();
    assert!(
        audit
            .iter()
            .filter(|e| e.action == AuditAction::CustomerExported.code())
            .count()
            >= 3
    );
    let erased = audit
        .iter()
        .find(|e| e.action == AuditAction::CustomerErased.code())
        .expect("the erasure is in the audit trail");
    assert!(erased.detail.contains("request of 5 December"));
    app.stop().await;
}

async fn retention_erases_customers_whose_last_complaint_closed_long_ago(db: TestDb) {
    let clock = ManualClock::at(Utc::now() - Duration::days(100));
    let settings = crate::settings_with(&db, &[("REDRESS_RETENTION_DAYS", "30")]);
    let store = redress::open_store_with_clock(&settings, std::sync::Arc::new(clock.clone()))
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = redress::start(listener, store.clone(), &settings)
        .await
        .unwrap();
    let app = crate::TestApp::from_running(db, store, running);
    // Long closed; closed lately; one closed long ago but another still open.
    let old = complaint(&app, "old@example.ro").await;
    close(&app, &old).await;
    let busy_closed = complaint(&app, "busy@example.ro").await;
    close(&app, &busy_closed).await;
    let _busy_open = complaint(&app, "busy@example.ro").await;
    clock.advance(Duration::days(90));
    let recent = complaint(&app, "recent@example.ro").await;
    close(&app, &recent).await;
    app.store.projections.run_until_idle().await.unwrap();
    let received = |store: redress_store::Store| async move {
        store
            .reports
            .volume(&redress_store::reports::ReportFilter {
                range: redress_store::reports::Range {
                    from: (Utc::now() - Duration::days(200)).date_naive(),
                    to: (Utc::now() + Duration::days(1)).date_naive(),
                },
                grouping: redress_store::reports::Grouping::Month,
                by: "all",
                only: None,
                basis: redress_domain::Basis::Business,
            })
            .await
            .unwrap()
            .total
            .received
    };
    let before = received(app.store.clone()).await;
    assert_eq!(before, 4);

    app.sign_in_as(Role::Admin).await;
    let page = app.get("/admin/retention").await.text().await.unwrap();
    assert!(
        page.contains("30 days") && page.contains("1 customer"),
        "{page}"
    );
    let csrf = csrf_in(&page);
    let ran = app.post_form("/admin/retention", &[("csrf", &csrf)]).await;
    assert_eq!(ran.status(), 303);
    let page = app
        .get(ran.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("erased 1 customer(s), 1 complaint(s)"),
        "{page}"
    );
    app.store.projections.run_until_idle().await.unwrap();
    let erased = |reference: Reference| {
        let store = app.store.clone();
        async move {
            store
                .complaint_list
                .get(reference.as_str())
                .await
                .unwrap()
                .unwrap()
                .personal_data_erased
        }
    };
    assert!(erased(old).await, "closed long ago");
    assert!(!erased(busy_closed).await, "another complaint is open");
    assert!(!erased(recent).await, "closed lately");
    assert_eq!(
        received(app.store.clone()).await,
        before,
        "the figures stay"
    );
    let run = app
        .store
        .audit
        .list(Some(AuditAction::RetentionRun), None, 5)
        .await
        .unwrap();
    assert_eq!(run.len(), 1);
    assert!(run[0].detail.starts_with("erased 1 customer(s)"));
    app.stop().await;
}
