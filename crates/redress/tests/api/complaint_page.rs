//! Working a complaint through the staff pages, over HTTP.

use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{TestApp, csrf_in, spawn_app};

on_both_backends!(
    an_agent_takes_a_phone_complaint_and_works_it_through_the_six_steps_to_closure,
    a_refused_action_is_shown_beside_its_form_with_the_agents_text_kept,
    action_forms_without_csrf_or_for_unknown_complaints_write_nothing,
    the_intake_form_shows_each_mistake_beside_its_field_and_keeps_the_rest,
    a_replayed_form_is_recognised_and_does_nothing_twice,
    the_page_after_a_command_shows_its_effect_before_the_projections_catch_up,
    the_contact_file_after_an_erasure_shows_nothing_of_the_customer_before_the_projections_catch_up,
);

/// Read your own writes after an erasure: the contact file shown next holds none of the
/// customer's details and no "Erase" link, though the list it is drawn from still has them
/// (no projector runs here after the erasure).
async fn the_contact_file_after_an_erasure_shows_nothing_of_the_customer_before_the_projections_catch_up(
    db: TestDb,
) {
    let settings = crate::settings_for(&db);
    let store = redress::open_store(&settings).await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = redress::start_as(
        listener,
        store.clone(),
        &settings,
        redress::ServeRole::WebOnly,
    )
    .await
    .unwrap();
    let app = crate::TestApp::from_running(db, store, running);
    app.sign_in_as(Role::Admin).await;
    let reference = crate::conversation::complaint(&app, "ioana@example.ro").await;
    app.store.projections.run_until_idle().await.unwrap();
    let page = app
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    let customer = page
        .split("href=\"/customers/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let file = format!("/customers/{customer}");
    let before = app.get(&file).await.text().await.unwrap();
    assert!(before.contains("Ioana Marinescu") && before.contains("/erase\""));
    let erase = format!("{file}/erase");
    let csrf = csrf_in(&app.get(&erase).await.text().await.unwrap());
    let response = app
        .post_form(
            &erase,
            &[
                ("csrf", csrf.as_str()),
                ("confirm_email", "ioana@example.ro"),
                ("reason", "Request of 7 December"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let landed = response.headers()["location"].to_str().unwrap().to_string();
    let after = app.get(&landed).await.text().await.unwrap();
    for gone in ["Ioana Marinescu", "ioana@example.ro", "/erase\""] {
        assert!(!after.contains(gone), "{gone} is still shown: {after}");
    }
    assert!(after.contains("Personal data erased"), "{after}");
    app.stop().await;
}

fn form_token_in(html: &str) -> String {
    let marker = "name=\"form_token\" value=\"";
    let start = html.find(marker).expect("the page has a form token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn a_replayed_form_is_recognised_and_does_nothing_twice(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let page = take_complaint(&app, "ana@example.ro").await;
    let html = app.get(&page).await.text().await.unwrap();
    let (csrf, token) = (csrf_in(&html), form_token_in(&html));
    let before = event_count(&app).await;
    let send = |action: &'static str, field: &'static str, value: &'static str| {
        let (csrf, token, page) = (csrf.clone(), token.clone(), page.clone());
        let app = &app;
        async move {
            app.post_form(
                &format!("{page}/{action}"),
                &[
                    ("csrf", csrf.as_str()),
                    ("form_token", token.as_str()),
                    (field, value),
                ],
            )
            .await
        }
    };
    let first = send("acknowledge", "apology", "Sorry").await;
    assert_eq!(first.status(), 303);
    let replay = send("acknowledge", "apology", "Sorry").await;
    assert_eq!(replay.status(), 303);
    assert!(
        replay.headers()["location"]
            .to_str()
            .unwrap()
            .contains("resubmitted=1")
    );
    // The same token on another of the page's forms is a replay too.
    let other = send("record_fact", "fact", "Two captures").await;
    assert!(
        other.headers()["location"]
            .to_str()
            .unwrap()
            .contains("resubmitted=1")
    );
    assert_eq!(event_count(&app).await, before + 1);
    let notice = app
        .get(&format!("{page}?resubmitted=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.contains("nothing was done twice"));

    // A fresh page gives a fresh token; a refused form gives its token back.
    let html = app.get(&page).await.text().await.unwrap();
    let (csrf, token) = (csrf_in(&html), form_token_in(&html));
    let fact = |text: &'static str| {
        let (csrf, token, page) = (csrf.clone(), token.clone(), page.clone());
        let app = &app;
        async move {
            app.post_form(
                &format!("{page}/record_fact"),
                &[
                    ("csrf", csrf.as_str()),
                    ("form_token", token.as_str()),
                    ("fact", text),
                ],
            )
            .await
        }
    };
    assert_eq!(fact("   ").await.status(), 422, "an empty fact is refused");
    let corrected = fact("Two captures").await;
    assert_eq!(corrected.status(), 303);
    assert!(
        corrected.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("#timeline")
            && !corrected.headers()["location"]
                .to_str()
                .unwrap()
                .contains("resubmitted"),
        "the corrected form did not go through: {:?}",
        corrected.headers()["location"]
    );
    assert!(
        fact("Two captures").await.headers()["location"]
            .to_str()
            .unwrap()
            .contains("resubmitted=1")
    );
    assert_eq!(event_count(&app).await, before + 2);

    // The intake form too: one complaint however often it is sent.
    let form_page = app.get("/complaints/new").await.text().await.unwrap();
    let (csrf, token) = (csrf_in(&form_page), form_token_in(&form_page));
    let fields = [
        ("csrf", csrf.as_str()),
        ("form_token", token.as_str()),
        ("name", "Ion Pop"),
        ("email", "ion@example.ro"),
        ("category", "Billing"),
        ("summary", "Twice"),
        ("language", "ro"),
        ("channel", "phone"),
        ("priority", "normal"),
        ("description", "Twice!"),
    ];
    let complaints = event_count(&app).await;
    assert!(
        app.post_form("/complaints/new", &fields).await.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/complaints/RDR-")
    );
    assert_eq!(
        app.post_form("/complaints/new", &fields).await.headers()["location"],
        "/complaints?resubmitted=1"
    );
    // One complaint: its receipt and its team.
    assert_eq!(event_count(&app).await, complaints + 2);
    app.stop().await;
}

/// Files a complaint through the intake form and returns its page's path.
async fn take_complaint(app: &TestApp, email: &str) -> String {
    let form = app.get("/complaints/new").await;
    assert_eq!(form.status(), 200);
    let csrf = csrf_in(&form.text().await.unwrap());
    let response = app
        .post_form(
            "/complaints/new",
            &[
                ("csrf", &csrf),
                ("name", "Ana Pop"),
                ("email", email),
                ("phone", "+40 721 000 111"),
                ("company", "Contoso Ltd"),
                ("category", "Billing"),
                ("summary", "Charged twice for one order"),
                ("language", "ro"),
                ("channel", "phone"),
                ("priority", "high"),
                ("description", "Mi-ați luat banii de două ori."),
                ("remedy", "Returnați a doua plată"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/complaints/RDR-"), "{location}");
    location
}

async fn post_action(
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = app.get(page).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(&format!("{page}/{action}"), &form).await
}

async fn event_count(app: &TestApp) -> i64 {
    redress_store::on_pool!(&app.store.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM events"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn an_agent_takes_a_phone_complaint_and_works_it_through_the_six_steps_to_closure(
    db: TestDb,
) {
    let app = spawn_app(db).await;
    let agent = app.sign_in_as(Role::Agent).await;
    let page = take_complaint(&app, "ana@example.ro").await;

    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("Charged twice for one order"));
    assert!(html.contains("Ana Pop") && html.contains("ana@example.ro"));
    assert!(html.contains("Mi-ați luat banii de două ori."));
    assert!(html.contains("Acknowledge with an apology"));
    assert!(
        !html.contains(">Record a fact<"),
        "a fact is offered before the apology"
    );
    assert!(
        !html.contains("Erase the customer"),
        "erasure is offered on the page"
    );

    let today = chrono::Utc::now().date_naive().to_string();
    let owner_id = agent.id.to_string();
    let steps: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("acknowledge", vec![("apology", "Ne pare sincer rău.")]),
        (
            "record_customer_statement",
            vec![
                ("channel", "phone"),
                ("statement", "A doua plată a apărut a doua zi."),
            ],
        ),
        (
            "record_points",
            vec![
                (
                    "points",
                    "1. Charged twice for one order\n2. Nobody called back",
                ),
                ("send", "on"),
            ],
        ),
        (
            "record_fact",
            vec![
                ("fact", "Two captures for one invoice."),
                ("source", "Payment log"),
            ],
        ),
        (
            "conclude_investigation",
            vec![("findings", "A gateway retry charged twice.")],
        ),
        (
            "commit_to_action",
            vec![("action", "Refund the second payment."), ("due_on", &today)],
        ),
        ("assign_owner", vec![("owner_id", &owner_id)]),
        (
            "send_progress_update",
            vec![
                ("message", "The refund is on its way."),
                ("next_update_on", &today),
            ],
        ),
        (
            "resolve",
            vec![
                ("point_outcome_1", "upheld"),
                ("point_reasons_1", "The second payment was our error."),
                ("point_outcome_2", "not_upheld"),
                ("point_reasons_2", "We called back the same day."),
                ("reasons", "Our error."),
                ("remedy", "Refund"),
                ("redress_paid", "24.99"),
            ],
        ),
        ("close", vec![]),
    ];
    for (action, fields) in &steps {
        let response = post_action(&app, &page, action, fields).await;
        assert_eq!(
            response.status(),
            303,
            "{action}: {}",
            response.text().await.unwrap()
        );
        assert_eq!(
            response.headers()["location"].to_str().unwrap(),
            format!("{page}#timeline")
        );
    }

    let html = app.get(&page).await.text().await.unwrap();
    // The amount in the installation's currency (GBP by default), not a bare number.
    assert!(html.contains("£24.99"), "the redress paid has no currency");
    assert_eq!(
        html.matches("class=\"step done").count(),
        6,
        "all six steps done"
    );
    for title in [
        "Complaint received (Phone)",
        "Step 1 · Acknowledged with an apology",
        "What the customer told us (Phone)",
        "Step 2 · Points of complaint, sent to the customer",
        "Step 3 · Fact established",
        "Step 3 · Investigation concluded",
        "Step 4 · Committed to an action",
        &format!("Step 5 · {} is responsible", agent.name),
        "Step 6 · Progress update sent",
        "Resolved: partly upheld",
        "Point 1: upheld",
        "Point 2: not upheld",
        "Closed",
    ] {
        assert!(html.contains(title), "the timeline lacks {title:?}");
    }
    assert!(html.contains("24.99"));
    assert!(html.contains(">Reopen<"));
    // Resolved, step 6 owes no more updates: it no longer says when the next is due.
    let six_steps = &html[html.find("class=\"steps\"").unwrap()..];
    let six_steps = &six_steps[..six_steps.find("</ol>").unwrap()];
    assert!(!six_steps.contains("next update by"), "{six_steps}");
    assert!(
        six_steps.contains("the outcome sent; no further update owed"),
        "{six_steps}"
    );
    assert!(!html.contains(">Send a progress update<"));
    // Newest first by default; oldest first on request.
    let newest = html.find("<h3>Closed</h3>").unwrap();
    let oldest = html.find("Complaint received (Phone)</h3>").unwrap();
    assert!(newest < oldest);
    let ascending = app
        .get(&format!("{page}?order=oldest"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ascending.find("Complaint received (Phone)</h3>").unwrap()
            < ascending.find("<h3>Closed</h3>").unwrap()
    );

    app.store.projections.run_until_idle().await.unwrap();
    let list = app
        .get("/complaints?status=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("href=\"{page}\"")));
    app.stop().await;
}

async fn a_refused_action_is_shown_beside_its_form_with_the_agents_text_kept(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let page = take_complaint(&app, "ion@example.ro").await;
    let before = event_count(&app).await;
    // A fact before the apology (a stale page, or a crafted post).
    let refused = post_action(
        &app,
        &page,
        "record_fact",
        &[("fact", "The <b>courier</b> was late")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("must be acknowledged with an apology (step 1) before you can record facts"),
        "{html}"
    );
    assert!(
        html.contains("The &lt;b&gt;courier&lt;&#x2F;b&gt; was late"),
        "the agent's text is lost or unescaped"
    );
    // A date that is not a date.
    post_action(&app, &page, "acknowledge", &[("apology", "Sorry")]).await;
    let bad_date = post_action(
        &app,
        &page,
        "send_progress_update",
        &[("message", "Soon"), ("next_update_on", "tomorrow")],
    )
    .await;
    assert_eq!(bad_date.status(), 422);
    assert!(
        bad_date
            .text()
            .await
            .unwrap()
            .contains("must be a date like 2026-11-30")
    );
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let past = post_action(
        &app,
        &page,
        "send_progress_update",
        &[("message", "Soon"), ("next_update_on", &yesterday)],
    )
    .await;
    assert_eq!(past.status(), 422);
    assert!(past.text().await.unwrap().contains("which is in the past"));
    assert_eq!(
        event_count(&app).await,
        before + 1,
        "only the apology was written"
    );
    app.stop().await;
}

async fn action_forms_without_csrf_or_for_unknown_complaints_write_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let page = take_complaint(&app, "eva@example.ro").await;
    let before = event_count(&app).await;
    let forged = app
        .post_form(
            &format!("{page}/acknowledge"),
            &[("csrf", "forged"), ("apology", "x")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    let csrf = csrf_in(&app.get(&page).await.text().await.unwrap());
    let unknown = app
        .post_form(
            "/complaints/RDR-ZZZZ-ZZZZ/acknowledge",
            &[("csrf", &csrf), ("apology", "x")],
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(app.get("/complaints/RDR-ZZZZ-ZZZZ").await.status(), 404);
    assert_eq!(app.get("/complaints/not-a-reference").await.status(), 404);
    let nonsense = app
        .post_form(&format!("{page}/launch_rockets"), &[("csrf", &csrf)])
        .await;
    assert_eq!(nonsense.status(), 404);
    let erase = app
        .post_form(
            &format!("{page}/erase_personal_data"),
            &[("csrf", &csrf), ("reason", "x")],
        )
        .await;
    assert_eq!(erase.status(), 404);
    assert_eq!(event_count(&app).await, before);
    // Signed out, nothing at all.
    let html = app.get(&page).await.text().await.unwrap();
    app.post_form("/sign-out", &[("csrf", &csrf_in(&html))])
        .await;
    assert_eq!(app.get(&page).await.status(), 303);
    let anonymous = app
        .post_form(
            &format!("{page}/acknowledge"),
            &[("csrf", "x"), ("apology", "x")],
        )
        .await;
    assert_eq!(
        anonymous.status(),
        303,
        "an anonymous post must be sent to sign in"
    );
    assert_eq!(event_count(&app).await, before);
    app.stop().await;
}

async fn the_intake_form_shows_each_mistake_beside_its_field_and_keeps_the_rest(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let csrf = csrf_in(&app.get("/complaints/new").await.text().await.unwrap());
    let fields = |email: &'static str, summary: &'static str| {
        vec![
            ("name", "Ana Pop"),
            ("email", email),
            ("category", "Billing"),
            ("summary", summary),
            ("language", "ro"),
            ("channel", "phone"),
            ("priority", "normal"),
            ("description", "Twice!"),
        ]
    };
    let mut form = fields("not-an-address", "Charged twice");
    form.push(("csrf", &csrf));
    let response = app.post_form("/complaints/new", &form).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"email-error\""));
    assert!(html.contains("is not a valid email address"));
    assert!(html.contains("value=\"Ana Pop\""), "the name was lost");
    assert!(
        html.contains(">Twice!</textarea>"),
        "the description was lost"
    );

    let mut form = fields("ana@example.ro", "   ");
    form.push(("csrf", &csrf));
    let html = app
        .post_form("/complaints/new", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"summary-error\""), "{html}");
    assert!(html.contains("The summary must not be empty."));
    assert_eq!(event_count(&app).await, 0);
    app.stop().await;
}

/// Read your own writes: the page after a command shows that command's effect on the SLA
/// clocks even when no projector has run (a server with the web part only, its workers
/// elsewhere and, here, nowhere).
async fn the_page_after_a_command_shows_its_effect_before_the_projections_catch_up(db: TestDb) {
    let settings = crate::settings_for(&db);
    let store = redress::open_store(&settings).await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = redress::start_as(
        listener,
        store.clone(),
        &settings,
        redress::ServeRole::WebOnly,
    )
    .await
    .unwrap();
    let app = crate::TestApp::from_running(db, store, running);
    let agent = app.sign_in_as(Role::Agent).await;
    let reference = crate::conversation::complaint(&app, "ana@example.ro").await;
    let page = format!("/complaints/{reference}");
    let owner_id = agent.id.to_string();
    for (action, fields) in [
        ("acknowledge", vec![("apology", "Sorry.")]),
        ("assign_owner", vec![("owner_id", owner_id.as_str())]),
    ] {
        let response = post_action(&app, &page, action, &fields).await;
        assert_eq!(response.status(), 303, "{action}");
    }
    let html = app.get(&page).await.text().await.unwrap();
    let row_of = |clock: redress_domain::SlaClock| {
        let start = html
            .find(&format!("<th scope=\"row\">{}", clock.label()))
            .unwrap_or_else(|| panic!("no row for {clock:?}: {html}"));
        let row = &html[start..];
        row[..row.find("</tr>").unwrap()].to_string()
    };
    for clock in [
        redress_domain::SlaClock::Acknowledge,
        redress_domain::SlaClock::Owner,
    ] {
        let row = row_of(clock);
        assert!(row.contains("sla sla-met"), "{clock:?} is not met: {row}");
    }
    assert!(row_of(redress_domain::SlaClock::Commit).contains("sla sla-on_track"));
    app.stop().await;
}
