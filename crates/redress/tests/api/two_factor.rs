//! Two-factor sign-in over HTTP, on both databases: the codes are computed by the test from
//! the shared secret the setup page shows (RFC 6238, as an authenticator app does); each is
//! accepted once, a stale one never; recovery codes work once; wrong codes count toward the
//! sign-in limits; admins require it per role and reset a lost one.

use chrono::{DateTime, Duration, Utc};
use redress_domain::{Clock, ManualClock};
use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::{PASSWORD, Visitor, csrf_in, spawn_app_on_clock};

on_both_backends!(
    a_person_turns_on_a_second_factor_and_each_code_signs_in_once,
    admins_require_a_second_factor_of_a_role_and_reset_a_lost_one,
    hostile_codes_are_refused_without_harm_and_a_code_for_another_account_is_useless,
);

/// The code an authenticator app shows for `secret` at `at`.
fn code(secret: &str, at: DateTime<Utc>) -> String {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes)
        .unwrap()
        .generate(u64::try_from(at.timestamp()).unwrap())
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {html}"))
        + start.len();
    &html[from..from + html[from..].find(end).unwrap()]
}

/// Sets up the second factor from `/account/two-factor`; returns the secret and the
/// recovery codes.
async fn set_up(visitor: &Visitor, clock: &ManualClock) -> (String, Vec<String>) {
    let page = visitor
        .get("/account/two-factor")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "the QR code is drawn here");
    let secret = between(&page, "id=\"totp-secret\">", "<").to_string();
    let csrf = csrf_in(&page);
    let wrong = visitor
        .post_form(
            "/account/two-factor",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That code does not match")
    );
    let confirmed = visitor
        .post_form(
            "/account/two-factor",
            &[("csrf", &csrf), ("code", &code(&secret, clock.now()))],
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let page = confirmed.text().await.unwrap();
    let list = between(&page, "id=\"recovery-codes\">", "</ul>");
    let codes: Vec<String> = list
        .split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10, "{page}");
    (secret, codes)
}

async fn sign_out(visitor: &Visitor) {
    let page = visitor.get("/account").await.text().await.unwrap();
    let out = visitor
        .post_form("/sign-out", &[("csrf", &csrf_in(&page))])
        .await;
    assert_eq!(out.status(), 303);
}

/// Signs in with the password, then gives `second`; returns the answer to the code.
async fn sign_in_with(visitor: &Visitor, email: &str, second: &str) -> reqwest::Response {
    let password = visitor.sign_in(email, PASSWORD).await;
    assert_eq!(password.status(), 303);
    assert_eq!(password.headers()["location"], "/sign-in/code");
    let page = visitor.get("/sign-in/code").await.text().await.unwrap();
    visitor
        .post_form(
            "/sign-in/code",
            &[("csrf", &csrf_in(&page)), ("code", second)],
        )
        .await
}

async fn a_person_turns_on_a_second_factor_and_each_code_signs_in_once(db: TestDb) {
    let clock = ManualClock::at(Utc::now());
    let app = spawn_app_on_clock(db, clock.clone()).await;
    let agent = app.sign_in_as(Role::Agent).await;
    let (secret, recovery) = set_up(&app, &clock).await;
    sign_out(&app).await;

    // The password alone starts no session.
    let password = app.sign_in(&agent.email, PASSWORD).await;
    assert_eq!(password.headers()["location"], "/sign-in/code");
    assert_eq!(app.get("/complaints").await.status(), 303);
    // The next code (the one used to set up is spent) signs in.
    clock.advance(Duration::seconds(30));
    let page = app.get("/sign-in/code").await.text().await.unwrap();
    let wrong = app
        .post_form(
            "/sign-in/code",
            &[("csrf", &csrf_in(&page)), ("code", "123456")],
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That code is not right")
    );
    let now = code(&secret, clock.now());
    let page = app.get("/sign-in/code").await.text().await.unwrap();
    let signed_in = app
        .post_form(
            "/sign-in/code",
            &[("csrf", &csrf_in(&page)), ("code", &now)],
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/complaints");
    assert_eq!(app.get("/complaints").await.status(), 200);
    sign_out(&app).await;

    // The same code again, within its window: refused.
    let reused = sign_in_with(&app, &agent.email, &now).await;
    assert_eq!(reused.status(), 401);
    assert!(reused.text().await.unwrap().contains("already used"));
    // A code from two minutes ago: refused.
    let stale = code(&secret, clock.now() - Duration::seconds(120));
    let page = app.get("/sign-in/code").await.text().await.unwrap();
    let refused = app
        .post_form(
            "/sign-in/code",
            &[("csrf", &csrf_in(&page)), ("code", &stale)],
        )
        .await;
    assert_eq!(refused.status(), 401);
    // A recovery code works once (typed in lower case, without its dash).
    let typed = recovery[0].to_lowercase().replace('-', "");
    let page = app.get("/sign-in/code").await.text().await.unwrap();
    let recovered = app
        .post_form(
            "/sign-in/code",
            &[("csrf", &csrf_in(&page)), ("code", &typed)],
        )
        .await;
    assert_eq!(recovered.status(), 303);
    let account = app.get("/account/two-factor").await.text().await.unwrap();
    assert!(
        account.contains("Recovery codes not yet used: 9."),
        "{account}"
    );
    sign_out(&app).await;
    let again = sign_in_with(&app, &agent.email, &recovery[0]).await;
    assert_eq!(again.status(), 401);
    // Wrong codes count toward the sign-in limits (a right password does not wipe them):
    // one so far; four more lock the account, even for the right code.
    for wrong in ["999999", "888888", "777777", "666666"] {
        let page = app.get("/sign-in/code").await.text().await.unwrap();
        let refused = app
            .post_form(
                "/sign-in/code",
                &[("csrf", &csrf_in(&page)), ("code", wrong)],
            )
            .await;
        assert_eq!(refused.status(), 401);
    }
    clock.advance(Duration::seconds(30));
    let page = app.get("/sign-in/code").await.text().await.unwrap();
    let locked = app
        .post_form(
            "/sign-in/code",
            &[
                ("csrf", &csrf_in(&page)),
                ("code", &code(&secret, clock.now())),
            ],
        )
        .await;
    assert_eq!(
        locked.status(),
        429,
        "five wrong codes lock the account for a while"
    );
    // The audit trail tells the story.
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let audit = admin.get("/admin/audit").await.text().await.unwrap();
    assert!(audit.contains("Two-factor sign-in turned on"));
    assert!(audit.contains("a code already used") && audit.contains("a wrong code"));
}

async fn admins_require_a_second_factor_of_a_role_and_reset_a_lost_one(db: TestDb) {
    let clock = ManualClock::at(Utc::now());
    let app = spawn_app_on_clock(db, clock.clone()).await;
    app.sign_in_as(Role::Admin).await;
    let agent = app.another_visitor();
    let account = agent.sign_in_as(Role::Agent).await;
    assert_eq!(agent.get("/complaints").await.status(), 200);

    let users = app.get("/admin/users").await.text().await.unwrap();
    let csrf = csrf_in(&users);
    let saved = app
        .post_form(
            "/admin/two-factor-roles",
            &[("csrf", &csrf), ("agent", "1")],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let users = app
        .get("/admin/users?done=two_factor_roles")
        .await
        .text()
        .await
        .unwrap();
    assert!(users.contains("id=\"tf-role-agent\" name=\"agent\" value=\"1\" checked"));
    // An agent without a second factor is led to set one up before anything else.
    let led = agent.get("/complaints").await;
    assert_eq!(led.status(), 303);
    assert_eq!(led.headers()["location"], "/account/two-factor");
    let page = agent.get("/account/two-factor").await.text().await.unwrap();
    assert!(page.contains("Your role requires two-factor sign-in"));
    let (secret, _) = set_up(&agent, &clock).await;
    assert_eq!(agent.get("/complaints").await.status(), 200);
    // Required: it cannot be turned off by its owner.
    clock.advance(Duration::seconds(30));
    let page = agent.get("/account/two-factor").await.text().await.unwrap();
    let refused = agent
        .post_form(
            "/account/two-factor/off",
            &[
                ("csrf", &csrf_in(&page)),
                ("code", &code(&secret, clock.now())),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    // An agent may not change the requirement.
    let forbidden = agent
        .post_form("/admin/two-factor-roles", &[("csrf", &csrf_in(&page))])
        .await;
    assert_eq!(forbidden.status(), 403);
    // A lost phone: an admin resets it; the agent sets up a new one at once.
    let users = app.get("/admin/users").await.text().await.unwrap();
    assert!(users.contains(&format!("/admin/users/{}/two-factor/reset", account.id)));
    let reset = app
        .post_form(
            &format!("/admin/users/{}/two-factor/reset", account.id),
            &[("csrf", &csrf_in(&users))],
        )
        .await;
    assert_eq!(reset.status(), 303);
    assert_eq!(
        agent.get("/complaints").await.headers()["location"],
        "/account/two-factor"
    );
    let audit = app.get("/admin/audit").await.text().await.unwrap();
    assert!(
        audit.contains("reset by an admin")
            && audit.contains("Two-factor sign-in required of roles")
    );
}

async fn hostile_codes_are_refused_without_harm_and_a_code_for_another_account_is_useless(
    db: TestDb,
) {
    let clock = ManualClock::at(Utc::now());
    let app = spawn_app_on_clock(db, clock.clone()).await;
    let ana = app.sign_in_as(Role::Agent).await;
    let (ana_secret, _) = set_up(&app, &clock).await;
    sign_out(&app).await;
    let ion_visitor = app.another_visitor();
    let ion = ion_visitor.sign_in_as(Role::Agent).await;
    set_up(&ion_visitor, &clock).await;
    sign_out(&ion_visitor).await;
    clock.advance(Duration::seconds(30));
    // Ana's valid code does not sign Ion in.
    let crossed = sign_in_with(&ion_visitor, &ion.email, &code(&ana_secret, clock.now())).await;
    assert_eq!(crossed.status(), 401);
    // Hostile codes: refused, never a 5xx, never rendered as markup.
    let hostile = [
        String::new(),
        "\u{0}\u{1}\r\nX-Injected: yes".to_string(),
        "<script>alert(1)</script>".to_string(),
        "' OR 1=1; --".to_string(),
        "{{ 7*7 }}".to_string(),
        "9".repeat(100_000),
    ];
    let password = app.sign_in(&ana.email, PASSWORD).await;
    assert_eq!(password.headers()["location"], "/sign-in/code");
    for (i, bad) in hostile.iter().enumerate() {
        let page = app.get("/sign-in/code").await.text().await.unwrap();
        let answer = app
            .post_form("/sign-in/code", &[("csrf", &csrf_in(&page)), ("code", bad)])
            .await;
        let status = answer.status().as_u16();
        assert!(
            matches!(status, 400 | 401 | 413 | 429),
            "case {i}: {status}"
        );
        let body = answer.text().await.unwrap();
        assert!(!body.contains("<script>alert(1)</script>"), "case {i}");
    }
    // A code sent without the sign-in page's CSRF token does nothing.
    let forged = app
        .post_form(
            "/sign-in/code",
            &[("code", &code(&ana_secret, clock.now()))],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(
        app.get("/complaints").await.status(),
        303,
        "still signed out"
    );
}
