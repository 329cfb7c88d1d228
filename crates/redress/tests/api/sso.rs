//! Single sign-on against a real OpenID Connect provider: `e2e/oidc_provider.mjs`, the
//! OpenID-certified `oidc-provider` package on Node.js, with PKCE required. The test follows
//! the redirects a browser would (the client keeps the cookies of both sites), signs in as the
//! `login_hint` it adds, and makes the provider misbehave by that hint's prefix (another
//! nonce, an expired token, another client's token, a forged signature, an unverified
//! address). Every refusal is a page that says what went wrong, is audited, and signs nobody
//! in and creates nothing.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use redress_store::{AuditAction, Role};
use redress_testing::{TestDb, on_both_backends};

use crate::{PASSWORD, TestApp, Visitor, client, csrf_in, spawn_app_on};

on_both_backends!(
    people_sign_in_with_the_company_provider_and_every_wrong_answer_is_refused,
    passwords_can_be_turned_off_for_all_but_the_break_glass_admin,
);

/// The provider, until dropped.
pub(crate) struct Provider {
    child: Child,
    /// Its issuer URL.
    pub(crate) issuer: String,
}

impl Provider {
    /// Starts the provider with `redirects` registered for the client `redress`.
    pub(crate) fn start(redirects: &[String]) -> Self {
        let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut child = Command::new("node")
            .arg("e2e/oidc_provider.mjs")
            .args(redirects)
            .current_dir(&workspace)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs e2e/oidc_provider.mjs (scripts/test installs e2e/'s packages)");
        let stdout = child.stdout.take().expect("the provider's output");
        let mut output = BufReader::new(stdout);
        let mut line = String::new();
        output
            .read_line(&mut line)
            .expect("the provider says where it listens");
        // What it says later is read and dropped: a closed pipe would stop it.
        std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::sink()));
        let issuer = line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
            .trim()
            .to_string();
        Self { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port for an application, and the redirect address the provider must know for it.
pub(crate) fn reserve() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    (listener, address)
}

async fn app_with_sso(
    db: TestDb,
    listener: TcpListener,
    address: &str,
    provider: &Provider,
    extra: &[(&str, &str)],
) -> TestApp {
    let mut settings = vec![
        ("REDRESS_PUBLIC_URL", address),
        ("REDRESS_SSO_ISSUER", provider.issuer.as_str()),
        ("REDRESS_SSO_CLIENT_ID", "redress"),
        ("REDRESS_SSO_CLIENT_SECRET", "redress-test-secret"),
        ("REDRESS_SSO_NAME", "Example Corp"),
    ];
    settings.extend_from_slice(extra);
    spawn_app_on(listener, db, &settings).await
}

/// A new browser on `app`.
fn browser(app: &TestApp) -> Visitor {
    Visitor {
        address: app.address.clone(),
        store: app.store.clone(),
        client: client(),
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, not {}", response.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// Clicks "Sign in with Example Corp" and follows the provider's redirects as `login`, until
/// the provider sends the browser back: the address it sends it to.
async fn to_callback(visitor: &Visitor, provider: &Provider, login: &str) -> String {
    let start = visitor
        .get("/sign-in/sso?next=/complaints%3Fmine%3D1")
        .await;
    assert_eq!(start.status(), 303);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&format!("{}/auth?", provider.issuer)),
        "{authorize}"
    );
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "scope=openid",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let mut url = format!(
        "{authorize}&login_hint={}",
        percent_encoding::utf8_percent_encode(login, percent_encoding::NON_ALPHANUMERIC)
    );
    for _ in 0..10 {
        let response = visitor.client.get(&url).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "the provider answered {} at {url}",
            response.status()
        );
        let next = location(&response);
        let next = if next.starts_with('/') {
            format!("{}{next}", provider.issuer)
        } else {
            next
        };
        if next.starts_with(&visitor.address) {
            return next;
        }
        url = next;
    }
    panic!("the provider never sent the browser back");
}

/// Follows the provider's answer back into Redress.
async fn answer(visitor: &Visitor, callback: &str) -> reqwest::Response {
    visitor.client.get(callback).send().await.unwrap()
}

async fn signed_in(visitor: &Visitor) -> bool {
    visitor.get("/account").await.status() == 200
}

/// The latest audit entry of `action`.
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

async fn people_sign_in_with_the_company_provider_and_every_wrong_answer_is_refused(db: TestDb) {
    let (listener, address) = reserve();
    let provider = Provider::start(&[format!("{address}/sign-in/sso/callback")]);
    let app = app_with_sso(
        db,
        listener,
        &address,
        &provider,
        &[("REDRESS_SSO_NEW_ACCOUNTS", "agent")],
    )
    .await;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let alice = format!("alice-{unique}@staff.example");
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let account = app
        .store
        .accounts
        .create(&alice, "Alice Agent", Role::Agent, &hash)
        .await
        .unwrap();

    // The sign-in page offers the provider beside the password form.
    let visitor = browser(&app);
    let page = visitor.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("Sign in with Example Corp"), "{page}");
    assert!(page.contains("href=\"/sign-in/sso?next="), "{page}");

    // Alice signs in with the provider, and lands where she was going.
    let callback = to_callback(&visitor, &provider, &alice).await;
    assert!(callback.contains("code=") && callback.contains("state="));
    let back = answer(&visitor, &callback).await;
    assert_eq!(back.status(), 303, "{:?}", back.text().await);
    assert_eq!(location(&back), "/complaints?mine=1");
    assert!(signed_in(&visitor).await);
    let entry = last(&app, AuditAction::SignIn).await;
    assert_eq!(entry.target, alice);
    assert_eq!(entry.detail, "single sign-on");

    // The same answer again (a replay, even in the browser that got it) is refused.
    let again = answer(&visitor, &callback).await;
    assert_eq!(again.status(), 400);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("does not belong to a sign-in started")
    );

    // Someone the provider vouches for, without an account: one is made (agent, single
    // sign-on only), and they are in.
    let newcomer = format!("new.comer-{unique}@staff.example");
    let visitor = browser(&app);
    let callback = to_callback(&visitor, &provider, &newcomer).await;
    assert_eq!(answer(&visitor, &callback).await.status(), 303);
    assert!(signed_in(&visitor).await);
    let (made, _) = app
        .store
        .accounts
        .credentials(&newcomer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(made.role, Role::Agent);
    assert!(made.sso_only);
    assert!(
        made.name.starts_with("new comer "),
        "the name the provider gave: {}",
        made.name
    );
    let created = last(&app, AuditAction::AccountCreated).await;
    assert_eq!(created.target, newcomer);

    // Each wrong answer: a page that says why, an audit entry, nobody signed in, no account.
    let refusals: [(&str, u16, &str, &str); 5] = [
        (
            "nonce",
            401,
            "was issued for another sign-in",
            "the ID token's nonce is not this sign-in's",
        ),
        ("expired", 401, "has expired", "the ID token has expired"),
        (
            "audience",
            401,
            "was issued to another application",
            "the ID token was issued to another client",
        ),
        (
            "tampered",
            401,
            "could not be verified",
            "the ID token's signature does not verify",
        ),
        (
            "unverified",
            403,
            "has not verified the address",
            "the provider has not verified the address",
        ),
    ];
    for (mode, status, says, audited) in refusals {
        let email = format!("{mode}-{unique}@staff.example");
        let visitor = browser(&app);
        let callback = to_callback(&visitor, &provider, &format!("{mode}:{email}")).await;
        let refused = answer(&visitor, &callback).await;
        assert_eq!(refused.status(), status, "{mode}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(says), "{mode}: {page}");
        assert!(!signed_in(&visitor).await, "{mode}: nobody is signed in");
        assert!(
            app.store
                .accounts
                .credentials(&email)
                .await
                .unwrap()
                .is_none(),
            "{mode}: no account is made"
        );
        let entry = last(&app, AuditAction::SignInFailed).await;
        assert!(
            entry
                .detail
                .starts_with(&format!("single sign-on: {audited}")),
            "{mode}: {}",
            entry.detail
        );
    }

    // A wrong state: the answer is not used (and its code is not spent on it).
    let visitor = browser(&app);
    let callback = to_callback(&visitor, &provider, &alice).await;
    let forged = callback.replace("state=", "state=forged");
    let refused = answer(&visitor, &forged).await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("does not match the sign-in this browser started")
    );
    assert!(!signed_in(&visitor).await);
    assert!(
        last(&app, AuditAction::SignInFailed)
            .await
            .detail
            .contains("the state does not match")
    );

    // The provider's own refusal (the person said no) is shown in its words.
    let visitor = browser(&app);
    let start = visitor.get("/sign-in/sso").await;
    let authorize = location(&start);
    let state = authorize
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_string();
    let refused = visitor
        .get(&format!(
            "/sign-in/sso/callback?error=access_denied&error_description=End-User+aborted&state={state}"
        ))
        .await;
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("access_denied End-User aborted")
    );

    // An answer without any sign-in started in this browser.
    let stranger = browser(&app);
    let refused = stranger.get("/sign-in/sso/callback?code=x&state=y").await;
    assert_eq!(refused.status(), 400);

    // An admin limits Alice to single sign-on: her password no longer signs her in (and says
    // why), the provider still does.
    let admin = browser(&app);
    admin.sign_in_as(Role::Admin).await;
    let users = admin.get("/admin/users").await.text().await.unwrap();
    let limited = admin
        .post_form(
            &format!("/admin/users/{}/sso-only", account.id),
            &[("csrf", &csrf_in(&users)), ("sso_only", "true")],
        )
        .await;
    assert_eq!(limited.status(), 303);
    assert_eq!(
        last(&app, AuditAction::SsoOnlyChanged).await.detail,
        "single sign-on only"
    );
    let visitor = browser(&app);
    let refused = visitor.sign_in(&alice, PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("signs in only with single sign-on")
    );
    let callback = to_callback(&visitor, &provider, &alice).await;
    assert_eq!(answer(&visitor, &callback).await.status(), 303);
    assert!(signed_in(&visitor).await);
    // A forgotten-password link would be no use to her: none is sent (the page answers as
    // for anyone).
    let page = visitor.get("/forgot-password").await.text().await.unwrap();
    let asked = visitor
        .post_form(
            "/forgot-password",
            &[("csrf", &csrf_in(&page)), ("email", &alice)],
        )
        .await;
    assert_eq!(asked.status(), 303);
    assert_eq!(
        last(&app, AuditAction::PasswordResetAsked).await.detail,
        "not sent: a password does not sign this account in (single sign-on)"
    );
    app.stop().await;
}

async fn passwords_can_be_turned_off_for_all_but_the_break_glass_admin(db: TestDb) {
    let (listener, address) = reserve();
    let provider = Provider::start(&[format!("{address}/sign-in/sso/callback")]);
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let keeper = format!("keeper-{unique}@staff.example");
    let app = app_with_sso(
        db,
        listener,
        &address,
        &provider,
        &[
            ("REDRESS_PASSWORD_SIGN_IN", "false"),
            ("REDRESS_BREAK_GLASS_ADMIN", &keeper),
        ],
    )
    .await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let agent = format!("agent-{unique}@staff.example");
    for (email, role) in [(&keeper, Role::Admin), (&agent, Role::Agent)] {
        app.store
            .accounts
            .create(email, "Someone", role, &hash)
            .await
            .unwrap();
    }
    let visitor = browser(&app);
    let page = visitor.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("Emergency sign-in with a password"), "{page}");
    assert!(
        !page.contains("/forgot-password"),
        "no reset links when passwords are off"
    );

    // The agent's right password is refused before it is even checked.
    let refused = visitor.sign_in(&agent, PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Passwords do not sign in here")
    );
    assert_eq!(
        last(&app, AuditAction::SignInFailed).await.detail,
        "password sign-in is turned off"
    );
    assert!(!signed_in(&visitor).await);

    // The break-glass admin's password still works.
    assert_eq!(visitor.sign_in(&keeper, PASSWORD).await.status(), 303);
    assert!(signed_in(&visitor).await);

    // The agent signs in with the provider; someone without an account is refused (this
    // installation makes none).
    let visitor = browser(&app);
    let callback = to_callback(&visitor, &provider, &agent).await;
    assert_eq!(answer(&visitor, &callback).await.status(), 303);
    assert!(signed_in(&visitor).await);
    let stranger = format!("stranger-{unique}@staff.example");
    let visitor = browser(&app);
    let callback = to_callback(&visitor, &provider, &stranger).await;
    let refused = answer(&visitor, &callback).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("There is no Redress account for")
    );
    assert!(
        app.store
            .accounts
            .credentials(&stranger)
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}
