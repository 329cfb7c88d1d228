//! Company and contact files, and the viewer's time zone, over HTTP.

use redress_domain::{Actor, CompanyId, ComplaintAction, ComplaintCommand, Reference};
use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{Visitor, csrf_in, spawn_app};

on_both_backends!(
    the_first_complaint_naming_a_company_opens_its_file_with_contacts_history_and_scores,
    only_managers_change_a_tier_and_later_complaints_record_it,
    a_contacts_file_keeps_notes_and_shows_every_communication_until_erasure,
    bad_file_requests_get_clear_errors_and_write_nothing,
    times_are_shown_in_the_viewers_time_zone,
);

/// Takes a complaint by phone for `company` and returns its page's path.
async fn take(app: &Visitor, name: &str, email: &str, company: &str) -> String {
    let html = app.get("/complaints/new").await.text().await.unwrap();
    let response = app
        .post_form(
            "/complaints/new",
            &[
                ("csrf", &csrf_in(&html)),
                ("name", name),
                ("email", email),
                ("company", company),
                ("category", "Delivery"),
                ("summary", "The order came late"),
                ("language", "en"),
                ("channel", "phone"),
                ("priority", "normal"),
                ("description", "Two weeks late, and nobody told me."),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    response.headers()["location"].to_str().unwrap().to_string()
}

/// Takes a complaint through the steps to a decision (upheld).
async fn resolve(app: &Visitor, page: &str, owner: &str) {
    let today = chrono::Utc::now().date_naive().to_string();
    for (action, fields) in [
        ("acknowledge", vec![("apology", "We are sorry.")]),
        ("record_points", vec![("points", "Shipped two weeks late")]),
        ("record_fact", vec![("fact", "Shipped late")]),
        ("conclude_investigation", vec![("findings", "Our fault")]),
        (
            "commit_to_action",
            vec![("action", "Refund shipping"), ("due_on", today.as_str())],
        ),
        ("assign_owner", vec![("owner_id", owner)]),
        (
            "resolve",
            vec![
                ("point_outcome_1", "upheld"),
                ("point_reasons_1", "We shipped it late."),
                ("reasons", "We were late"),
            ],
        ),
    ] {
        assert_eq!(act(app, page, action, &fields).await, 303, "{action}");
    }
}

fn reference_of(page: &str) -> Reference {
    Reference::parse(page.trim_start_matches("/complaints/")).unwrap()
}

async fn act(app: &Visitor, page: &str, action: &str, fields: &[(&str, &str)]) -> u16 {
    let html = app.get(page).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(&format!("{page}/{action}"), &form)
        .await
        .status()
        .as_u16()
}

async fn text(app: &Visitor, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    (status, unescape(&response.text().await.unwrap()))
}

/// The page as a person reads it (tera escapes `/` and `'`).
fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/").replace("&#x27;", "'")
}

fn company_path(name: &str) -> String {
    format!("/companies/{}", CompanyId::for_name(name))
}

async fn the_first_complaint_naming_a_company_opens_its_file_with_contacts_history_and_scores(
    db: TestDb,
) {
    let app = spawn_app(db).await;
    let agent = app.sign_in_as(Role::Agent).await;
    let first = take(&app, "Ana Pop", "ana@example.com", "Fabrikam Retail").await;
    // The same company however it is typed; the same person by their address.
    let second = take(&app, "Ana Pop", "ANA@example.com", "  fabrikam   RETAIL ").await;
    let other = take(&app, "Ion Ionescu", "ion@example.com", "Fabrikam Retail").await;
    take(&app, "Lucía García", "lucia@example.com", "Contoso Ltd").await;
    // Ana's first complaint is closed and rated 4; Ion rates his 2 before it is closed.
    let owner = agent.id.to_string();
    resolve(&app, &first, &owner).await;
    assert_eq!(act(&app, &first, "close", &[]).await, 303);
    resolve(&app, &other, &owner).await;
    for (page, score) in [(&first, 4), (&other, 2)] {
        app.store
            .complaints
            .execute(
                &reference_of(page),
                ComplaintCommand::new(
                    Actor::Customer,
                    ComplaintAction::RecordSatisfaction {
                        score,
                        comment: None,
                        would_change: None,
                    },
                ),
            )
            .await
            .unwrap();
    }
    app.store.projections.run_until_idle().await.unwrap();

    let (status, list) = text(&app, "/companies").await;
    assert_eq!(status, 200);
    let fabrikam = list.find("Fabrikam Retail").expect("Fabrikam is listed");
    let contoso = list.find("Contoso Ltd").expect("Contoso is listed");
    assert!(fabrikam < contoso, "most complaints first");
    assert_eq!(
        list.matches("fabrikam").count(),
        0,
        "one file, as first written"
    );
    let (_, found) = text(&app, "/companies?q=CONTO").await;
    assert!(found.contains("Contoso Ltd") && !found.contains("Fabrikam Retail"));

    let (status, file) = text(&app, &company_path("Fabrikam Retail")).await;
    assert_eq!(status, 200);
    assert!(file.contains("3 (2 open)"), "counts: {file}");
    assert!(file.contains("3 of 5, over 2 rated complaints"), "{file}");
    for page in [&first, &second, &other] {
        assert!(file.contains(page.trim_start_matches("/complaints/")));
    }
    // Contacts: Ana (two complaints) before Ion (one), each linked to their file.
    let ana = file.find("Ana Pop").expect("Ana is a contact");
    let ion = file.find("Ion Ionescu").expect("Ion is a contact");
    assert!(ana < ion, "more complaints first");
    assert!(file.contains("4 of 5") && file.contains("2 of 5"));

    // The complaint page and the queue link to the file.
    let (_, page) = text(&app, &first).await;
    assert!(page.contains(&company_path("Fabrikam Retail")));
    let (_, queue) = text(&app, "/complaints").await;
    assert!(queue.contains(&company_path("Contoso Ltd")));
    app.stop().await;
}

async fn only_managers_change_a_tier_and_later_complaints_record_it(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let before = take(&app, "Ana Pop", "ana@example.com", "Northwind Traders").await;
    app.store.projections.run_until_idle().await.unwrap();
    let path = company_path("Northwind Traders");
    let (_, file) = text(&app, &path).await;
    assert!(
        !file.contains("name=\"tier\""),
        "agents are not offered the tier"
    );

    // An agent keeps notes, but cannot make a key account.
    let csrf = csrf_in(&file);
    let response = app
        .post_form(
            &path,
            &[("csrf", &csrf), ("tier", "key_account"), ("notes", "x")],
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = app
        .post_form(&path, &[("csrf", &csrf), ("notes", "Buys for 40 shops.")])
        .await;
    assert_eq!(response.status(), 303);
    let (_, file) = text(&app, &path).await;
    assert!(file.contains("Buys for 40 shops.") && file.contains("Standard"));

    // A manager does.
    let manager = app.another_visitor();
    manager.sign_in_as(Role::Manager).await;
    let (_, file) = text(&manager, &path).await;
    assert!(file.contains("name=\"tier\""));
    let response = manager
        .post_form(
            &path,
            &[
                ("csrf", &csrf_in(&file)),
                ("tier", "key_account"),
                ("notes", "Buys for 40 shops."),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);

    let after = take(&app, "Ion Ionescu", "ion@example.com", "northwind traders").await;
    app.store.projections.run_until_idle().await.unwrap();
    let tier_of = |page: &str| {
        let reference = page.trim_start_matches("/complaints/").to_string();
        let store = app.store.clone();
        async move {
            store
                .complaint_list
                .get(&reference)
                .await
                .unwrap()
                .unwrap()
                .tier
        }
    };
    assert_eq!(
        tier_of(&before).await,
        "standard",
        "a complaint keeps its tier"
    );
    assert_eq!(tier_of(&after).await, "key_account");
    let (_, page) = text(&app, &after).await;
    assert!(page.contains("Key account"));
    let (_, queue) = text(&app, "/complaints").await;
    assert_eq!(queue.matches("Key account").count(), 1, "{queue}");

    // A manager opens a file for a company that has not complained yet; opening it again
    // finds the same file.
    let (_, list) = text(&manager, "/companies").await;
    let form = [
        ("csrf", csrf_in(&list)),
        ("name", "Litware Inc".to_string()),
        ("tier", "key_account".to_string()),
        ("notes", String::new()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = manager.post_form("/companies", &form).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.ends_with("done=opened"), "{location}");
    let again = manager.post_form("/companies", &form).await;
    assert!(
        again.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("done=existed")
    );
    let (_, file) = text(&manager, &location).await;
    assert!(file.contains("Litware Inc") && file.contains("Key account"));
    let first = take(&app, "Olivia Bennett", "olivia@example.com", "LITWARE INC").await;
    app.store.projections.run_until_idle().await.unwrap();
    assert_eq!(tier_of(&first).await, "key_account");
    app.stop().await;
}

async fn a_contacts_file_keeps_notes_and_shows_every_communication_until_erasure(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let first = take(&app, "Ana Pop", "ana@example.com", "Fabrikam Retail").await;
    let second = take(&app, "Ana Pop", "ana@example.com", "Fabrikam Retail").await;
    take(&app, "Ion Ionescu", "ion@example.com", "Fabrikam Retail").await;
    assert_eq!(
        act(
            &app,
            &first,
            "acknowledge",
            &[("apology", "We are so sorry, Ana.")]
        )
        .await,
        303
    );
    assert_eq!(
        act(&app, &second, "acknowledge", &[("apology", "Sorry again.")]).await,
        303
    );
    assert_eq!(
        act(
            &app,
            &second,
            "record_customer_statement",
            &[
                ("channel", "phone"),
                ("statement", "She called again, upset.")
            ],
        )
        .await,
        303
    );
    assert_eq!(
        act(
            &app,
            &second,
            "record_fact",
            &[("fact", "An internal note")]
        )
        .await,
        303
    );
    app.store.projections.run_until_idle().await.unwrap();
    let customer = app
        .store
        .complaint_list
        .get(reference_of(&first).as_str())
        .await
        .unwrap()
        .unwrap()
        .customer_id;
    let path = format!("/customers/{customer}");

    let (status, file) = text(&app, &path).await;
    assert_eq!(status, 200);
    assert!(file.contains("ana@example.com"));
    // The language named as the complaint page names it.
    assert!(
        file.contains("<dt>Language</dt><dd>English</dd>"),
        "the contact file names the language by its code"
    );
    for words in [
        "We are so sorry, Ana.",
        "She called again, upset.",
        "Two weeks late, and nobody told me.",
        first.trim_start_matches("/complaints/"),
        second.trim_start_matches("/complaints/"),
    ] {
        assert!(file.contains(words), "{words} missing from the file");
    }
    assert!(
        !file.contains("An internal note"),
        "facts are not communications"
    );
    // Newest first: the statement (second complaint) before the apology (first).
    assert!(file.find("She called again").unwrap() < file.find("We are so sorry").unwrap());

    // Notes: Ana becomes a major contact with a title, and leads the company's contacts.
    let response = app
        .post_form(
            &path,
            &[
                ("csrf", &csrf_in(&file)),
                ("major", "on"),
                ("title", "Head of purchasing"),
                ("notes", "Prefers a call before 10:00."),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, file) = text(&app, &path).await;
    assert!(file.contains("Head of purchasing") && file.contains("Prefers a call"));
    assert!(file.contains("Major contact"));
    let (_, company) = text(&app, &company_path("Fabrikam Retail")).await;
    assert!(company.find("Ana Pop").unwrap() < company.find("Ion Ionescu").unwrap());
    assert!(company.contains("Head of purchasing"));

    // Erasure: the notes go with the key; the file says so and keeps nothing new.
    app.store
        .complaints
        .erase_customer(
            redress_domain::CustomerId(customer),
            Actor::System {
                name: "test".into(),
            },
            "Data-subject request",
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    let (status, file) = text(&app, &path).await;
    assert_eq!(status, 200);
    for gone in [
        "Ana Pop",
        "ana@example.com",
        "Head of purchasing",
        "Prefers a call",
        "She called again",
    ] {
        assert!(!file.contains(gone), "{gone} survived erasure");
    }
    assert!(file.contains("Personal data erased"));
    let response = app
        .post_form(&path, &[("csrf", &csrf_in(&file)), ("title", "Anything")])
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        app.store
            .companies
            .contact(redress_domain::CustomerId(customer))
            .await
            .unwrap(),
        Default::default()
    );
    app.stop().await;
}

async fn bad_file_requests_get_clear_errors_and_write_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    // Signed out: nothing to see.
    for path in ["/companies", &company_path("Fabrikam Retail"), "/account"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert!(
            response.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/sign-in")
        );
    }
    app.sign_in_as(Role::Agent).await;
    take(&app, "Ana Pop", "ana@example.com", "Fabrikam Retail").await;
    app.store.projections.run_until_idle().await.unwrap();
    let path = company_path("Fabrikam Retail");
    for missing in [
        company_path("Nobody Ltd"),
        "/companies/not-an-id".to_string(),
        format!("/customers/{}", uuid::Uuid::new_v4()),
        "/customers/42".to_string(),
    ] {
        assert_eq!(app.get(&missing).await.status(), 404, "{missing}");
    }
    let (_, file) = text(&app, &path).await;
    let csrf = csrf_in(&file);
    // No CSRF token: refused.
    let response = app.post_form(&path, &[("notes", "sneaky")]).await;
    assert_eq!(response.status(), 403);
    // Too long: the reason, and the text kept.
    let long = "n".repeat(10_001);
    let response = app
        .post_form(&path, &[("csrf", &csrf), ("notes", &long)])
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("at most 10000 characters"), "{body}");
    assert!(body.contains(&long));
    // An unknown tier: a clear 400.
    let response = app
        .post_form(&path, &[("csrf", &csrf), ("tier", "gold"), ("notes", "")])
        .await;
    assert_eq!(response.status(), 400);
    // A nameless company.
    let response = app
        .post_form("/companies", &[("csrf", &csrf), ("name", "  ")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(unescape(&response.text().await.unwrap()).contains("Give the company's name."));
    // Oversized bodies are refused before they are read.
    let huge = "x".repeat(redress_web::MAX_FORM_BYTES + 1);
    let response = app
        .post_form(&path, &[("csrf", &csrf), ("notes", &huge)])
        .await;
    assert_eq!(response.status(), 413);
    let company = app
        .store
        .companies
        .get(CompanyId::for_name("Fabrikam Retail").0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(company.notes, "", "nothing was written");
    assert_eq!(company.updated_by, None);
    app.stop().await;
}

async fn times_are_shown_in_the_viewers_time_zone(db: TestDb) {
    let app = spawn_app(db).await;
    let agent = app.sign_in_as(Role::Agent).await;
    let page = take(&app, "Ana Pop", "ana@example.com", "Fabrikam Retail").await;
    let (_, html) = text(&app, &page).await;
    assert!(html.contains(" UTC</time>"), "UTC until a zone is chosen");

    let (_, account) = text(&app, "/account").await;
    assert!(account.contains("<option>Asia/Tokyo</option>"));
    let csrf = csrf_in(&account);
    let response = app
        .post_form("/account", &[("csrf", &csrf), ("time_zone", "Mars/Base")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("not a time zone we know")
    );
    let response = app
        .post_form("/account", &[("csrf", &csrf), ("time_zone", "Asia/Tokyo")])
        .await;
    assert_eq!(response.status(), 303);
    let (_, html) = text(&app, &page).await;
    assert!(html.contains(" JST</time>"), "times in Tokyo time");
    assert!(!html.contains(" UTC</time>"));

    // The browser's zone is taken at sign-in when the account has none.
    let (_, sign_in) = text(&app, "/sign-in").await;
    assert!(sign_in.contains("data-browser-time-zone"));
    let other = app.another_visitor();
    let manager = other.sign_in_as(Role::Manager).await;
    assert_eq!(manager.time_zone, None);
    let fresh = app.another_visitor();
    let (_, form) = text(&fresh, "/sign-in").await;
    let response = fresh
        .post_form(
            "/sign-in",
            &[
                ("email", manager.email.as_str()),
                ("password", crate::PASSWORD),
                ("csrf", &csrf_in(&form)),
                ("next", "/complaints"),
                ("time_zone", "Europe/Bucharest"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let stored = app.store.accounts.get(manager.id).await.unwrap().unwrap();
    assert_eq!(stored.time_zone.as_deref(), Some("Europe/Bucharest"));
    // ...and never overrides a zone the person chose.
    let agent_client = app.another_visitor();
    let (_, form) = text(&agent_client, "/sign-in").await;
    agent_client
        .post_form(
            "/sign-in",
            &[
                ("email", agent.email.as_str()),
                ("password", crate::PASSWORD),
                ("csrf", &csrf_in(&form)),
                ("next", "/complaints"),
                ("time_zone", "America/New_York"),
            ],
        )
        .await;
    let stored = app.store.accounts.get(agent.id).await.unwrap().unwrap();
    assert_eq!(stored.time_zone.as_deref(), Some("Asia/Tokyo"));
    app.stop().await;
}
