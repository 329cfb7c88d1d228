//! Staff accounts managed by admins in the UI, over HTTP: creating, changing roles,
//! deactivating; who may reach which route; and the refusals that keep a team from locking
//! itself out.

use redress_store::{Role, StaffAccount};
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use reqwest::Client;

use crate::{PASSWORD, TestApp, client, csrf_in, spawn_app};

on_both_backends!(
    an_admin_creates_an_account_changes_its_role_and_deactivates_it_and_its_actions_keep_its_name,
    each_role_reaches_only_the_routes_it_may_and_refused_requests_write_nothing,
    refused_account_forms_say_why_beside_the_form_and_change_nothing,
);

/// GETs `path` with `client`.
async fn get(app: &TestApp, client: &Client, path: &str) -> reqwest::Response {
    client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("the server answers")
}

/// POSTs a form with `client`.
async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .expect("the server answers")
}

/// Signs `client` in with a CSRF token read from its own sign-in page.
async fn sign_in_with(
    app: &TestApp,
    client: &Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = get(app, client, "/sign-in").await.text().await.unwrap();
    post(
        app,
        client,
        "/sign-in",
        &[
            ("email", email),
            ("password", password),
            ("csrf", &csrf_in(&page)),
            ("next", "/complaints"),
        ],
    )
    .await
}

/// A new account with `role`, and a client of its own signed in as it.
async fn signed_in_client(app: &TestApp, role: Role) -> (Client, StaffAccount) {
    let email = format!(
        "{}-{}@staff.example",
        role.code(),
        uuid::Uuid::new_v4().simple()
    );
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let account = app
        .store
        .accounts
        .create(&email, &format!("Test {}", role.code()), role, &hash)
        .await
        .unwrap();
    let client = client();
    let response = sign_in_with(app, &client, &email, PASSWORD).await;
    assert_eq!(response.status(), 303, "sign-in failed");
    (client, account)
}

/// Every account as stored, to show nothing changed.
async fn accounts(app: &TestApp) -> Vec<StaffAccount> {
    app.store.accounts.list().await.unwrap()
}

/// The CSRF token of the admin's staff page (through the app's own client).
async fn admin_csrf(app: &TestApp) -> String {
    let page = app.get("/admin/users").await;
    assert_eq!(page.status(), 200);
    csrf_in(&page.text().await.unwrap())
}

async fn an_admin_creates_an_account_changes_its_role_and_deactivates_it_and_its_actions_keep_its_name(
    db: TestDb,
) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Admin).await;
    let page = app.get("/admin/users").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Staff accounts</h1>"));
    assert!(html.contains("<label for=\"password\">"));
    assert!(
        html.contains("href=\"/admin/users\">Staff</a>"),
        "no Staff link"
    );

    // Create.
    let created = app
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf_in(&html)),
                ("email", "Dana@Staff.example"),
                ("name", "Dana Dobre"),
                ("role", "agent"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
    assert_eq!(created.headers()["location"], "/admin/users?done=created");
    let html = app
        .get("/admin/users?done=created")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("The account was created."));
    assert!(html.contains("Dana Dobre") && html.contains("dana@staff.example"));
    let (dana, _) = app
        .store
        .accounts
        .credentials("dana@staff.example")
        .await
        .unwrap()
        .expect("the account exists");
    assert_eq!((dana.role, dana.active), (Role::Agent, true));

    // Dana signs in on her own browser and takes a complaint.
    let browser = client();
    let signed_in = sign_in_with(&app, &browser, "dana@staff.example", PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    let form = get(&app, &browser, "/complaints/new")
        .await
        .text()
        .await
        .unwrap();
    let taken = post(
        &app,
        &browser,
        "/complaints/new",
        &[
            ("csrf", &csrf_in(&form)),
            ("name", "Ana Pop"),
            ("email", "ana@example.ro"),
            ("category", "Billing"),
            ("summary", "Charged twice for one order"),
            ("language", "ro"),
            ("channel", "phone"),
            ("priority", "high"),
            ("description", "Mi-ați luat banii de două ori."),
        ],
    )
    .await;
    assert_eq!(taken.status(), 303, "{}", taken.text().await.unwrap());
    let complaint = taken.headers()["location"].to_str().unwrap().to_string();
    assert!(complaint.starts_with("/complaints/RDR-"), "{complaint}");

    // Change her role.
    let path = format!("/admin/users/{}", dana.id);
    let csrf = admin_csrf(&app).await;
    let changed = app
        .post_form(
            &format!("{path}/role"),
            &[("csrf", &csrf), ("role", "manager")],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(changed.headers()["location"], "/admin/users?done=role");
    let dana_now = app.store.accounts.get(dana.id).await.unwrap().unwrap();
    assert_eq!((dana_now.role, dana_now.active), (Role::Manager, true));

    // Deactivate her: her open session ends and she cannot sign in again.
    let deactivated = app
        .post_form(
            &format!("{path}/active"),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(deactivated.status(), 303);
    assert_eq!(
        deactivated.headers()["location"],
        "/admin/users?done=deactivated"
    );
    assert!(
        !app.store
            .accounts
            .get(dana.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    let html = app.get("/admin/users").await.text().await.unwrap();
    assert!(html.contains("deactivated"));
    assert!(html.contains("Reactivate"));
    assert_eq!(
        get(&app, &browser, "/complaints").await.status(),
        303,
        "her session outlived deactivation"
    );
    let refused = sign_in_with(&app, &client(), "dana@staff.example", PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("deactivated"));

    // Her past action keeps her name.
    let html = app.get(&complaint).await.text().await.unwrap();
    assert!(
        html.contains("by Dana Dobre</dd>"),
        "the receipt lost her name"
    );
    assert!(
        html.contains("· Dana Dobre</p>"),
        "the timeline lost her name"
    );

    // Reactivated, she can sign in again.
    let reactivated = app
        .post_form(
            &format!("{path}/active"),
            &[("csrf", &csrf), ("active", "true")],
        )
        .await;
    assert_eq!(
        reactivated.headers()["location"],
        "/admin/users?done=reactivated"
    );
    let again = sign_in_with(&app, &client(), "dana@staff.example", PASSWORD).await;
    assert_eq!(again.status(), 303);
    app.stop().await;
}

/// Who asks.
#[derive(Debug, Clone, Copy)]
enum Caller {
    SignedOut,
    Agent,
    Manager,
    Admin,
}

/// What they get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// 303 to the sign-in page; nothing written.
    SignIn,
    /// 200, the page.
    Page,
    /// 403, the friendly "Not allowed" page; nothing written.
    Forbidden,
    /// 303 back to /admin/users after the change was made.
    Done,
}

/// The routes, in the order of the table's columns. `{id}` is another member of staff.
const ROUTES: [(&str, &str); 6] = [
    ("GET", "/complaints"),
    ("GET", "/complaints/new"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{id}/role"),
    ("POST", "/admin/users/{id}/active"),
];

/// Who may do what: agents and managers work complaints; admins also manage staff accounts.
#[rustfmt::skip]
const ACCESS: [(Caller, [Expect; 6]); 4] = {
    use Expect::*;
    [
        //                   GET /complaints  GET …/new  GET /admin/users  POST /admin/users  POST …/role  POST …/active
        (Caller::SignedOut, [SignIn,          SignIn,    SignIn,           SignIn,            SignIn,      SignIn]),
        (Caller::Agent,     [Page,            Page,      Forbidden,        Forbidden,         Forbidden,   Forbidden]),
        (Caller::Manager,   [Page,            Page,      Forbidden,        Forbidden,         Forbidden,   Forbidden]),
        (Caller::Admin,     [Page,            Page,      Page,             Done,              Done,        Done]),
    ]
};

async fn each_role_reaches_only_the_routes_it_may_and_refused_requests_write_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let target = app
        .store
        .accounts
        .create("target@staff.example", "Tara Target", Role::Agent, &hash)
        .await
        .unwrap();
    for (caller, expected) in ACCESS {
        let (browser, role) = match caller {
            Caller::SignedOut => (client(), None),
            Caller::Agent => (
                signed_in_client(&app, Role::Agent).await.0,
                Some(Role::Agent),
            ),
            Caller::Manager => (
                signed_in_client(&app, Role::Manager).await.0,
                Some(Role::Manager),
            ),
            Caller::Admin => (
                signed_in_client(&app, Role::Admin).await.0,
                Some(Role::Admin),
            ),
        };
        // A genuine token of the caller's own session, so only the role decides.
        let page = if role.is_some() {
            "/complaints/new"
        } else {
            "/sign-in"
        };
        let csrf = csrf_in(&get(&app, &browser, page).await.text().await.unwrap());
        let new_email = format!("new-{caller:?}@staff.example").to_lowercase();
        for ((method, route), expect) in ROUTES.into_iter().zip(expected) {
            let path = route.replace("{id}", &target.id.to_string());
            let before = accounts(&app).await;
            let response = match (method, route) {
                ("GET", _) => get(&app, &browser, &path).await,
                (_, "/admin/users") => {
                    let form = [
                        ("csrf", csrf.as_str()),
                        ("email", new_email.as_str()),
                        ("name", "New Person"),
                        ("role", "agent"),
                        ("password", PASSWORD),
                    ];
                    post(&app, &browser, &path, &form).await
                }
                (_, "/admin/users/{id}/role") => {
                    post(
                        &app,
                        &browser,
                        &path,
                        &[("csrf", &csrf), ("role", "manager")],
                    )
                    .await
                }
                _ => {
                    post(
                        &app,
                        &browser,
                        &path,
                        &[("csrf", &csrf), ("active", "false")],
                    )
                    .await
                }
            };
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string())
                .unwrap_or_default();
            let body = response.text().await.unwrap();
            let what = format!("{caller:?} {method} {route}");
            match expect {
                Expect::SignIn => {
                    assert_eq!(status, 303, "{what}");
                    assert!(location.starts_with("/sign-in?next="), "{what}: {location}");
                }
                Expect::Page => assert_eq!(status, 200, "{what}"),
                Expect::Forbidden => {
                    assert_eq!(status, 403, "{what}");
                    assert!(body.contains("Not allowed"), "{what}: {body}");
                }
                Expect::Done => {
                    assert_eq!(status, 303, "{what}: {body}");
                    assert!(
                        location.starts_with("/admin/users?done="),
                        "{what}: {location}"
                    );
                }
            }
            let after = accounts(&app).await;
            if expect == Expect::Done {
                assert_ne!(before, after, "{what} changed nothing");
            } else {
                assert_eq!(before, after, "{what} wrote to the accounts");
            }
            // Only admins are shown the way to the staff pages.
            if path == "/complaints" && status == 200 {
                assert_eq!(
                    body.contains("href=\"/admin/users\""),
                    role == Some(Role::Admin),
                    "{what}: the Staff link"
                );
            }
        }
    }
    let target = app.store.accounts.get(target.id).await.unwrap().unwrap();
    assert_eq!((target.role, target.active), (Role::Manager, false));
    app.stop().await;
}

async fn refused_account_forms_say_why_beside_the_form_and_change_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = app.sign_in_as(Role::Admin).await;
    let csrf = admin_csrf(&app).await;
    let before = accounts(&app).await;
    let create =
        |email: &'static str, name: &'static str, role: &'static str, password: &'static str| {
            let csrf = csrf.clone();
            let app = &app;
            async move {
                app.post_form(
                    "/admin/users",
                    &[
                        ("csrf", &csrf),
                        ("email", email),
                        ("name", name),
                        ("role", role),
                        ("password", password),
                    ],
                )
                .await
            }
        };

    let email_upper = admin.email.to_uppercase();
    let taken = app
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("email", &email_upper),
                ("name", "Typed Name"),
                ("role", "manager"),
                ("password", "a perfectly fine password"),
            ],
        )
        .await;
    let cases = vec![
        ("a duplicate email", taken, "already exists", "email-error"),
        (
            "a short password",
            create("new@staff.example", "Typed Name", "manager", "short pass").await,
            "at least 12 characters",
            "password-error",
        ),
        (
            "a bad email",
            create("not-an-address", "Typed Name", "manager", PASSWORD).await,
            "is not a valid email address",
            "email-error",
        ),
        (
            "an unknown role",
            create("new@staff.example", "Typed Name", "root", PASSWORD).await,
            "is not a role",
            "role-error",
        ),
        (
            "an empty name",
            create("new@staff.example", "  ", "manager", PASSWORD).await,
            "The name must not be empty",
            "name-error",
        ),
    ];
    for (what, response, reason, beside) in cases {
        assert_eq!(response.status(), 422, "{what}");
        let html = response.text().await.unwrap();
        assert!(html.contains(reason), "{what}: {html}");
        assert!(
            html.contains(&format!("id=\"{beside}\"")),
            "{what}: not beside its field"
        );
        assert!(
            html.contains("<h1>Staff accounts</h1>"),
            "{what}: the page is not shown again"
        );
        if what != "an empty name" {
            assert!(
                html.contains("value=\"Typed Name\""),
                "{what}: the name was not kept"
            );
        }
        assert!(
            !html.contains("perfectly fine password")
                && !html.contains(PASSWORD)
                && !html.contains("short pass"),
            "{what}: the password was sent back"
        );
    }
    assert_eq!(
        before,
        accounts(&app).await,
        "a refused form created an account"
    );

    // An admin cannot lock themselves (and the team) out.
    let own = format!("/admin/users/{}", admin.id);
    let demoted = app
        .post_form(
            &format!("{own}/role"),
            &[("csrf", &csrf), ("role", "agent")],
        )
        .await;
    assert_eq!(demoted.status(), 422);
    let html = demoted.text().await.unwrap();
    assert!(
        html.contains("You cannot take away your own admin role"),
        "{html}"
    );
    assert!(html.contains(&format!("id=\"role-{}-error\"", admin.id)));
    let deactivated = app
        .post_form(
            &format!("{own}/active"),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(deactivated.status(), 422);
    let html = deactivated.text().await.unwrap();
    assert!(
        html.contains("You cannot deactivate your own account"),
        "{html}"
    );
    assert!(html.contains(&format!("id=\"active-{}-error\"", admin.id)));
    assert_eq!(
        before,
        accounts(&app).await,
        "the admin locked themselves out"
    );
    assert_eq!(app.get("/admin/users").await.status(), 200);

    // Someone else's account: an unknown role is refused beside its form; unknown ids are 404.
    let hash = redress_store::accounts::hash_password(PASSWORD).unwrap();
    let other = app
        .store
        .accounts
        .create("other@staff.example", "Otto Other", Role::Agent, &hash)
        .await
        .unwrap();
    let before = accounts(&app).await;
    let unknown_role = app
        .post_form(
            &format!("/admin/users/{}/role", other.id),
            &[("csrf", &csrf), ("role", "root")],
        )
        .await;
    assert_eq!(unknown_role.status(), 422);
    assert!(unknown_role.text().await.unwrap().contains("is not a role"));
    for path in [
        format!("/admin/users/{}/role", uuid::Uuid::new_v4()),
        format!("/admin/users/{}/active", uuid::Uuid::new_v4()),
        "/admin/users/not-an-id/role".to_string(),
    ] {
        let response = app
            .post_form(
                &path,
                &[("csrf", &csrf), ("role", "agent"), ("active", "false")],
            )
            .await;
        assert_eq!(response.status(), 404, "{path}");
    }

    // Forms without the session's token are refused and write nothing.
    let other_path = format!("/admin/users/{}", other.id);
    let forged: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/users".into(),
            vec![
                ("email", "forged@staff.example"),
                ("name", "Forged"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        ),
        (format!("{other_path}/role"), vec![("role", "admin")]),
        (format!("{other_path}/active"), vec![("active", "false")]),
    ];
    for (path, fields) in forged {
        for token in ["", "forged"] {
            let mut form = vec![("csrf", token)];
            form.extend_from_slice(&fields);
            let response = app.post_form(&path, &form).await;
            assert_eq!(response.status(), 403, "{path} with {token:?}");
            assert!(response.text().await.unwrap().contains("Form expired"));
        }
    }
    assert_eq!(
        before,
        accounts(&app).await,
        "a refused form changed an account"
    );
    app.stop().await;
}
