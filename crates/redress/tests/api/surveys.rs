//! Periodic surveys, on both databases, through a real SMTP server: waves at fixed moments ask
//! exactly the contacts the rules choose (not those with a complaint open, the erased, the
//! stopped, or those asked too recently; key accounts' major contacts more often), each in
//! their language; the signed link takes one answer; the stop link works once and for good,
//! cancelling what was not yet sent; erasure leaves no words.

use chrono::{DateTime, Duration, Utc};
use redress_domain::{
    Actor, Channel, ComplaintAction, ComplaintCommand, CustomerEmail, CustomerId, Language,
    NewComplaint, NewCustomer, Priority, Reference, Tier,
};
use redress_store::surveys::SurveyRules;
use redress_testing::{TestDb, on_both_backends};
use uuid::Uuid;

use crate::causes::resolve;
use crate::smtp::SmtpServer;
use crate::{TestApp, csrf_in, spawn_app_with};

on_both_backends!(a_wave_asks_whom_the_rules_choose_in_their_language_and_stopping_is_for_good);

/// A complaint from `email` in `language` (for `company`), worked to closure unless `open`.
/// Returns its customer's id.
pub(crate) async fn contact(
    app: &TestApp,
    email: &str,
    language: Language,
    company: Option<&str>,
    open: bool,
) -> Uuid {
    let reference = app
        .store
        .complaints
        .receive(
            Actor::Customer,
            NewComplaint {
                reference: Reference::parse("RDR-0000-0000").unwrap(),
                customer: NewCustomer {
                    name: format!("Contact {email}"),
                    email: Some(CustomerEmail::parse(email).unwrap()),
                    phone: None,
                    language,
                },
                company: company.map(str::to_string),
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
    if !open {
        resolve(app, &reference).await;
        app.store
            .complaints
            .execute(
                &reference,
                ComplaintCommand::new(
                    Actor::System {
                        name: "test".into(),
                    },
                    ComplaintAction::Close,
                ),
            )
            .await
            .unwrap();
    }
    app.store.projections.run_until_idle().await.unwrap();
    app.list_row(reference.as_str()).await.customer_id
}

/// The invitations of `customer`, oldest first: (id, asked at).
async fn invitations(app: &TestApp, customer: Uuid) -> Vec<(Uuid, DateTime<Utc>)> {
    let sql =
        "SELECT id, asked_at FROM survey_invitations WHERE customer_id = $1 ORDER BY asked_at";
    match &app.store.db {
        redress_store::Database::Sqlite(pool) => sqlx::query_as(sql)
            .bind(customer)
            .fetch_all(pool)
            .await
            .unwrap(),
        redress_store::Database::Postgres(pool) => sqlx::query_as(sql)
            .bind(customer)
            .fetch_all(pool)
            .await
            .unwrap(),
    }
}

/// The survey invitations the SMTP server has received, once `count` have (30 s at most).
async fn invitations_received(smtp: &SmtpServer, count: usize) -> Vec<crate::smtp::Received> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let received: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| {
                m.message_id()
                    .trim_start_matches('<')
                    .starts_with("survey.")
            })
            .collect();
        if received.len() >= count || std::time::Instant::now() > deadline {
            return received;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

async fn asked(app: &TestApp, rules: SurveyRules, at: DateTime<Utc>) -> usize {
    app.store.surveys.schedule(rules, at).await.unwrap().asked
}

async fn a_wave_asks_whom_the_rules_choose_in_their_language_and_stopping_is_for_good(db: TestDb) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = spawn_app_with(
        db,
        &[
            ("REDRESS_SMTP_URL", url.as_str()),
            ("REDRESS_MAIL_FROM", "Tienda <quejas@tienda.example>"),
            ("REDRESS_ORGANISATION", "Tienda Ejemplo"),
        ],
    )
    .await;
    let now = Utc::now();
    let rules = SurveyRules {
        every_months: 6,
        key_every_months: 0,
        min_days: 30,
        per_hour: 3_600_000,
    };
    // Nobody is asked while the rules ask nobody.
    let ana = contact(
        &app,
        "ana@example.com",
        Language::En,
        Some("Acme Freight"),
        false,
    )
    .await;
    assert_eq!(asked(&app, SurveyRules::default(), now).await, 0);

    // Ten days ago: Ana (English) and Bea (Spanish) are asked.
    let bea = contact(&app, "bea@example.es", Language::Es, None, false).await;
    assert_eq!(asked(&app, rules, now - Duration::days(10)).await, 2);
    app.settle().await;
    let mails = invitations_received(&smtp, 2).await;
    assert_eq!(mails.len(), 2);
    let subjects: Vec<String> = mails
        .iter()
        .map(|m| m.parsed().subject().unwrap_or_default().to_string())
        .collect();
    assert!(
        subjects.contains(&"If you ran Tienda Ejemplo, what would you change?".to_string()),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"Si usted dirigiera Tienda Ejemplo, ¿qué cambiaría?".to_string()),
        "{subjects:?}"
    );

    // Now: a complaint still open, an erased customer, one who stopped the surveys, and two
    // new contacts. Only the two new ones are asked (Ana and Bea were asked ten days ago).
    let carl = contact(&app, "carl@example.com", Language::En, None, true).await;
    let dora = contact(&app, "dora@example.com", Language::En, None, false).await;
    app.store
        .complaints
        .erase_customer(
            CustomerId(dora),
            Actor::System {
                name: "test".into(),
            },
            "asked",
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    let eve = contact(&app, "eve@example.com", Language::En, None, false).await;
    assert!(app.store.surveys.stop(eve, now).await.unwrap());
    let gus = contact(&app, "gus@example.ro", Language::Ro, None, false).await;
    let hal = contact(&app, "hal@example.cn", Language::Zh, None, false).await;
    // One an hour: the second of the wave waits an hour.
    let slow = SurveyRules {
        per_hour: 1,
        ..rules
    };
    let chosen: Vec<Uuid> = app
        .store
        .surveys
        .choose(slow, now)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.customer_id)
        .collect();
    let mut expected = vec![gus, hal];
    expected.sort();
    assert_eq!(chosen, expected, "only the new contacts");
    for nobody in [carl, dora, eve, ana, bea] {
        assert!(!chosen.contains(&nobody));
    }
    assert_eq!(asked(&app, slow, now).await, 2);
    // The second one's email is not due yet; they stop the surveys at once: it is never sent.
    let second = expected[1];
    let (invitation, _) = invitations(&app, second).await[0];
    let token = app.store.surveys.token(invitation);
    let visitor = app.another_visitor();
    let page = visitor.get(&format!("/survey/{token}/stop")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let stopped = visitor
        .post_form(
            &format!("/survey/{token}/stop"),
            &[("csrf", &csrf_in(&page))],
        )
        .await;
    assert_eq!(stopped.status(), 200);
    let again = visitor
        .post_form(
            &format!("/survey/{token}/stop"),
            &[("csrf", &csrf_in(&page))],
        )
        .await;
    assert_eq!(again.status(), 200, "a second press changes nothing");
    assert!(app.store.surveys.opted_out(second).await.unwrap());
    app.settle().await;
    let mails = invitations_received(&smtp, 3).await;
    assert_eq!(mails.len(), 3, "the first of the wave only");
    // A tampered link opens nothing.
    let tampered = format!("{}x", token);
    assert_eq!(
        visitor.get(&format!("/survey/{tampered}")).await.status(),
        404
    );

    // Ana is a major contact of a key account: asked again 35 days later, when Bea is not.
    app.store
        .companies
        .update(
            redress_domain::CompanyId::for_name("Acme Freight").0,
            Tier::KeyAccount,
            "",
            "test",
        )
        .await
        .unwrap();
    app.store
        .companies
        .update_contact(CustomerId(ana), true, "Buyer", "", "test")
        .await
        .unwrap();
    let often = SurveyRules {
        key_every_months: 1,
        ..rules
    };
    let later = now + Duration::days(25);
    let chosen = app.store.surveys.choose(often, later).await.unwrap();
    assert_eq!(chosen.len(), 1, "{chosen:?}");
    assert_eq!(chosen[0].customer_id, ana);
    assert!(chosen[0].major);
    assert_eq!(chosen[0].company.as_deref(), Some("Acme Freight"));

    // Ana answers her first invitation, once.
    let back_before = came_back(&app, now).await;
    let (first, _) = invitations(&app, ana).await[0];
    let token = app.store.surveys.token(first);
    let answerer = app.another_visitor();
    let page = answerer.get(&format!("/survey/{token}")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("If you ran our company and wanted more customers"));
    let csrf = csrf_in(&page);
    let refused = answerer
        .post_form(
            &format!("/survey/{token}"),
            &[("csrf", &csrf), ("score", "9")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let answered = answerer
        .post_form(
            &format!("/survey/{token}"),
            &[
                ("csrf", &csrf),
                ("score", "2"),
                ("would_change", "Answer the phone before noon."),
                ("wants_contact", "yes"),
            ],
        )
        .await;
    assert_eq!(answered.status(), 303);
    let twice = answerer
        .post_form(
            &format!("/survey/{token}"),
            &[("csrf", &csrf), ("score", "5")],
        )
        .await;
    assert_eq!(twice.status(), 409);
    // Answering a survey counts as coming back in the loyalty report: Ana's one complaint
    // now does (before her follow-up complaint opens).
    assert_eq!(came_back(&app, now).await, back_before + 1);
    let answers = app
        .store
        .surveys
        .answers(now - Duration::days(1), now + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].score, 2);
    assert!(answers[0].wants_contact);
    assert_eq!(
        answers[0].would_change.as_deref(),
        Some("Answer the phone before noon.")
    );

    // Her answer is in the feedback report beside the answers after a complaint, and asking to
    // be contacted opened a follow-up complaint for the team.
    let manager = app.another_visitor();
    manager.sign_in_as(redress_store::Role::Manager).await;
    let csv = manager
        .get("/reports/feedback?format=csv&table=periodic&q=noon")
        .await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("Answer the phone before noon."), "{csv}");
    assert!(csv.contains("Acme Freight"), "{csv}");
    // And in Ana's file, her company's file and what an export holds about her.
    let acme = redress_domain::CompanyId::for_name("Acme Freight").0;
    for path in [format!("/customers/{ana}"), format!("/companies/{acme}")] {
        let page = manager.get(&path).await;
        assert_eq!(page.status(), 200, "{path}");
        let page = page.text().await.unwrap();
        assert!(page.contains("Periodic survey answers"), "{path}");
        assert!(page.contains("Answer the phone before noon."), "{path}");
    }
    let bea_file = manager.get(&format!("/customers/{bea}")).await;
    let bea_file = bea_file.text().await.unwrap();
    assert!(bea_file.contains("No periodic survey answered yet."));
    assert!(!bea_file.contains("Answer the phone before noon."));
    let admin = app.another_visitor();
    admin.sign_in_as(redress_store::Role::Admin).await;
    let export = admin
        .get(&format!("/customers/{ana}/export?format=json"))
        .await;
    assert_eq!(export.status(), 200);
    let export: serde_json::Value = export.json().await.unwrap();
    assert_eq!(
        export["periodic_survey_answers"][0]["would_change"],
        "Answer the phone before noon."
    );
    assert_eq!(export["periodic_survey_answers"][0]["score"], 2);
    app.settle().await;
    let follow_ups: Vec<(String, String, String)> = {
        let sql = "SELECT reference, channel, summary FROM complaint_list
                    WHERE customer_id = $1 AND channel = 'survey'";
        match &app.store.db {
            redress_store::Database::Sqlite(pool) => {
                sqlx::query_as(sql).bind(ana).fetch_all(pool).await.unwrap()
            }
            redress_store::Database::Postgres(pool) => {
                sqlx::query_as(sql).bind(ana).fetch_all(pool).await.unwrap()
            }
        }
    };
    assert_eq!(follow_ups.len(), 1, "{follow_ups:?}");
    assert!(
        follow_ups[0].2.contains("asked to be contacted"),
        "{follow_ups:?}"
    );
    assert_eq!(app.store.recovery.pass().await.unwrap().opened, 0, "once");
    // Erasing Ana leaves her score and no words.
    app.store
        .complaints
        .erase_customer(
            CustomerId(ana),
            Actor::System {
                name: "test".into(),
            },
            "asked",
        )
        .await
        .unwrap();
    let answers = app
        .store
        .surveys
        .answers(now - Duration::days(1), now + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(answers[0].score, 2);
    assert_eq!(answers[0].would_change, None);
    let file = manager.get(&format!("/customers/{ana}")).await;
    let file = file.text().await.unwrap();
    assert!(file.contains("Periodic survey answers"));
    assert!(!file.contains("Answer the phone before noon."), "erased");
    app.stop().await;
}

/// How many complaints received around `now` the loyalty report counts as their customer
/// coming back.
async fn came_back(app: &TestApp, now: DateTime<Utc>) -> i64 {
    app.store
        .reports
        .loyalty(now - Duration::days(1), now + Duration::days(1))
        .await
        .unwrap()
        .iter()
        .map(|cell| cell.tally.came_back)
        .sum()
}
