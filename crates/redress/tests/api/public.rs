//! The public complaint form, over HTTP, with no account.

use redress_store::testing::TestDb;
use redress_store::{Role, on_both_backends};

use crate::{Visitor, csrf_in, spawn_app};

on_both_backends!(
    anyone_can_complain_and_gets_a_reference_on_screen_and_by_email,
    mistakes_are_shown_beside_their_fields_and_nothing_is_written,
    bots_and_floods_are_kept_out_without_a_third_party,
);

fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/").replace("&#x27;", "'")
}

async fn send(visitor: &Visitor, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = visitor.get("/complain").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    visitor.post_form("/complain", &form).await
}

const GOOD: &[(&str, &str)] = &[
    ("name", "Ion Popescu"),
    ("email", "ion@example.ro"),
    ("category", "Delivery"),
    ("summary", "Coletul a ajuns deteriorat"),
    ("description", "Cutia era ruptă și telefonul zgâriat."),
    ("remedy", "Un telefon nou"),
    ("language", "ro"),
    ("website", ""),
];

async fn event_count(app: &crate::TestApp) -> i64 {
    app.store.projections.event_count().await.unwrap() as i64
}

async fn anyone_can_complain_and_gets_a_reference_on_screen_and_by_email(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let page = app.get("/complain").await;
    assert_eq!(page.status(), 200, "no sign-in needed");
    let response = send(&app, GOOD).await;
    assert_eq!(response.status(), 303);
    let location = unescape(response.headers()["location"].to_str().unwrap());
    let reference = location
        .split("reference=")
        .nth(1)
        .expect("the reference in the address")
        .to_string();
    let thanks = unescape(&app.get(&location).await.text().await.unwrap());
    assert!(thanks.contains(&reference) && thanks.contains("Thank you for telling us"));

    app.store.projections.run_until_idle().await.unwrap();
    let row = app
        .store
        .complaint_list
        .get(&reference)
        .await
        .unwrap()
        .expect("the complaint is in the list");
    assert_eq!(row.channel, "web_form");
    assert_eq!(row.language, "ro");
    assert_eq!(row.customer_name.as_deref(), Some("Ion Popescu"));
    // The receipt, in Romanian, is on its way.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let file = dir.join(format!("{reference}.1.receipt.eml"));
    while !file.exists() {
        assert!(std::time::Instant::now() < deadline, "no receipt written");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let raw = std::fs::read(&file).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("Am primit reclamația")
    );

    // Staff see it in the queue, from the customer.
    app.sign_in_as(Role::Agent).await;
    let page = app
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Complaint received (Web form)"));
    app.stop().await;
}

async fn mistakes_are_shown_beside_their_fields_and_nothing_is_written(db: TestDb) {
    let app = spawn_app(db).await;
    let before = event_count(&app).await;
    let mut fields = GOOD.to_vec();
    fields[1] = ("email", "not an address");
    fields[2] = ("category", "Aliens");
    let response = send(&app, &fields).await;
    assert_eq!(response.status(), 422);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("id=\"email-error\"") && html.contains("id=\"category-error\""));
    assert!(
        html.contains("value=\"Ion Popescu\""),
        "what they wrote is kept"
    );
    assert!(html.contains("Cutia era ruptă și telefonul zgâriat."));
    // A domain refusal, in the visitor's words.
    let mut fields = GOOD.to_vec();
    fields[0] = ("name", "   ");
    let response = send(&app, &fields).await;
    assert_eq!(response.status(), 422);
    let html = unescape(&response.text().await.unwrap());
    assert!(
        html.contains("id=\"name-error\"") && html.contains("Your name"),
        "{html}"
    );
    // No CSRF token, or a huge body: refused before anything is read.
    let response = app.post_form("/complain", GOOD).await;
    assert_eq!(response.status(), 403);
    let huge = "x".repeat(redress_web::MAX_FORM_BYTES + 1);
    let mut fields = GOOD.to_vec();
    fields[4] = ("description", &huge);
    assert_eq!(send(&app, &fields).await.status(), 413);
    assert_eq!(event_count(&app).await, before, "nothing was written");
    app.stop().await;
}

async fn bots_and_floods_are_kept_out_without_a_third_party(db: TestDb) {
    let app = spawn_app(db).await;
    // A bot fills in the hidden field: it is thanked, and nothing is written.
    let mut fields = GOOD.to_vec();
    fields[7] = ("website", "http://spam.example");
    let response = send(&app, &fields).await;
    assert_eq!(response.status(), 303);
    assert_eq!(event_count(&app).await, 0);
    // One address may file five an hour; the sixth is refused with a clear reason.
    for i in 0..redress_web::public::MAX_PER_WINDOW {
        let email = format!("person{i}@example.com");
        let mut fields = GOOD.to_vec();
        fields[1] = ("email", &email);
        assert_eq!(send(&app, &fields).await.status(), 303);
    }
    let written = event_count(&app).await;
    let response = send(&app, GOOD).await;
    assert_eq!(response.status(), 429);
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("try again later"), "{html}");
    assert!(html.contains("value=\"Ion Popescu\""), "the form is kept");
    assert_eq!(event_count(&app).await, written);
    app.stop().await;
}
