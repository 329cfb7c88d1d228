//! A forgotten password: the sign-in page offers a link by email; the link (sent through the
//! outbox) chooses a new password once, within its time, and ends every session of the
//! person; the form answers the same whether or not an account has the address, and is
//! limited per address and per client. Everything is in the audit trail.

use std::path::Path;

use redress_store::{AuditAction, Role};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{PASSWORD, TestApp, csrf_in, spawn_app};

on_both_backends!(
    a_forgotten_password_is_chosen_again_once_with_the_emailed_link,
    the_form_answers_alike_for_anyone_and_is_limited,
);

/// The text of every reset email written so far, with the path of its link, oldest first.
fn reset_emails(dir: &Path) -> Vec<(String, String)> {
    let mut found: Vec<(std::time::SystemTime, String, String)> = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("reset.") {
            continue;
        }
        let raw = std::fs::read(entry.path()).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let to = parsed
            .to()
            .and_then(|to| to.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string();
        let text = parsed.body_text(0).unwrap().into_owned();
        let start = text
            .find("/reset-password/")
            .expect("the email has its link");
        let path = text[start..].split_whitespace().next().unwrap().to_string();
        let at = entry.metadata().unwrap().modified().unwrap();
        found.push((at, to, path));
    }
    found.sort();
    found.into_iter().map(|(_, to, path)| (to, path)).collect()
}

/// Posts the forgotten-password form for `email`.
async fn ask(app: &TestApp, email: &str) -> reqwest::Response {
    let page = app.get("/forgot-password").await.text().await.unwrap();
    app.post_form(
        "/forgot-password",
        &[("csrf", &csrf_in(&page)), ("email", email)],
    )
    .await
}

async fn audited(app: &TestApp, action: AuditAction) -> Vec<(String, String)> {
    app.store
        .audit
        .list(Some(action), None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.target, e.detail))
        .collect()
}

async fn a_forgotten_password_is_chosen_again_once_with_the_emailed_link(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let elsewhere = app.another_visitor();
    let agent = elsewhere.sign_in_as(Role::Agent).await;

    let sign_in = app.get("/sign-in").await.text().await.unwrap();
    assert!(
        sign_in.contains("href=\"/forgot-password\""),
        "no way from the sign-in page"
    );
    let asked = ask(&app, &agent.email.to_uppercase()).await;
    assert_eq!(asked.status(), 303);
    assert_eq!(asked.headers()["location"], "/forgot-password?sent=1");
    let answer = app
        .get("/forgot-password?sent=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(answer.contains("If an account signs in with that address"));
    app.settle().await;
    let emails = reset_emails(&dir);
    assert_eq!(emails.len(), 1, "one email for one request");
    let (to, link) = emails[0].clone();
    assert_eq!(to, agent.email);

    let form = app.get(&link).await;
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    assert!(form.contains("Choose a new password") && form.contains(&agent.name));
    let csrf = csrf_in(&form);
    let new = "a brand new password of mine";
    let differ = app
        .post_form(
            &link,
            &[("csrf", &csrf), ("new", new), ("confirm", "something else")],
        )
        .await;
    assert_eq!(differ.status(), 422);
    assert!(differ.text().await.unwrap().contains("differ"));
    let short = app
        .post_form(
            &link,
            &[("csrf", &csrf), ("new", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(
        short.status(),
        422,
        "a refused password leaves the link working"
    );
    let forged = app
        .post_form(&link, &[("csrf", "forged"), ("new", new), ("confirm", new)])
        .await;
    assert_eq!(forged.status(), 403);

    let chosen = app
        .post_form(&link, &[("csrf", &csrf), ("new", new), ("confirm", new)])
        .await;
    assert_eq!(chosen.status(), 303);
    assert_eq!(chosen.headers()["location"], "/sign-in?changed=1");
    let away = elsewhere.get("/complaints").await;
    assert_eq!(away.status(), 303, "the session signed in before lives on");
    assert_eq!(
        app.another_visitor()
            .sign_in(&agent.email, PASSWORD)
            .await
            .status(),
        401,
        "the old password still works"
    );
    assert_eq!(
        app.another_visitor()
            .sign_in(&agent.email, new)
            .await
            .status(),
        303
    );

    // Once only: the link is spent, whatever is sent with it.
    assert_eq!(app.get(&link).await.status(), 410);
    let csrf = csrf_in(&app.get("/sign-in").await.text().await.unwrap());
    let again = app
        .post_form(
            &link,
            &[
                ("csrf", &csrf),
                ("new", "yet another password"),
                ("confirm", "yet another password"),
            ],
        )
        .await;
    assert_eq!(again.status(), 410);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("does not work any more")
    );
    assert_eq!(
        app.another_visitor()
            .sign_in(&agent.email, new)
            .await
            .status(),
        303,
        "a spent link changed the password"
    );
    // A link that is not ours, or altered, is the same page.
    assert_eq!(app.get(&format!("{link}x")).await.status(), 410);
    assert_eq!(app.get("/reset-password/nothing").await.status(), 410);

    assert_eq!(
        audited(&app, AuditAction::PasswordResetAsked).await,
        vec![(agent.email.clone(), "a link was sent".to_string())]
    );
    assert_eq!(
        audited(&app, AuditAction::PasswordResetUsed).await,
        vec![(agent.email.clone(), "1 session(s) ended".to_string())]
    );
    app.stop().await;
}

async fn the_form_answers_alike_for_anyone_and_is_limited(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let eva = app
        .store
        .accounts
        .create("eva@staff.example", "Eva", Role::Agent, &hash)
        .await
        .unwrap();
    let gone = app
        .store
        .accounts
        .create("gone@staff.example", "Gone", Role::Agent, &hash)
        .await
        .unwrap();
    app.store.accounts.set_active(gone.id, false).await.unwrap();

    // Nobody, a deactivated account and an account get the same answer.
    for email in [
        "nobody@staff.example",
        "gone@staff.example",
        "eva@staff.example",
    ] {
        let asked = ask(&app, email).await;
        assert_eq!(asked.status(), 303, "{email}");
        assert_eq!(asked.headers()["location"], "/forgot-password?sent=1");
    }
    let empty = ask(&app, "  ").await;
    assert_eq!(empty.status(), 422);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("Give the email address")
    );
    // Three links an hour for one address: the fourth request is answered alike, and sent
    // nowhere.
    for _ in 0..3 {
        assert_eq!(ask(&app, "eva@staff.example").await.status(), 303);
    }
    app.settle().await;
    let emails = reset_emails(&dir);
    assert_eq!(emails.len(), 3, "{emails:?}");
    assert!(emails.iter().all(|(to, _)| to == "eva@staff.example"));
    let details: Vec<String> = audited(&app, AuditAction::PasswordResetAsked)
        .await
        .into_iter()
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(
        details.first().map(String::as_str),
        Some("not sent: too many links asked for this address")
    );
    assert!(details.contains(&"not sent: no active account has this address".to_string()));

    // A link runs out after its time.
    let token = emails[2].1.trim_start_matches("/reset-password/");
    let resets = &app.store.password_resets;
    let now = chrono::Utc::now();
    let opens = |at| resets.open(&app.store.accounts, token, at);
    assert_eq!(opens(now).await.unwrap().map(|a| a.id), Some(eva.id));
    let later = now + redress_store::password_resets::LINK_LIFETIME;
    assert!(
        opens(later).await.unwrap().is_none(),
        "a link outlived its time"
    );

    // Choosing a new password with one link spends the others.
    let (first, second) = (&emails[0].1, &emails[1].1);
    let page = app.get(second).await.text().await.unwrap();
    let new = "eva's new password, long enough";
    let chosen = app
        .post_form(
            second,
            &[("csrf", &csrf_in(&page)), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(chosen.status(), 303);
    assert_eq!(app.get(first).await.status(), 410);

    // Ten requests an hour from one client, whoever they name: the eleventh is refused.
    let mut last = 0;
    for i in 0..10 {
        last = ask(&app, &format!("someone{i}@staff.example"))
            .await
            .status()
            .as_u16();
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429, "a client is never limited");
    app.stop().await;
}
