use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{PASSWORD, client, csrf_in, spawn_app};

on_both_backends!(
    a_signed_out_visitor_sees_nothing_and_is_sent_to_sign_in,
    staff_sign_in_with_a_session_cookie_and_sign_out_ends_it,
    wrong_passwords_are_refused_and_repeated_failures_lock_the_address,
    forms_without_the_sessions_csrf_token_are_refused,
    a_deactivated_account_cannot_sign_in_and_its_open_session_ends,
    an_oversized_or_malformed_form_gets_a_clear_error,
    after_signing_in_only_a_path_on_this_site_is_followed,
    addresses_people_type_and_reload_lead_somewhere,
);

/// `/login` and `/admin`, which people type, lead to the sign-in and admin pages; a refused
/// action's address reloaded (a GET) goes back to the complaint instead of answering 405.
async fn addresses_people_type_and_reload_lead_somewhere(db: TestDb) {
    let app = spawn_app(db).await;
    let login = app.get("/login").await;
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/sign-in");
    let admin = app.get("/admin").await;
    assert_eq!(admin.status(), 303);
    assert_eq!(admin.headers()["location"], "/admin/users");
    app.sign_in_as(Role::Agent).await;
    let reference = crate::conversation::complaint(&app, "ana@example.ro").await;
    let reloaded = app
        .get(&format!("/complaints/{reference}/commit_to_action"))
        .await;
    assert_eq!(reloaded.status(), 303);
    assert_eq!(
        reloaded.headers()["location"],
        format!("/complaints/{reference}").as_str()
    );
    app.stop().await;
}

/// `next` (after signing in) goes only to a path of this site: not `//evil.example`, not
/// `/\t/evil.example` (browsers drop the tab), and a line break in it is ignored, never a 5xx.
async fn after_signing_in_only_a_path_on_this_site_is_followed(db: TestDb) {
    let app = spawn_app(db).await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .accounts
        .create("eva@staff.example", "Eva", Role::Agent, &hash)
        .await
        .unwrap();
    for (next, expected) in [
        ("/complaints?status=closed", "/complaints?status=closed"),
        ("/\t/evil.example", "/complaints"),
        ("/\n/evil.example", "/complaints"),
        ("//evil.example", "/complaints"),
        ("/\\evil.example", "/complaints"),
        ("/x\r\nSet-Cookie: stolen=1", "/complaints"),
        ("https://evil.example/", "/complaints"),
    ] {
        let visitor = app.another_visitor();
        // The sign-in page carries it (its hidden field), escaped or replaced.
        let page = visitor
            .get(&format!(
                "/sign-in?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            ))
            .await;
        assert_eq!(page.status(), 200, "{next:?}");
        let html = page.text().await.unwrap();
        let response = visitor
            .post_form(
                "/sign-in",
                &[
                    ("email", "eva@staff.example"),
                    ("password", PASSWORD),
                    ("csrf", &csrf_in(&html)),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "{next:?}");
        assert_eq!(response.headers()["location"], expected, "{next:?}");
    }
    app.stop().await;
}

async fn a_signed_out_visitor_sees_nothing_and_is_sent_to_sign_in(db: TestDb) {
    let app = spawn_app(db).await;
    let response = app.get("/complaints?page=2").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/sign-in?next=%2Fcomplaints%3Fpage%3D2"
    );
    let page = app.get("/sign-in").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<label for=\"email\">Email address</label>"));
    assert!(!html.contains("Sign out"));
    app.stop().await;
}

async fn staff_sign_in_with_a_session_cookie_and_sign_out_ends_it(db: TestDb) {
    let app = spawn_app(db).await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .accounts
        .create("Ana@Staff.example", "Ana Agent", Role::Agent, &hash)
        .await
        .unwrap();
    let response = app.sign_in("ana@staff.example", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/complaints");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .find(|c| c.starts_with("redress_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains("ana@staff.example"),
        "the cookie is readable: {cookie}"
    );

    let page = app.get("/complaints").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Ana Agent"));

    let signed_out = app
        .post_form("/sign-out", &[("csrf", &csrf_in(&html))])
        .await;
    assert_eq!(signed_out.status(), 303);
    assert_eq!(signed_out.headers()["location"], "/sign-in");
    assert_eq!(app.get("/complaints").await.status(), 303);
    app.stop().await;
}

async fn wrong_passwords_are_refused_and_repeated_failures_lock_the_address(db: TestDb) {
    let app = spawn_app(db).await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .accounts
        .create("ion@staff.example", "Ion", Role::Manager, &hash)
        .await
        .unwrap();
    let unknown = app.sign_in("nobody@staff.example", PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    for _ in 0..redress_web::auth::MAX_FAILURES {
        let wrong = app.sign_in("ion@staff.example", "not the password").await;
        assert_eq!(wrong.status(), 401);
        let html = wrong.text().await.unwrap();
        assert!(html.contains("The email address or the password is not right."));
        assert!(
            html.contains("value=\"ion@staff.example\""),
            "the address is kept"
        );
    }
    // Now even the right password is refused for a while.
    let locked = app.sign_in("ion@staff.example", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins")
    );
    assert_eq!(app.get("/complaints").await.status(), 303);
    // Other addresses are not affected.
    app.sign_in_as(Role::Agent).await;
    app.stop().await;
}

async fn forms_without_the_sessions_csrf_token_are_refused(db: TestDb) {
    let app = spawn_app(db).await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .accounts
        .create("eva@staff.example", "Eva", Role::Admin, &hash)
        .await
        .unwrap();
    // A sign-in form posted from elsewhere: no token, or another session's token.
    let stranger = client();
    let other_page = stranger
        .get(format!("{}/sign-in", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let foreign_token = csrf_in(&other_page);
    for token in ["", "forged", foreign_token.as_str()] {
        let response = app
            .post_form(
                "/sign-in",
                &[
                    ("email", "eva@staff.example"),
                    ("password", PASSWORD),
                    ("csrf", token),
                ],
            )
            .await;
        assert_eq!(response.status(), 403, "token {token:?} was accepted");
        assert!(response.text().await.unwrap().contains("Form expired"));
    }
    let missing = app
        .post_form(
            "/sign-in",
            &[("email", "eva@staff.example"), ("password", PASSWORD)],
        )
        .await;
    // No token at all is refused as a wrong one is: 403, the same page.
    assert_eq!(missing.status(), 403);
    assert!(missing.text().await.unwrap().contains("Form expired"));
    assert_eq!(
        app.get("/complaints").await.status(),
        303,
        "signed in without a token"
    );

    app.sign_in("eva@staff.example", PASSWORD).await;
    let refused = app.post_form("/sign-out", &[("csrf", "forged")]).await;
    assert_eq!(refused.status(), 403);
    // Every form, without its token field: 403, never a 400 about a missing field.
    let reference = crate::conversation::complaint(&app, "ana@example.ro").await;
    let page = format!("/complaints/{reference}");
    for (path, fields) in [
        ("/sign-out".to_string(), vec![]),
        ("/admin/retention".to_string(), vec![("days", "30")]),
        (
            format!("{page}/record_communication"),
            vec![
                ("direction", "outbound"),
                ("channel", "phone"),
                ("summary", "Called back"),
            ],
        ),
        (format!("{page}/change_priority"), vec![("priority", "low")]),
        (format!("{page}/acknowledge"), vec![("apology", "Sorry")]),
        ("/companies".to_string(), vec![("name", "Contoso")]),
        (
            "/admin/users".to_string(),
            vec![("email", "x@staff.example")],
        ),
        ("/complaints/new".to_string(), vec![("name", "Ana")]),
    ] {
        let response = app.post_form(&path, &fields).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 403, "{path} without a token: {text}");
        assert!(text.contains("Form expired"), "{path}: {text}");
    }
    assert_eq!(
        app.store
            .complaints
            .events_of(&reference)
            .await
            .unwrap()
            .len(),
        2,
        "the receipt and its team, nothing more"
    );
    assert_eq!(
        app.get("/complaints").await.status(),
        200,
        "signed out by a forged form"
    );
    app.stop().await;
}

async fn a_deactivated_account_cannot_sign_in_and_its_open_session_ends(db: TestDb) {
    let app = spawn_app(db).await;
    let account = app.sign_in_as(Role::Agent).await;
    assert_eq!(app.get("/complaints").await.status(), 200);
    app.store
        .accounts
        .set_active(account.id, false)
        .await
        .unwrap();
    assert_eq!(
        app.get("/complaints").await.status(),
        303,
        "the session outlived deactivation"
    );
    let refused = app.sign_in(&account.email, crate::PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("deactivated"));
    app.stop().await;
}

async fn an_oversized_or_malformed_form_gets_a_clear_error(db: TestDb) {
    let app = spawn_app(db).await;
    let huge = "x".repeat(redress_web::MAX_FORM_BYTES + 1);
    let response = app
        .post_form(
            "/sign-in",
            &[("email", &huge), ("password", "p"), ("csrf", "t")],
        )
        .await;
    assert_eq!(response.status(), 413);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("The form is larger than 256 KB")
    );
    let garbage = app
        .client
        .post(format!("{}/sign-in", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x00])
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    app.stop().await;
}

/// Several instances share one PostgreSQL: a session signed in on one is accepted by another,
/// because the session key lives in the database, and signing out on the second ends it on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_from_one_instance_is_accepted_by_another_on_the_same_database() {
    let app = spawn_app(TestDb::postgres().await).await;
    let account = app.sign_in_as(Role::Agent).await;
    let settings = crate::settings_for(&app.db);
    let store = redress::open_store(&settings).await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let second = redress::start(listener, store, &settings).await.unwrap();
    let other = format!("http://{}", second.address);

    let page = app
        .client
        .get(format!("{other}/complaints"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        200,
        "the second instance refused the session"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(&account.name));

    let signed_out = app
        .client
        .post(format!("{other}/sign-out"))
        .form(&[("csrf", csrf_in(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303);
    assert_eq!(
        app.get("/complaints").await.status(),
        303,
        "still signed in on the first"
    );
    second.stop().await.unwrap();
    app.stop().await;
}
