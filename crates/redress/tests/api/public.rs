//! The public complaint form, over HTTP, with no account.

use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{Visitor, csrf_in, spawn_app};

on_both_backends!(
    anyone_can_complain_and_gets_a_reference_on_screen_and_by_email,
    mistakes_are_shown_beside_their_fields_and_nothing_is_written,
    bots_and_floods_are_kept_out_without_a_third_party,
    the_same_form_sent_twice_files_one_complaint_and_says_where_it_is,
);

/// A double click or a resent request: the second submission of the same page's form files
/// nothing, sends no second receipt, and lands on the first complaint's reference. A
/// refused form can be corrected and sent with the same page's token.
async fn the_same_form_sent_twice_files_one_complaint_and_says_where_it_is(db: TestDb) {
    let app = spawn_app(db).await;
    let page = app.get("/complain?lang=ro").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries a one-time token")
        .to_string();
    let mut form = vec![("csrf", csrf.as_str()), ("form_token", token.as_str())];
    // Refused first (no summary): the token is given back for the corrected form.
    let without_summary: Vec<(&str, &str)> = GOOD
        .iter()
        .copied()
        .filter(|(k, _)| *k != "summary")
        .collect();
    let mut refused = form.clone();
    refused.extend_from_slice(&without_summary);
    let answer = app.post_multipart("/complain", &refused, &[]).await;
    assert_eq!(answer.status(), 422);
    assert!(
        answer.text().await.unwrap().contains(&token),
        "the same token, kept"
    );
    form.extend_from_slice(GOOD);
    let before = event_count(&app).await;
    let first = app.post_multipart("/complain", &form, &[]).await;
    assert_eq!(first.status(), 303);
    let first = first.headers()["location"].to_str().unwrap().to_string();
    let reference = first
        .split("reference=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .unwrap()
        .to_string();
    let filed = event_count(&app).await;
    assert!(filed > before);
    let again = app.post_multipart("/complain", &form, &[]).await;
    assert_eq!(again.status(), 303);
    let again = again.headers()["location"].to_str().unwrap().to_string();
    assert!(again.contains(&format!("reference={reference}")), "{again}");
    assert!(again.contains("again=1"), "{again}");
    assert_eq!(event_count(&app).await, filed, "nothing filed twice");
    let thanks = app.get(&again).await.text().await.unwrap();
    assert!(
        thanks.contains("Acest formular fusese deja trimis"),
        "{thanks}"
    );
    assert!(thanks.contains(&reference));
    app.store.projections.run_until_idle().await.unwrap();
    let receipts = app
        .store
        .outbox
        .of_complaint(&reference)
        .await
        .unwrap()
        .iter()
        .filter(|row| row.kind == "receipt")
        .count();
    assert_eq!(receipts, 1, "one receipt");
    app.stop().await;
}

fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/").replace("&#x27;", "'")
}

async fn send(visitor: &Visitor, fields: &[(&str, &str)]) -> reqwest::Response {
    send_with_files(visitor, fields, &[]).await
}

/// The form as a browser sends it: with its files (a form with files).
async fn send_with_files(
    visitor: &Visitor,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> reqwest::Response {
    let page = visitor.get("/complain").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    visitor.post_multipart("/complain", &form, files).await
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
    let english = page.text().await.unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains("Make a complaint"));
    // A Romanian browser gets the form in Romanian; the switch offers the others.
    let romanian = app
        .client
        .get(format!("{}/complain", app.address))
        .header("accept-language", "ro-RO,ro;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(romanian.contains("<html lang=\"ro\">"), "{romanian}");
    assert!(romanian.contains("Trimiteți o reclamație"));
    assert!(
        romanian.contains("hreflang=\"zh\""),
        "a switch to the others"
    );
    assert!(!romanian.contains("Make a complaint"));
    let chinese = app.get("/complain?lang=zh").await.text().await.unwrap();
    assert!(chinese.contains("<html lang=\"zh\">") && chinese.contains("提交投诉"));
    // With a photo of the damage.
    let photo: &[u8] = b"\x89PNG\r\n\x1a\n a photo of the parcel";
    let response = send_with_files(&app, GOOD, &[("files", "colet.png", "image/png", photo)]).await;
    assert_eq!(response.status(), 303);
    let location = unescape(response.headers()["location"].to_str().unwrap());
    let reference = location
        .split("reference=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the reference in the address")
        .to_string();
    let thanks = unescape(&app.get(&location).await.text().await.unwrap());
    assert!(thanks.contains(&reference), "{thanks}");
    assert!(
        thanks.contains("Vă mulțumim că ne-ați spus"),
        "in their language: {thanks}"
    );
    assert!(thanks.contains("<html lang=\"ro\">"));
    // Switching the language keeps the reference on the page.
    assert!(
        thanks.contains(&format!("href=\"?reference={reference}&amp;lang=en\"")),
        "{thanks}"
    );

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
    app.settle().await;
    let file = dir.join(format!("{reference}.1.receipt.eml"));
    let raw = std::fs::read(&file).expect("the receipt is written");
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
    assert!(page.contains("Files added") && page.contains("colet.png"));
    let file = page
        .split("href=\"/files/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the file");
    let download = app.get(&format!("/files/{file}")).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), photo);
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
    // No CSRF token, or a huge body: refused before anything is read. A body that is not a
    // form with files: refused as one no browser sends.
    let response = app.post_multipart("/complain", GOOD, &[]).await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.post_form("/complain", GOOD).await.status(), 400);
    let huge = "x".repeat(redress_web::MAX_FORM_BYTES + 1);
    let mut fields = GOOD.to_vec();
    fields[4] = ("description", &huge);
    assert_eq!(send(&app, &fields).await.status(), 413);
    // A file over the limit, or too many files: said beside the files, nothing written.
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let response = send_with_files(
        &app,
        GOOD,
        &[("files", "scan.pdf", "application/pdf", &big)],
    )
    .await;
    assert_eq!(response.status(), 413);
    let html = unescape(&response.text().await.unwrap());
    assert!(
        html.contains("id=\"files-error\"") && html.contains("scan.pdf"),
        "{html}"
    );
    let small: &[u8] = b"a";
    let six: Vec<(&str, &str, &str, &[u8])> = (0..6)
        .map(|_| ("files", "a.txt", "text/plain", small))
        .collect();
    let response = send_with_files(&app, GOOD, &six).await;
    assert_eq!(response.status(), 422);
    assert!(unescape(&response.text().await.unwrap()).contains("at most 5 files"));
    // Every mistake at once: a bad address, no category and an empty description together.
    let mut fields = GOOD.to_vec();
    fields[1] = ("email", "nope");
    fields[2] = ("category", "");
    fields[4] = ("description", " ");
    let html = unescape(&send(&app, &fields).await.text().await.unwrap());
    for field in ["email", "category", "description"] {
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{field}: {html}"
        );
    }
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
