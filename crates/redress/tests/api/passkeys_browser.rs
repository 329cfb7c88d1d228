//! Passkeys in a real browser (`e2e/passkeys.mjs`: headless Chromium with its virtual
//! authenticator, every page checked with axe-core and the Nu HTML Checker), on both
//! databases: a person with a password and a second factor adds a passkey, signs in with it
//! alone, removes it, and is refused with it after. Then what the browser cannot show: the
//! audit trail, the stored passkeys, and hostile answers to the passkey routes.

use chrono::Utc;
use redress_store::{AuditAction, Role};
use redress_testing::{TestDb, on_both_backends};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::browser::{artifacts_dir, run_script};
use crate::{PASSWORD, TestApp, Visitor, client, csrf_in, spawn_app_on, spawn_app_with};

on_both_backends!(
    a_person_adds_a_passkey_signs_in_with_it_alone_and_removes_it_in_a_real_browser,
    hostile_passkey_answers_are_refused_without_harm,
);

/// The code an authenticator app shows for `secret` now.
fn code_now(secret: &str) -> String {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes)
        .unwrap()
        .generate(u64::try_from(Utc::now().timestamp()).unwrap())
}

/// A server at `http://localhost:PORT` (WebAuthn refuses IP addresses), with passkeys; and
/// that address.
async fn at_localhost(db: TestDb) -> (TestApp, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let public = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let app = spawn_app_on(listener, db, &[("REDRESS_PUBLIC_URL", &public)]).await;
    (app, public)
}

async fn last(app: &TestApp, action: AuditAction) -> redress_store::security::AuditEntry {
    app.store
        .audit
        .list(Some(action), None, 1)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("an audit entry")
}

async fn a_person_adds_a_passkey_signs_in_with_it_alone_and_removes_it_in_a_real_browser(
    db: TestDb,
) {
    let backend = if db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let (app, public) = at_localhost(db).await;
    let email = format!("keyholder-{}@staff.example", uuid::Uuid::new_v4().simple());
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let account = app
        .store
        .accounts
        .create(&email, "Kim Keyholder", Role::Agent, &hash)
        .await
        .unwrap();
    let secret = redress_store::two_factor::new_secret();
    app.store
        .two_factor
        .enable(account.id, &secret, 0, Utc::now())
        .await
        .unwrap();

    let dir = artifacts_dir().join(format!("passkeys-{backend}"));
    let run = run_script(
        "passkeys",
        &dir,
        std::slice::from_ref(&public),
        &[
            ("REDRESS_E2E_EMAIL", email.clone()),
            ("REDRESS_E2E_PASSWORD", PASSWORD.to_string()),
            ("REDRESS_E2E_CODE", code_now(&secret)),
            ("REDRESS_E2E_DIR", dir.to_string_lossy().into_owned()),
        ],
        4,
    )
    .await;
    assert!(run.printed("refused").contains("not registered here"));

    // The audit trail tells the story: added, signed in with it, removed, refused.
    let added = last(&app, AuditAction::PasskeyAdded).await;
    assert_eq!(
        (added.target.as_str(), added.detail.as_str()),
        (email.as_str(), "passkey \"Test laptop\"")
    );
    let signed_in = app
        .store
        .audit
        .list(Some(AuditAction::SignIn), None, 10)
        .await
        .unwrap();
    assert_eq!(
        signed_in
            .iter()
            .filter(|e| e.target == email)
            .map(|e| e.detail.as_str())
            .collect::<Vec<_>>(),
        ["passkey \"Test laptop\"", "with a code"],
        "newest first: the passkey, then the password and code"
    );
    assert_eq!(
        last(&app, AuditAction::PasskeyRemoved).await.detail,
        "passkey \"Test laptop\""
    );
    assert!(
        last(&app, AuditAction::SignInFailed)
            .await
            .detail
            .starts_with("passkey: no account has this passkey")
    );
    assert!(app.store.passkeys.of(account.id).await.unwrap().is_empty());
    app.stop().await;
}

async fn hostile_passkey_answers_are_refused_without_harm(db: TestDb) {
    let backend = db.backend;
    let (app, _) = at_localhost(db).await;
    // The server listens on 127.0.0.1; the client reaches it there, as the browser does at
    // localhost.
    let local = app.address.clone();
    let visitor = Visitor {
        address: local.clone(),
        store: app.store.clone(),
        client: client(),
    };
    let page = visitor.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("Sign in with a passkey"));
    let csrf = csrf_in(&page);

    // An answer with no ceremony started: refused in words, as JSON.
    let refused = visitor
        .post_form("/sign-in/passkey", &[("csrf", &csrf), ("credential", "{}")])
        .await;
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("does not belong to a request"),
        "{body}"
    );

    // A ceremony, then garbage, then an answer that names nobody: each refused, the ceremony
    // spent by the first.
    let options = visitor
        .post_form("/sign-in/passkey/options", &[("csrf", &csrf)])
        .await;
    assert_eq!(options.status(), 200);
    let options: serde_json::Value = options.json().await.unwrap();
    assert!(options["publicKey"]["challenge"].is_string(), "{options}");
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    let garbage = visitor
        .post_form(
            "/sign-in/passkey",
            &[("csrf", &csrf), ("credential", "{\"id\": 5, \"\u{0}\": [")],
        )
        .await;
    assert_eq!(garbage.status(), 400);
    let body: serde_json::Value = garbage.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("could not be read")
    );
    let replayed = visitor
        .post_form("/sign-in/passkey", &[("csrf", &csrf), ("credential", "{}")])
        .await;
    assert_eq!(replayed.status(), 400, "the ceremony was taken once");

    // Without the CSRF token: 403 before anything is read.
    let forged = visitor
        .post_form("/sign-in/passkey/options", &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status(), 403);

    // Every refusal was audited and counted; nobody is signed in.
    assert!(
        last(&app, AuditAction::SignInFailed)
            .await
            .detail
            .starts_with("passkey: ")
    );
    assert_eq!(visitor.get("/account").await.status(), 303);

    // Signed in: a registration answered with garbage, a bad name, someone else's passkey id.
    let agent = Visitor {
        address: local.clone(),
        store: app.store.clone(),
        client: client(),
    };
    let me = agent.sign_in_as(Role::Agent).await;
    let account = agent.get("/account").await.text().await.unwrap();
    assert!(account.contains("Add a passkey"));
    let csrf = csrf_in(&account);
    let options = agent
        .post_form("/account/passkeys/options", &[("csrf", &csrf)])
        .await;
    assert_eq!(options.status(), 200);
    let options: serde_json::Value = options.json().await.unwrap();
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(options["publicKey"]["user"]["name"], me.email.as_str());
    let unnamed = agent
        .post_form(
            "/account/passkeys",
            &[("csrf", &csrf), ("name", " "), ("credential", "{}")],
        )
        .await;
    assert_eq!(unnamed.status(), 422);
    let garbage = agent
        .post_form("/account/passkeys/options", &[("csrf", &csrf)])
        .await;
    assert_eq!(garbage.status(), 200);
    let garbage = agent
        .post_form(
            "/account/passkeys",
            &[("csrf", &csrf), ("name", "Laptop"), ("credential", "[1, 2")],
        )
        .await;
    assert_eq!(garbage.status(), 400);
    assert!(app.store.passkeys.of(me.id).await.unwrap().is_empty());
    let unknown = agent
        .post_form(
            &format!("/account/passkeys/{}/remove", uuid::Uuid::new_v4()),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        unknown.status(),
        303,
        "removed already, or not theirs: said so"
    );
    assert_eq!(
        unknown.headers()["location"],
        "/account?done=passkey_gone#passkeys"
    );
    let malformed = agent
        .post_form("/account/passkeys/not-an-id/remove", &[("csrf", &csrf)])
        .await;
    assert_eq!(malformed.status(), 404);

    // A lost device: an admin takes all of someone's passkeys away.
    for (credential, name) in [("lost-1", "Old phone"), ("lost-2", "Old laptop")] {
        app.store
            .passkeys
            .add(me.id, credential, name, "{}", Utc::now())
            .await
            .unwrap()
            .expect("a new credential");
    }
    assert!(
        app.store
            .passkeys
            .add(me.id, "lost-1", "Again", "{}", Utc::now())
            .await
            .unwrap()
            .is_none(),
        "a credential is registered once"
    );
    let admin = Visitor {
        address: local.clone(),
        store: app.store.clone(),
        client: client(),
    };
    admin.sign_in_as(Role::Admin).await;
    let users = admin.get("/admin/users").await.text().await.unwrap();
    assert!(users.contains("Remove 2 passkeys"), "the admin sees them");
    let removed = admin
        .post_form(
            &format!("/admin/users/{}/passkeys/remove", me.id),
            &[("csrf", &csrf_in(&users))],
        )
        .await;
    assert_eq!(removed.status(), 303);
    assert!(app.store.passkeys.of(me.id).await.unwrap().is_empty());
    let entry = last(&app, AuditAction::PasskeyRemoved).await;
    assert_eq!(
        (entry.target.as_str(), entry.detail.as_str()),
        (me.email.as_str(), "all 2 removed by an admin")
    );
    let forbidden = agent
        .post_form(
            &format!("/admin/users/{}/passkeys/remove", me.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(forbidden.status(), 403, "an agent cannot");
    app.stop().await;

    // At an IP address, passkeys are not offered, and their routes do not exist.
    let other = TestDb::new(backend).await;
    let ip = spawn_app_with(other, &[]).await;
    let visitor = Visitor {
        address: ip.address.clone(),
        store: ip.store.clone(),
        client: client(),
    };
    let page = visitor.get("/sign-in").await.text().await.unwrap();
    assert!(!page.contains("Sign in with a passkey"));
    let csrf = csrf_in(&page);
    assert_eq!(
        visitor
            .post_form("/sign-in/passkey/options", &[("csrf", &csrf)])
            .await
            .status(),
        404
    );
    visitor.sign_in_as(Role::Agent).await;
    let account = visitor.get("/account").await.text().await.unwrap();
    assert!(account.contains("Passkeys need Redress at a domain name"));
    ip.stop().await;
}
