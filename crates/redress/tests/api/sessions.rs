//! Where one is signed in: `/account` lists one's sessions and ends any of them; an admin
//! signs someone out everywhere. Both are audited; nobody ends another person's session from
//! their own account page.

use redress_store::{AuditAction, Role};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{PASSWORD, TestApp, Visitor, csrf_in, spawn_app};

on_both_backends!(
    a_person_sees_where_they_are_signed_in_and_ends_a_session,
    a_person_signs_out_everywhere_but_here,
    an_admin_signs_someone_out_everywhere,
);

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A visitor of `app` whose browser says it is Firefox on Linux.
fn firefox(app: &TestApp) -> Visitor {
    Visitor {
        address: app.address.clone(),
        store: app.store.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .user_agent(FIREFOX)
            .build()
            .unwrap(),
    }
}

/// Where `response` redirects.
fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

/// The ids of the sessions `/account` offers to end, in its order.
fn listed(page: &str) -> Vec<String> {
    let marker = "name=\"session\" value=\"";
    page.match_indices(marker)
        .map(|(at, _)| {
            let start = at + marker.len();
            page[start..start + page[start..].find('"').unwrap()].to_string()
        })
        .collect()
}

async fn audited(app: &TestApp, target: &str) -> Vec<String> {
    app.store
        .audit
        .list(Some(AuditAction::SessionsEnded), None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.target == target)
        .map(|e| e.detail)
        .collect()
}

async fn a_person_sees_where_they_are_signed_in_and_ends_a_session(db: TestDb) {
    let app = spawn_app(db).await;
    let me = app.sign_in_as(Role::Agent).await;
    let laptop = firefox(&app);
    assert_eq!(laptop.sign_in(&me.email, PASSWORD).await.status(), 303);
    let colleague_browser = app.another_visitor();
    let colleague = colleague_browser.sign_in_as(Role::Agent).await;

    let page = app.get("/account").await.text().await.unwrap();
    assert!(page.contains("Where you are signed in"), "{page}");
    assert!(
        page.contains("Firefox on Linux"),
        "the laptop's browser is not named"
    );
    assert!(
        page.contains("A program that did not say <strong>(this browser)</strong>"),
        "this browser (the test's client, which names itself nowhere) is not marked"
    );
    let ids = listed(&page);
    assert_eq!(ids.len(), 2, "two sessions of mine, none of my colleague's");
    let mine = app.store.sessions.of_staff(me.id).await.unwrap();
    let laptop_id = mine
        .iter()
        .find(|s| s.user_agent == FIREFOX)
        .map(|s| s.id.clone())
        .unwrap();
    assert_eq!(ids[1], laptop_id, "this browser's session is listed first");
    let here_id = ids[0].clone();
    let csrf = csrf_in(&page);

    // Another person's session is not mine to end: "already ended", and it goes on.
    let theirs = app.store.sessions.of_staff(colleague.id).await.unwrap()[0]
        .id
        .clone();
    let refused = app
        .post_form(
            "/account/sessions/end",
            &[("csrf", &csrf), ("session", &theirs)],
        )
        .await;
    assert_eq!(refused.status(), 303);
    assert_eq!(location(&refused), "/account?done=session_gone#sessions");
    assert_eq!(colleague_browser.get("/complaints").await.status(), 200);
    // Without the session's CSRF token nothing ends.
    let forged = app
        .post_form(
            "/account/sessions/end",
            &[("csrf", "forged"), ("session", &laptop_id)],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(laptop.get("/complaints").await.status(), 200);

    // The laptop's session ends: it is sent to sign in; this browser stays signed in.
    let ended = app
        .post_form(
            "/account/sessions/end",
            &[("csrf", &csrf), ("session", &laptop_id)],
        )
        .await;
    assert_eq!(location(&ended), "/account?done=session_ended#sessions");
    let away = laptop.get("/complaints").await;
    assert_eq!(away.status(), 303);
    assert!(location(&away).starts_with("/sign-in"));
    let page = app
        .get("/account?done=session_ended")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("That session has ended"));
    assert_eq!(listed(&page), vec![here_id.clone()]);
    // Ending it again is "already ended".
    let again = app
        .post_form(
            "/account/sessions/end",
            &[("csrf", &csrf), ("session", &laptop_id)],
        )
        .await;
    assert_eq!(location(&again), "/account?done=session_gone#sessions");

    // Ending this browser's own session signs out.
    let out = app
        .post_form(
            "/account/sessions/end",
            &[("csrf", &csrf), ("session", &here_id)],
        )
        .await;
    assert_eq!(location(&out), "/sign-in");
    assert_eq!(app.get("/complaints").await.status(), 303);
    assert!(app.store.sessions.of_staff(me.id).await.unwrap().is_empty());
    assert_eq!(
        audited(&app, &me.email).await,
        vec![
            "this session".to_string(),
            "another of their sessions".to_string()
        ],
        "each ended session is audited once, newest first; refusals are not"
    );
    app.stop().await;
}

async fn a_person_signs_out_everywhere_but_here(db: TestDb) {
    let app = spawn_app(db).await;
    let me = app.sign_in_as(Role::Agent).await;
    let page = app.get("/account").await.text().await.unwrap();
    assert!(
        !page.contains("/account/sessions/end-others"),
        "offered with only this session"
    );
    let (laptop, phone) = (firefox(&app), app.another_visitor());
    for browser in [&laptop, &phone] {
        assert_eq!(browser.sign_in(&me.email, PASSWORD).await.status(), 303);
    }
    let colleague_browser = app.another_visitor();
    colleague_browser.sign_in_as(Role::Agent).await;
    let page = app.get("/account").await.text().await.unwrap();
    assert!(page.contains("Sign out everywhere but here"));
    let done = app
        .post_form("/account/sessions/end-others", &[("csrf", &csrf_in(&page))])
        .await;
    assert_eq!(location(&done), "/account?done=others_ended#sessions");
    for browser in [&laptop, &phone] {
        assert_eq!(
            browser.get("/complaints").await.status(),
            303,
            "still signed in"
        );
    }
    assert_eq!(
        app.get("/complaints").await.status(),
        200,
        "signed out here too"
    );
    assert_eq!(colleague_browser.get("/complaints").await.status(), 200);
    let page = app
        .get("/account?done=others_ended")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("You are signed out everywhere but here."));
    assert_eq!(listed(&page).len(), 1);
    assert_eq!(
        audited(&app, &me.email).await,
        vec!["all their other sessions (2)".to_string()]
    );
    app.stop().await;
}

async fn an_admin_signs_someone_out_everywhere(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Admin).await;
    let agent_browser = app.another_visitor();
    let agent = agent_browser.sign_in_as(Role::Agent).await;
    let phone = firefox(&app);
    assert_eq!(phone.sign_in(&agent.email, PASSWORD).await.status(), 303);
    assert_eq!(app.store.sessions.count(agent.id).await.unwrap(), 2);

    let page = app.get("/admin/users").await.text().await.unwrap();
    let button = format!("action=\"/admin/users/{}/sessions/end\"", agent.id);
    assert!(page.contains(&button), "no way to sign them out");
    let csrf = csrf_in(&page);
    let done = app
        .post_form(
            &format!("/admin/users/{}/sessions/end", agent.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        location(&done),
        format!("/admin/users?done=signed_out#account-{}", agent.id)
    );
    for browser in [&agent_browser, &phone] {
        let away = browser.get("/complaints").await;
        assert_eq!(away.status(), 303, "a session survived");
    }
    assert_eq!(app.store.sessions.count(agent.id).await.unwrap(), 0);
    assert_eq!(
        audited(&app, &agent.email).await,
        vec!["all of them (2), by an admin".to_string()]
    );
    let notice = app
        .get("/admin/users?done=signed_out")
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.contains("They are signed out everywhere"));
    // An agent may not sign anyone out; an unknown person is 404.
    assert_eq!(app.get("/complaints").await.status(), 200);
    let unknown = app
        .post_form(
            &format!("/admin/users/{}/sessions/end", uuid::Uuid::new_v4()),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let agent_again = app.another_visitor();
    agent_again.sign_in(&agent.email, PASSWORD).await;
    let agent_csrf = csrf_in(&agent_again.get("/account").await.text().await.unwrap());
    let refused = agent_again
        .post_form(
            &format!("/admin/users/{}/sessions/end", agent.id),
            &[("csrf", &agent_csrf)],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(app.store.sessions.count(agent.id).await.unwrap(), 1);
    app.stop().await;
}
