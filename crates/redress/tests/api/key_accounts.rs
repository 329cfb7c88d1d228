//! Key accounts kept close, on both databases: a manager gives a key account an owner, an agent
//! records a meeting with one of its contacts; the key account not met for longer than the
//! limit, whose next meeting is overdue, is flagged at risk and the one met recently is not;
//! the owner is reminded by email once; bad meetings are refused with what to fix and write
//! nothing; erasing the contact blanks what the meeting said.

use chrono::{Duration, Utc};
use redress_domain::{
    Actor, Channel, CustomerEmail, Language, NewComplaint, NewCustomer, Priority, Reference, Tier,
};
use redress_store::Role;
use redress_testing::{TestDb, on_both_backends};

use crate::{TestApp, Visitor, csrf_in, spawn_app};

on_both_backends!(
    a_key_account_not_met_for_months_is_flagged_and_its_owner_reminded_once,
    bad_meetings_and_owners_are_refused_and_write_nothing,
);

/// A complaint from `email` for `company`; returns its customer's id.
async fn complaint_for(app: &TestApp, company: &str, email: &str) -> uuid::Uuid {
    let reference = app
        .store
        .complaints
        .receive(
            Actor::Customer,
            NewComplaint {
                reference: Reference::parse("RDR-0000-0000").unwrap(),
                customer: NewCustomer {
                    name: "Ana Pop".into(),
                    email: Some(CustomerEmail::parse(email).unwrap()),
                    phone: None,
                    language: Language::En,
                },
                company: Some(company.into()),
                tier: Tier::Standard,
                channel: Channel::Email,
                category: "Billing".into(),
                summary: "Charged twice".into(),
                description: "Charged twice.".into(),
                remedy_requested: None,
                priority: Priority::Normal,
                routing: None,
            },
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    app.list_row(reference.as_str()).await.customer_id
}

async fn key_account(app: &TestApp, name: &str) -> uuid::Uuid {
    app.store
        .companies
        .open_file(name, Tier::KeyAccount, "", "test")
        .await
        .unwrap()
        .0
}

async fn meet(
    visitor: &Visitor,
    company: uuid::Uuid,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = visitor
        .get(&format!("/companies/{company}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    visitor
        .post_form(&format!("/companies/{company}/meetings"), &form)
        .await
}

async fn a_key_account_not_met_for_months_is_flagged_and_its_owner_reminded_once(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let acme = key_account(&app, "Acme Freight").await;
    let beta = key_account(&app, "Beta Stores").await;
    let contact = complaint_for(&app, "Acme Freight", "ana@acme.example").await;
    let today = Utc::now().date_naive();
    let long_ago = (today - Duration::days(200)).to_string();
    let overdue = (today - Duration::days(10)).to_string();

    // A manager gives Acme an owner (themselves).
    let manager = app.another_visitor();
    let owner = manager.sign_in_as(Role::Manager).await;
    let page = manager
        .get(&format!("/companies/{acme}"))
        .await
        .text()
        .await
        .unwrap();
    let saved = manager
        .post_form(
            &format!("/companies/{acme}/owner"),
            &[("csrf", &csrf_in(&page)), ("owner", &owner.id.to_string())],
        )
        .await;
    assert_eq!(saved.status(), 303);

    // An agent records a meeting with Acme's contact, long ago, and one with Beta last week.
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    let recorded = meet(
        &agent,
        acme,
        &[
            ("held_on", &long_ago),
            ("kind", "meeting"),
            ("contact", &contact.to_string()),
            ("who", "Ana Pop (finance), our account team"),
            ("agreed", "A single invoice a month from now on."),
            ("next_due", &overdue),
        ],
    )
    .await;
    assert_eq!(recorded.status(), 303, "{}", recorded.text().await.unwrap());
    let week_ago = (today - Duration::days(7)).to_string();
    let in_a_month = (today + Duration::days(30)).to_string();
    let recorded = meet(
        &agent,
        beta,
        &[
            ("held_on", &week_ago),
            ("kind", "call"),
            ("who", "Their head of stores"),
            ("next_due", &in_a_month),
        ],
    )
    .await;
    assert_eq!(recorded.status(), 303);
    let file = agent
        .get(&format!("/companies/{acme}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(file.contains("A single invoice a month from now on."));
    assert!(file.contains("Test manager"), "the owner is shown");

    // The list: Acme at risk (no contact for 3 months, meeting overdue), Beta not.
    let list = agent.get("/companies/key-accounts").await;
    assert_eq!(list.status(), 200);
    let list = list.text().await.unwrap();
    assert!(list.contains("1 of 2 key accounts at risk."), "{list}");
    let row = |name: &str| {
        list.split("<tr>")
            .find(|r| r.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}"))
            .to_string()
    };
    let acme_row = row("Acme Freight");
    assert!(
        acme_row.contains("No meeting or call for 3 months"),
        "{acme_row}"
    );
    assert!(
        acme_row.contains("The next meeting is overdue"),
        "{acme_row}"
    );
    assert!(acme_row.contains(&long_ago));
    let beta_row = row("Beta Stores");
    assert!(!beta_row.contains("At risk"), "{beta_row}");
    assert!(beta_row.contains(&week_ago));

    // The owner is reminded once, by email, of the meeting due.
    assert_eq!(
        app.store
            .key_accounts
            .queue_reminders(Utc::now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.store
            .key_accounts
            .queue_reminders(Utc::now())
            .await
            .unwrap(),
        0
    );
    app.settle().await;
    let mail = std::fs::read_to_string(dir.join(format!("meeting_due.{acme}.{overdue}.eml")))
        .expect("the reminder was sent");
    assert!(mail.contains("Acme Freight"), "{mail}");
    assert!(mail.contains(&owner.email), "to the owner: {mail}");
    assert!(mail.contains(&format!("/companies/{acme}")));

    // Erasing the contact blanks what the meeting said about them.
    app.store
        .complaints
        .erase_customer(
            redress_domain::CustomerId(contact),
            Actor::System {
                name: "test".into(),
            },
            "asked",
        )
        .await
        .unwrap();
    let meetings = app.store.key_accounts.meetings(acme).await.unwrap();
    assert_eq!(meetings.len(), 1);
    assert!(meetings[0].erased);
    assert_eq!(meetings[0].who, "");
    assert_eq!(meetings[0].agreed, "");
    let file = agent
        .get(&format!("/companies/{acme}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!file.contains("A single invoice a month"));
    app.stop().await;
}

async fn bad_meetings_and_owners_are_refused_and_write_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    let acme = key_account(&app, "Acme Freight").await;
    let other = complaint_for(&app, "Other Ltd", "bo@other.example").await;
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    let today = Utc::now().date_naive();
    let tomorrow = (today + Duration::days(1)).to_string();
    let yesterday = (today - Duration::days(1)).to_string();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("held_on", tomorrow.clone()), ("who", "Ana".into())],
            "is after today",
        ),
        (
            vec![("held_on", "31/12/2026".into()), ("who", "Ana".into())],
            "is not a date; write it as 2026-12-31",
        ),
        (
            vec![
                ("held_on", yesterday.clone()),
                ("who", "Ana".into()),
                ("next_due", yesterday.clone()),
            ],
            "The next meeting must be due after this one",
        ),
        (
            vec![("held_on", yesterday.clone()), ("who", String::new())],
            "Say who was there",
        ),
        (
            vec![
                ("held_on", yesterday.clone()),
                ("contact", other.to_string()),
            ],
            "not one of this company&#x27;s contacts",
        ),
        (
            vec![("held_on", yesterday.clone()), ("who", "x".repeat(501))],
            "at most 500 characters",
        ),
        (
            vec![
                ("held_on", yesterday.clone()),
                ("who", "Ana".into()),
                ("kind", "lunch".into()),
            ],
            "Choose meeting or call.",
        ),
    ];
    for (fields, says) in cases {
        let mut form: Vec<(&str, &str)> = vec![("kind", "meeting")];
        for (name, value) in &fields {
            form.retain(|(n, _)| n != name);
            form.push((name, value.as_str()));
        }
        let response = meet(&agent, acme, &form).await;
        assert_eq!(response.status(), 422, "{fields:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains(says), "{fields:?}: {page}");
        assert!(page.contains("role=\"alert\""));
    }
    assert!(
        app.store
            .key_accounts
            .meetings(acme)
            .await
            .unwrap()
            .is_empty()
    );

    // An unknown company; a form without its token.
    let unknown = uuid::Uuid::new_v4();
    let page = agent
        .get(&format!("/companies/{acme}"))
        .await
        .text()
        .await
        .unwrap();
    let response = agent
        .post_form(
            &format!("/companies/{unknown}/meetings"),
            &[
                ("csrf", &csrf_in(&page)),
                ("held_on", &yesterday),
                ("kind", "call"),
                ("who", "Ana"),
            ],
        )
        .await;
    assert_eq!(response.status(), 404);
    let response = agent
        .post_form(
            &format!("/companies/{acme}/meetings"),
            &[("held_on", &yesterday), ("kind", "call"), ("who", "Ana")],
        )
        .await;
    assert!(response.status().is_client_error());
    assert!(
        app.store
            .key_accounts
            .meetings(acme)
            .await
            .unwrap()
            .is_empty()
    );

    // Only managers give an account its owner, and only to an active member of staff.
    let refused = agent
        .post_form(
            &format!("/companies/{acme}/owner"),
            &[
                ("csrf", &csrf_in(&page)),
                ("owner", &uuid::Uuid::nil().to_string()),
            ],
        )
        .await;
    assert_eq!(refused.status(), 403);
    let manager = app.another_visitor();
    manager.sign_in_as(Role::Manager).await;
    let page = manager
        .get(&format!("/companies/{acme}"))
        .await
        .text()
        .await
        .unwrap();
    let refused = manager
        .post_form(
            &format!("/companies/{acme}/owner"),
            &[("csrf", &csrf_in(&page)), ("owner", "someone")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Choose an active member of staff")
    );
    assert_eq!(app.store.key_accounts.owner(acme).await.unwrap(), None);
    app.stop().await;
}
