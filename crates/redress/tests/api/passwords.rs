//! Passwords: staff change their own (with the current one), admins set a temporary one that
//! must be changed at the next sign-in; both end the person's sessions and are audited.

use redress_store::{AuditAction, Role};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{PASSWORD, Visitor, csrf_in, spawn_app};

on_both_backends!(
    staff_change_their_own_password_with_the_current_one,
    an_admin_sets_a_temporary_password_that_must_be_changed_before_anything_else,
);

const NEW: &str = "a brand new long password";
const TEMPORARY: &str = "temporary but long enough";

/// Posts the own-password form; returns (status, page or location).
async fn change(visitor: &Visitor, current: &str, new: &str, confirm: &str) -> (u16, String) {
    let page = visitor.get("/account/password").await.text().await.unwrap();
    let response = visitor
        .post_form(
            "/account/password",
            &[
                ("csrf", &csrf_in(&page)),
                ("current", current),
                ("new", new),
                ("confirm", confirm),
            ],
        )
        .await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let body = response.text().await.unwrap();
    (status, location.unwrap_or(body))
}

async fn staff_change_their_own_password_with_the_current_one(db: TestDb) {
    let app = spawn_app(db).await;
    let ana = app.sign_in_as(Role::Agent).await;
    // The account page leads there.
    let account = app.get("/account").await.text().await.unwrap();
    assert!(account.contains("href=\"/account/password\""));
    for (current, new, confirm, says) in [
        ("not my password", NEW, NEW, "current password is not right"),
        (PASSWORD, NEW, "a different long password", "differ"),
        (PASSWORD, "short", "short", "at least 12 characters"),
        (PASSWORD, PASSWORD, PASSWORD, "is the current one"),
    ] {
        let (status, page) = change(&app, current, new, confirm).await;
        assert_eq!(status, 422, "{says}");
        assert!(page.contains(says), "{says}: {page}");
    }
    // Nothing changed yet: still signed in, the old password still good.
    assert_eq!(app.get("/complaints").await.status(), 200);
    let other_session = app.another_visitor();
    assert_eq!(
        other_session.sign_in(&ana.email, PASSWORD).await.status(),
        303
    );

    let (status, location) = change(&app, PASSWORD, NEW, NEW).await;
    assert_eq!((status, location.as_str()), (303, "/sign-in?changed=1"));
    let notice = app.get("/sign-in?changed=1").await.text().await.unwrap();
    assert!(notice.contains("Your password is changed"));
    // Every session ended, this one and the other.
    assert_eq!(app.get("/complaints").await.status(), 303);
    assert_eq!(other_session.get("/complaints").await.status(), 303);
    assert_eq!(app.store.sessions.count(ana.id).await.unwrap(), 0);
    // The old password no longer opens; the new one does.
    assert_eq!(app.sign_in(&ana.email, PASSWORD).await.status(), 401);
    assert_eq!(app.sign_in(&ana.email, NEW).await.status(), 303);
    assert_eq!(app.get("/complaints").await.status(), 200);
    let audit = app
        .store
        .audit
        .list(Some(AuditAction::PasswordChanged), None, 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target, ana.email);
    assert!(
        audit[0].detail.contains("2 session(s) ended"),
        "{:?}",
        audit[0]
    );
    app.stop().await;
}

async fn an_admin_sets_a_temporary_password_that_must_be_changed_before_anything_else(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = app.sign_in_as(Role::Admin).await;
    let bob = app.another_visitor();
    let bob_account = bob.sign_in_as(Role::Agent).await;
    assert_eq!(bob.get("/complaints").await.status(), 200);
    let page = format!("/admin/users/{}/password", bob_account.id);
    let users = app.get("/admin/users").await.text().await.unwrap();
    assert!(users.contains(&format!("href=\"{page}\"")));
    let form = app.get(&page).await.text().await.unwrap();
    let csrf = csrf_in(&form);
    let short = app
        .post_form(&page, &[("csrf", &csrf), ("password", "short")])
        .await;
    assert_eq!(short.status(), 422);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("at least 12 characters")
    );
    // Not one's own: that goes through the account page, with the current password.
    let own = app
        .post_form(
            &format!("/admin/users/{}/password", admin.id),
            &[("csrf", &csrf), ("password", TEMPORARY)],
        )
        .await;
    assert_eq!(own.status(), 422);
    let set = app
        .post_form(&page, &[("csrf", &csrf), ("password", TEMPORARY)])
        .await;
    assert_eq!(set.status(), 303);
    assert_eq!(set.headers()["location"], "/admin/users?done=password");
    // Bob's session ended; his old password no longer opens.
    assert_eq!(bob.get("/complaints").await.status(), 303);
    assert_eq!(
        bob.sign_in(&bob_account.email, PASSWORD).await.status(),
        401
    );
    // With the temporary one, every page leads to choosing his own.
    assert_eq!(
        bob.sign_in(&bob_account.email, TEMPORARY).await.status(),
        303
    );
    for path in ["/complaints", "/account", "/notifications"] {
        let response = bob.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(
            response.headers()["location"],
            "/account/password",
            "{path}"
        );
    }
    let choose = bob.get("/account/password").await.text().await.unwrap();
    assert!(choose.contains("An administrator set a temporary password for you"));
    let (status, location) = change(&bob, TEMPORARY, NEW, NEW).await;
    assert_eq!((status, location.as_str()), (303, "/sign-in?changed=1"));
    assert_eq!(bob.sign_in(&bob_account.email, NEW).await.status(), 303);
    assert_eq!(bob.get("/complaints").await.status(), 200);
    let audit = app
        .store
        .audit
        .list(Some(AuditAction::PasswordReset), None, 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target, bob_account.email);
    assert_eq!(audit[0].actor_name, admin.name);
    app.stop().await;
}
