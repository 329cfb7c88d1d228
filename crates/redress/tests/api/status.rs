//! The customer's status page, reached from the signed link in every email, over HTTP.

use chrono::Utc;
use redress_domain::{Actor, ComplaintChange, Reference};
use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{TestApp, Visitor, csrf_in, spawn_app};

on_both_backends!(
    the_link_in_every_email_opens_the_customers_page_where_they_can_add_information,
    after_closure_the_customer_rates_the_handling_once,
    expired_tampered_or_foreign_links_open_nothing_and_a_fresh_one_goes_only_to_the_customer,
);

fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Files a complaint through the public form; returns its reference.
async fn complain(visitor: &Visitor, email: &str) -> String {
    let page = visitor.get("/complain").await.text().await.unwrap();
    let response = visitor
        .post_multipart(
            "/complain",
            &[
                ("csrf", &csrf_in(&page)),
                ("name", "Olivia Bennett"),
                ("email", email),
                ("category", "Delivery"),
                ("summary", "My parcel never arrived"),
                ("description", "Tracking says delivered; nothing came."),
                ("language", "en"),
            ],
            &[],
        )
        .await;
    assert_eq!(response.status(), 303);
    unescape(response.headers()["location"].to_str().unwrap())
        .split("reference=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap()
        .to_string()
}

/// The status link in the email with this id, once it is written.
async fn link_in_email(app: &TestApp, id: &str) -> String {
    app.settle().await;
    let file = crate::mail_dir_for(&app.db).join(format!("{id}.eml"));
    let raw = std::fs::read(&file).unwrap_or_else(|e| panic!("no email {id}: {e}"));
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let start = text.find("http://").expect("a link in the email");
    let link = text[start..].split_whitespace().next().unwrap();
    let path = link.splitn(4, '/').nth(3).expect("a path");
    format!("/{path}")
}

async fn staff_act(staff: &Visitor, reference: &str, action: &str, fields: &[(&str, &str)]) {
    let page = format!("/complaints/{reference}");
    let html = staff.get(&page).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = staff.post_form(&format!("{page}/{action}"), &form).await;
    assert_eq!(response.status(), 303, "{action}");
}

async fn the_link_in_every_email_opens_the_customers_page_where_they_can_add_information(
    db: TestDb,
) {
    let app = spawn_app(db).await;
    let customer = app.another_visitor();
    let reference = complain(&customer, "olivia@example.co.uk").await;
    let link = link_in_email(&app, &format!("{reference}.1.receipt")).await;
    assert!(link.starts_with(&format!("/status/{reference}.")), "{link}");

    let page = unescape(&customer.get(&link).await.text().await.unwrap());
    assert!(page.contains(&reference));
    assert!(page.contains("We will tell you who as soon as it is decided."));
    assert!(page.contains("Tracking says delivered; nothing came."));

    let agent = app.sign_in_as(Role::Agent).await;
    staff_act(
        &app,
        &reference,
        "acknowledge",
        &[("apology", "We are so sorry, Olivia.")],
    )
    .await;
    staff_act(
        &app,
        &reference,
        "assign_owner",
        &[("owner_id", &agent.id.to_string())],
    )
    .await;
    let page = unescape(&customer.get(&link).await.text().await.unwrap());
    assert!(page.contains("Test agent"), "the owner's name");
    assert!(
        page.contains("We are so sorry, Olivia."),
        "the messages we sent"
    );

    // The customer adds information; staff see it as the customer's words.
    let csrf = csrf_in(&page);
    let response = customer
        .post_multipart(
            &format!("{link}/add"),
            &[
                ("csrf", &csrf),
                ("text", "The courier left it at number 12."),
            ],
            &[],
        )
        .await;
    assert_eq!(response.status(), 303);
    let events = app
        .store
        .complaints
        .events_of(&Reference::parse(&reference).unwrap())
        .await
        .unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.by, Actor::Customer);
    assert!(matches!(
        last.change,
        ComplaintChange::CustomerStatementRecorded { .. }
    ));
    let staff_page = unescape(
        &app.get(&format!("/complaints/{reference}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(staff_page.contains("The courier left it at number 12."));
    // Too long: refused, the text kept, nothing written.
    let long = "x".repeat(20_001);
    let response = customer
        .post_multipart(
            &format!("{link}/add"),
            &[("csrf", &csrf), ("text", &long)],
            &[],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains(&long));
    // Nothing at all: refused, beside the form.
    let response = customer
        .post_multipart(
            &format!("{link}/add"),
            &[("csrf", &csrf), ("text", " ")],
            &[],
        )
        .await;
    assert_eq!(response.status(), 422);
    // Without the session's CSRF token: refused.
    let response = app
        .another_visitor()
        .post_multipart(
            &format!("{link}/add"),
            &[("csrf", "x"), ("text", "hi")],
            &[],
        )
        .await;
    assert_eq!(response.status(), 403);
    let after = app
        .store
        .complaints
        .events_of(&Reference::parse(&reference).unwrap())
        .await
        .unwrap();
    assert_eq!(after.len(), events.len());
    app.stop().await;
}

async fn after_closure_the_customer_rates_the_handling_once(db: TestDb) {
    let app = spawn_app(db).await;
    let customer = app.another_visitor();
    let reference = complain(&customer, "olivia@example.co.uk").await;
    let agent = app.sign_in_as(Role::Agent).await;
    let owner = agent.id.to_string();
    let today = Utc::now().date_naive().to_string();
    for (action, fields) in [
        ("acknowledge", vec![("apology", "Sorry.")]),
        (
            "record_points",
            vec![("points", "The parcel never arrived")],
        ),
        ("record_fact", vec![("fact", "Lost by the courier")]),
        (
            "conclude_investigation",
            vec![("findings", "Our courier lost it")],
        ),
        (
            "commit_to_action",
            vec![("action", "Send a new parcel"), ("due_on", today.as_str())],
        ),
        ("assign_owner", vec![("owner_id", owner.as_str())]),
        (
            "resolve",
            vec![
                ("point_outcome_1", "upheld"),
                ("point_reasons_1", "Our courier lost it."),
                ("reasons", "It was lost"),
            ],
        ),
        ("close", vec![]),
    ] {
        staff_act(&app, &reference, action, &fields).await;
    }
    let events = app
        .store
        .complaints
        .events_of(&Reference::parse(&reference).unwrap())
        .await
        .unwrap();
    let link = link_in_email(&app, &format!("{reference}.{}.survey", events.len())).await;
    let page = unescape(&customer.get(&link).await.text().await.unwrap());
    assert!(page.contains("How did we do?"), "{page}");
    assert!(
        !page.contains("Add something"),
        "closed: nothing more to add"
    );
    let csrf = csrf_in(&page);
    let bad = customer
        .post_form(
            &format!("{link}/survey"),
            &[("csrf", &csrf), ("score", "6")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let response = customer
        .post_form(
            &format!("{link}/survey"),
            &[
                ("csrf", &csrf),
                ("score", "4"),
                ("comment", "Quick and kind."),
                ("would_change", "Use a better courier."),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let again = customer
        .post_form(
            &format!("{link}/survey"),
            &[("csrf", &csrf), ("score", "1")],
        )
        .await;
    assert_eq!(again.status(), 409, "once is enough");
    app.store.projections.run_until_idle().await.unwrap();
    let row = app.list_row(&reference).await;
    assert_eq!(row.satisfaction_score, Some(4));
    let staff_page = unescape(
        &app.get(&format!("/complaints/{reference}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(staff_page.contains("Use a better courier."));
    app.stop().await;
}

async fn expired_tampered_or_foreign_links_open_nothing_and_a_fresh_one_goes_only_to_the_customer(
    db: TestDb,
) {
    let app = spawn_app(db).await;
    let customer = app.another_visitor();
    let mine = complain(&customer, "olivia@example.co.uk").await;
    let theirs = complain(&app.another_visitor(), "someone@example.com").await;
    let link = link_in_email(&app, &format!("{mine}.1.receipt")).await;

    // A changed link opens nothing; one complaint's link never shows another.
    let tampered = link.replace(&mine, &theirs);
    let response = customer.get(&tampered).await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("This link does not work") && !html.contains("someone@example.com"));
    let own = unescape(&customer.get(&link).await.text().await.unwrap());
    assert!(!own.contains(&theirs));

    // An expired link says so, and offers a fresh one.
    let expired = app.store.links.token(
        &Reference::parse(&mine).unwrap(),
        Utc::now() - chrono::Duration::days(1),
    );
    let response = customer.get(&format!("/status/{expired}")).await;
    assert_eq!(response.status(), 410);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("This link has expired") && html.contains(&mine));
    let csrf = csrf_in(&html);
    // A fresh link is checked against the complaint list, which a projector keeps; the
    // receipt email above can be out before that row is (the outbox and the list are
    // separate projectors), so wait for the read models as a customer's day-old link would.
    app.store.projections.run_until_idle().await.unwrap();
    // The wrong address gets the same answer, and no email.
    let wrong = customer
        .post_form(
            "/status/fresh-link",
            &[
                ("csrf", &csrf),
                ("reference", &mine),
                ("email", "someone@example.com"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 200);
    let answer = wrong.text().await.unwrap();
    assert!(answer.contains("Check your email"));
    let right = customer
        .post_form(
            "/status/fresh-link",
            &[
                ("csrf", &csrf),
                ("reference", &mine),
                ("email", "OLIVIA@example.co.uk"),
            ],
        )
        .await;
    assert_eq!(right.status(), 200);
    assert_eq!(
        right.text().await.unwrap(),
        answer,
        "the same answer either way"
    );
    let rows: Vec<_> = app
        .store
        .outbox
        .of_complaint(&mine)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "status_link")
        .collect();
    assert_eq!(rows.len(), 1, "one fresh link, for the right address only");
    assert!(
        app.store
            .outbox
            .of_complaint(&theirs)
            .await
            .unwrap()
            .iter()
            .all(|r| r.kind != "status_link")
    );
    let fresh = link_in_email(&app, &rows[0].id).await;
    assert_eq!(customer.get(&fresh).await.status(), 200);

    // Asking again and again from one address is slowed down.
    let mut statuses = Vec::new();
    for _ in 0..redress_web::status::MAX_LINK_REQUESTS {
        let response = customer
            .post_form(
                "/status/fresh-link",
                &[
                    ("csrf", &csrf),
                    ("reference", &mine),
                    ("email", "x@example.com"),
                ],
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");

    // An erased customer's link opens nothing any more.
    let their_link = format!(
        "/status/{}",
        app.store.links.token(
            &Reference::parse(&theirs).unwrap(),
            Utc::now() + chrono::Duration::days(1)
        )
    );
    assert_eq!(customer.get(&their_link).await.status(), 200);
    app.store.projections.run_until_idle().await.unwrap();
    let row = app.list_row(&theirs).await;
    app.store
        .complaints
        .erase_customer(
            redress_domain::CustomerId(row.customer_id),
            Actor::System {
                name: "test".into(),
            },
            "request",
        )
        .await
        .unwrap();
    let response = customer.get(&their_link).await;
    assert_eq!(response.status(), 404);
    let gone = response.text().await.unwrap();
    assert!(!gone.contains("someone@example.com"));
    // A customer's page, not a staff one: no way into the complaints.
    assert!(!gone.contains("href=\"/complaints\""), "{gone}");
    assert!(gone.contains("class=\"lang-switch\""), "{gone}");
    app.stop().await;
}
