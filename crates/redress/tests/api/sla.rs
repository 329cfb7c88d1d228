//! SLA clocks through the running server: breach alerts by real SMTP (once, across a
//! restart), the cause recorded from the complaint page, the dashboard and its filters, and
//! the policy editor, on both backends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use redress_domain::{
    Actor, BusinessCalendar, Channel, CustomerEmail, Language, ManualClock, NewComplaint,
    NewCustomer, Preset, Priority, Reference, SlaClock, SlaPolicy, StaffMember, Target, Tier,
};
use redress_store::{Role, Store};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::smtp::SmtpServer;
use crate::{TestApp, csrf_in, settings_for, spawn_app};

on_both_backends!(
    a_breach_alerts_the_owner_once_across_a_restart_and_the_cause_is_recorded_on_the_page,
    the_dashboard_shows_states_and_takes_its_filters_from_the_url,
    admins_keep_the_policy_in_versions_and_nobody_else_may,
    a_list_longer_than_the_dashboard_shows_says_so,
    working_time_left_is_told_in_business_days_of_the_calendar,
    a_breach_cause_just_recorded_is_on_the_page_before_the_projection_has_it,
);

/// Read your own writes for breaches: the complaint page after recording a breach's cause
/// shows the cause, though no projector has run since (a web-only server, its workers
/// nowhere).
async fn a_breach_cause_just_recorded_is_on_the_page_before_the_projection_has_it(db: TestDb) {
    let settings = settings_for(&db);
    let store = redress::open_store(&settings).await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = redress::start_as(
        listener,
        store.clone(),
        &settings,
        redress::ServeRole::WebOnly,
    )
    .await
    .unwrap();
    let app = TestApp::from_running(db, store, running);
    app.sign_in_as(Role::Agent).await;
    let (past_store, _clock) = past(&app).await;
    let reference = past_store
        .complaints
        .receive(
            Actor::Customer,
            complaint("Olivia Bennett", "olivia@example.co.uk", Tier::Standard),
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    app.store.sla.tick(Utc::now()).await.unwrap();
    let page = format!("/complaints/{reference}");
    // Picked from the list of root causes, with words or without; a code off the list is
    // refused.
    app.store
        .root_causes
        .create(
            "lunch-cover",
            &redress_store::root_causes::CauseDraft {
                category: None,
                names: vec![
                    "No cover at lunch".into(),
                    "Sin cobertura al mediodía".into(),
                    "Fără acoperire la prânz".into(),
                    "午餐时间无人值守".into(),
                ],
                retired: false,
            },
            &[],
            Utc::now(),
        )
        .await
        .unwrap();
    let html = app.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("Record the cause"),
        "no breach on the page: {html}"
    );
    assert!(html.contains("<option value=\"lunch-cover\">No cover at lunch</option>"));
    let off_the_list = app
        .post_form(
            &format!("{page}/sla/cause"),
            &[
                ("csrf", csrf_in(&html).as_str()),
                ("clock", "acknowledge"),
                ("cycle", "1"),
                ("root_cause", "no-such-cause"),
                ("cause", ""),
            ],
        )
        .await;
    assert_eq!(off_the_list.status(), 400);
    let picked = app
        .post_form(
            &format!("{page}/sla/cause"),
            &[
                ("csrf", csrf_in(&html).as_str()),
                ("clock", "acknowledge"),
                ("cycle", "1"),
                ("root_cause", "lunch-cover"),
                ("cause", "Two people off sick."),
            ],
        )
        .await;
    assert_eq!(picked.status(), 303);
    let after = app.get(&page).await.text().await.unwrap();
    assert!(
        after.contains(
            "<p class=\"cause\">Cause: <q>No cover at lunch (lunch-cover): Two people off sick.</q>"
        ),
        "the cause just recorded, picked from the list, is not on its breach: {after}"
    );
    app.stop().await;
}

/// Working time left is told in the calendar's working days (8 hours each in the default
/// Monday–Friday 09:00–17:00), not in 24-hour days: 87 working hours are "10 business days
/// 7 h", never "3 d 15 h".
async fn working_time_left_is_told_in_business_days_of_the_calendar(db: TestDb) {
    let clock = ManualClock::at(
        chrono::DateTime::parse_from_rfc3339("2026-03-09T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    );
    let app = crate::spawn_app_on_clock(db, clock.clone()).await;
    app.sign_in_as(Role::Agent).await;
    let reference = app
        .store
        .complaints
        .receive(
            Actor::Customer,
            complaint("Olivia Bennett", "olivia@example.co.uk", Tier::Standard),
        )
        .await
        .unwrap();
    let html = app
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    // Resolve: 10 business days, due at the close of Monday 23 March; 7 hours are left today.
    assert!(html.contains("10 business days 7 h left"), "{html}");
    // Commit: 3 business days, due at the close of Thursday 12 March.
    assert!(html.contains("3 business days 7 h left"), "{html}");
    assert!(!html.contains(" d 15 h"), "{html}");
    // On the last day, hours only: Thursday 12 March, 13:00, the commit clock has 4 hours.
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-03-12T13:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    );
    let html = app
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("4 h 0 min of working time left"), "{html}");
    app.stop().await;
}

/// The breached list shows the 50 most urgent, and says how many there are in all.
async fn a_list_longer_than_the_dashboard_shows_says_so(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let (store, _clock) = past(&app).await;
    for i in 0..52 {
        store
            .complaints
            .receive(
                Actor::Customer,
                complaint(
                    "Olivia Bennett",
                    &format!("olivia{i}@example.co.uk"),
                    Tier::Standard,
                ),
            )
            .await
            .unwrap();
    }
    app.store.projections.run_until_idle().await.unwrap();
    app.store.sla.tick(Utc::now()).await.unwrap();
    let html = app.get("/sla").await.text().await.unwrap();
    assert!(html.contains("data-count=\"breached\">52<"), "52 breached");
    let breached = &html[html.find("id=\"breached\"").unwrap()..];
    let breached = &breached[..breached.find("</section>").unwrap()];
    // Links read as a browser reads them.
    let breached = breached.replace("&#x2F;", "/");
    // The most urgent ten, not a page of 52: the rest are a link away, in the queue.
    assert_eq!(breached.matches("<tr data-reference=").count(), 10);
    assert!(
        breached.contains("Showing the 10 most urgent of 52"),
        "the list does not say it is cut short"
    );
    let link = breached
        .split("href=\"/complaints?sla=breached")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/complaints?sla=breached{}", rest.replace("&amp;", "&")))
        .unwrap_or_else(|| panic!("a link to the rest in the queue: {breached}"));
    let queue = app.get(&link).await.text().await.unwrap();
    assert!(queue.contains("52 complaints match."), "{link}: {queue}");
    // Grouped by owner (nobody owns these yet), each group linking to its own queue.
    assert!(
        breached.contains("By owner: <a href=\"/complaints?sla=breached&amp;sort=priority&amp;owner=unassigned&amp;team=all\"><em>No owner</em> (52)</a>"),
        "{breached}"
    );
    let unassigned = app
        .get("/complaints?sla=breached&sort=priority&owner=unassigned")
        .await
        .text()
        .await
        .unwrap();
    assert!(unassigned.contains("52 complaints match."));
    // At risk now: none of them (they are all breached).
    let at_risk_queue = app
        .get("/complaints?sla=at_risk")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        at_risk_queue.contains("0 complaints match."),
        "{at_risk_queue}"
    );
    assert_eq!(app.get("/complaints?sla=late").await.status(), 400);
    // A list that fits says nothing of the kind.
    let at_risk = &html[html.find("id=\"at_risk\"").unwrap()..];
    let at_risk = &at_risk[..at_risk.find("</section>").unwrap()];
    assert!(!at_risk.contains("Showing the"));
    app.stop().await;
}

/// A policy whose acknowledgement is due 30 minutes after receipt, around the clock.
fn half_hour_policy() -> SlaPolicy {
    let mut policy = Preset::Default.policy(BusinessCalendar::always());
    for tier in Tier::ALL {
        for priority in Priority::ALL {
            policy.set_target(
                *tier,
                *priority,
                SlaClock::Acknowledge,
                Some(Target::parse("30 minutes").unwrap()),
            );
        }
    }
    policy
}

fn complaint(name: &str, email: &str, tier: Tier) -> NewComplaint {
    NewComplaint {
        reference: Reference::parse("RDR-0000-0000").unwrap(),
        customer: NewCustomer {
            name: name.into(),
            email: Some(CustomerEmail::parse(email).unwrap()),
            phone: None,
            language: Language::En,
        },
        company: None,
        tier,
        channel: Channel::Phone,
        category: "Delivery".into(),
        summary: "The parcel never came".into(),
        description: "Ordered in May; nothing arrived.".into(),
        remedy_requested: None,
        priority: Priority::Normal,
        routing: None,
    }
}

/// A store over the app's database with the half-hour policy in effect since two hours ago,
/// and its clock set an hour ago, to write what happened then.
async fn past(app: &TestApp) -> (Store, ManualClock) {
    let clock = ManualClock::at(Utc::now() - chrono::Duration::hours(2));
    let store = redress::open_store_with_clock(&settings_for(&app.db), Arc::new(clock.clone()))
        .await
        .unwrap();
    store
        .sla
        .policies
        .save(&half_hour_policy(), "Fast", "Test")
        .await
        .unwrap();
    clock.advance(chrono::Duration::hours(1));
    (store, clock)
}

async fn sla_messages(smtp: &SmtpServer) -> Vec<String> {
    smtp.received()
        .iter()
        .filter_map(|m| {
            let subject = m.parsed().subject().unwrap_or_default().to_string();
            subject.starts_with("[SLA").then_some(subject)
        })
        .collect()
}

async fn a_breach_alerts_the_owner_once_across_a_restart_and_the_cause_is_recorded_on_the_page(
    db: TestDb,
) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let extra = [
        ("REDRESS_SMTP_URL", url.as_str()),
        ("REDRESS_MAIL_FROM", "Complaints <complaints@shop.example>"),
    ];
    // The subject is the workers (projector, scheduler, sender) doing it on their own.
    let app = crate::spawn_live_app_with(db, &extra).await;
    let owner = app.sign_in_as(Role::Agent).await;
    let (store, _clock) = past(&app).await;
    // An hour ago: received, and an owner named at once; nobody acknowledged it.
    let reference = store
        .complaints
        .receive(
            Actor::Customer,
            complaint("Olivia Bennett", "olivia@example.co.uk", Tier::Standard),
        )
        .await
        .unwrap();
    store
        .complaints
        .execute(
            &reference,
            redress_domain::ComplaintCommand::new(
                Actor::System {
                    name: "test".into(),
                },
                redress_domain::ComplaintAction::AssignOwner {
                    owner: StaffMember {
                        id: owner.id,
                        name: owner.name.clone(),
                    },
                },
            ),
        )
        .await
        .unwrap();
    app.store.signal.notify();

    // The running server projects it, its scheduler finds the breach (due half an hour ago)
    // and the mailer tells the owner.
    // Seconds alone; 90 s allow for CI's two cores busy with the rest of the suite (the
    // scheduler's own poll is 30 s, should a wake-up be missed).
    let deadline = Instant::now() + Duration::from_secs(90);
    let alert = loop {
        let alerts: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| {
                m.parsed()
                    .subject()
                    .is_some_and(|s| s.starts_with("[SLA missed]"))
            })
            .collect();
        if let Some(alert) = alerts.into_iter().next() {
            break alert;
        }
        assert!(Instant::now() < deadline, "no SLA alert arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let parsed = alert.parsed();
    let to = parsed
        .to()
        .unwrap()
        .first()
        .unwrap()
        .address()
        .unwrap()
        .to_string();
    assert_eq!(to, owner.email);
    let subject = parsed.subject().unwrap();
    assert!(subject.contains(reference.as_str()), "{subject}");
    assert!(subject.contains("Acknowledge"), "{subject}");
    let text = parsed.body_text(0).unwrap().to_string();
    assert!(text.contains("record the cause"), "{text}");
    assert!(
        text.contains(&format!("/complaints/{reference}#sla")),
        "{text}"
    );

    // A restart during the breach window: nothing is lost or sent twice. The new server's
    // projectors, scheduler and sender are driven here, to the end of what they would do.
    let app = app.restart_as(&extra, redress::ServeRole::WebOnly).await;
    app.store.projections.run_until_idle().await.unwrap();
    app.store.sla.tick(Utc::now()).await.unwrap();
    app.settle().await;
    assert_eq!(sla_messages(&smtp).await.len(), 1, "one alert, once");
    assert_eq!(
        app.store
            .sla
            .breaches_of(reference.as_str())
            .await
            .unwrap()
            .len(),
        1
    );

    // The alert went to staff: the customer's export lists only what was sent to them.
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let customer = app.list_row(reference.as_str()).await.customer_id;
    let export: serde_json::Value = admin
        .get(&format!("/customers/{customer}/export?format=json"))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = export["complaints"][0]["emails_sent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"receipt"), "{kinds:?}");
    assert!(
        !kinds.iter().any(|k| k.starts_with("sla")),
        "staff alerts are not the customer's: {kinds:?}"
    );

    // The owner records the cause from the complaint page.
    app.sign_in(&owner.email, crate::PASSWORD).await;
    let page_path = format!("/complaints/{reference}");
    let html = app.get(&page_path).await.text().await.unwrap();
    assert!(html.contains("id=\"sla\""), "the page shows the clocks");
    assert!(html.contains("data-clock=\"acknowledge\" data-status=\"breached\""));
    assert!(html.contains("Record the cause"));
    let csrf = csrf_in(&html);
    let token_marker = "name=\"form_token\" value=\"";
    let start = html.find(token_marker).unwrap() + token_marker.len();
    let form_token = html[start..start + html[start..].find('"').unwrap()].to_string();
    let cause_path = format!("{page_path}/sla/cause");

    // Empty: refused beside the form, nothing written.
    let response = app
        .post_form(
            &cause_path,
            &[
                ("csrf", &csrf),
                ("form_token", &form_token),
                ("clock", "acknowledge"),
                ("cycle", "1"),
                ("cause", "  "),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("The cause of the breach must not be empty"),
        "{body}"
    );
    // A clock that was not breached, a clock that does not exist, no CSRF token.
    for (clock, cycle, csrf, status) in [
        ("owner", "1", csrf.as_str(), 404),
        ("lunch", "1", csrf.as_str(), 400),
        ("acknowledge", "one", csrf.as_str(), 400),
        ("acknowledge", "1", "forged", 403),
    ] {
        let response = app
            .post_form(
                &cause_path,
                &[
                    ("csrf", csrf),
                    ("clock", clock),
                    ("cycle", cycle),
                    ("cause", "x"),
                ],
            )
            .await;
        assert_eq!(response.status(), status, "{clock} {cycle} {csrf}");
    }
    let form = [
        ("csrf", csrf.as_str()),
        ("form_token", form_token.as_str()),
        ("clock", "acknowledge"),
        ("cycle", "1"),
        ("cause", "The weekend rota had nobody on the phone queue."),
    ];
    let response = app.post_form(&cause_path, &form).await;
    assert_eq!(response.status(), 303);
    // The same form again (a double click, a back button): recognised, nothing twice.
    let again = app.post_form(&cause_path, &form).await;
    assert_eq!(again.status(), 303);
    assert!(
        again.headers()["location"]
            .to_str()
            .unwrap()
            .contains("resubmitted=1")
    );
    let events = app.store.complaints.events_of(&reference).await.unwrap();
    let causes = events
        .iter()
        .filter(|e| e.change.name() == "BreachCauseRecorded")
        .count();
    assert_eq!(causes, 1);
    app.store.projections.run_until_idle().await.unwrap();
    let html = app.get(&page_path).await.text().await.unwrap();
    assert!(
        html.contains("The weekend rota had nobody on the phone queue."),
        "the cause is shown"
    );
    let breach = app
        .store
        .sla
        .breach(reference.as_str(), SlaClock::Acknowledge, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(breach.cause_by.as_deref(), Some(owner.name.as_str()));
    app.stop().await;
}

async fn the_dashboard_shows_states_and_takes_its_filters_from_the_url(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let (store, clock) = past(&app).await;
    let late = store
        .complaints
        .receive(
            Actor::Customer,
            complaint("Olivia Bennett", "olivia@example.co.uk", Tier::Standard),
        )
        .await
        .unwrap();
    clock.set(Utc::now());
    let fresh = store
        .complaints
        .receive(
            Actor::Customer,
            complaint("Zoë Qu", "zoe@example.com", Tier::KeyAccount),
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    app.store.sla.tick(Utc::now()).await.unwrap();

    let count = |html: &str, state: &str| -> i64 {
        let marker = format!("data-count=\"{state}\">");
        let start = html.find(&marker).expect("a count") + marker.len();
        html[start..start + html[start..].find('<').unwrap()]
            .parse()
            .unwrap()
    };
    let response = app.get("/sla").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert_eq!(count(&html, "breached"), 1);
    assert_eq!(count(&html, "on_track") + count(&html, "at_risk"), 1);
    let breached_section =
        &html[html.find("id=\"breached\"").unwrap()..html.find("id=\"at_risk\"").unwrap()];
    assert!(breached_section.contains(late.as_str()));
    assert!(!breached_section.contains(fresh.as_str()));

    let keys = app.get("/sla?tier=key_account").await.text().await.unwrap();
    assert_eq!(count(&keys, "breached"), 0);
    assert!(keys.contains("<option value=\"key_account\" selected>"));
    // The live part alone, for the page's own refresh: a small document of its own, with its
    // language and title (a valid document, not a bare fragment), without the page around it.
    let partial = app.get("/sla?tier=key_account&partial=1").await;
    assert_eq!(partial.status(), 200);
    let partial = partial.text().await.unwrap();
    assert!(partial.starts_with("<!DOCTYPE html>"), "{partial}");
    assert!(partial.contains("<html lang=\"en\">"));
    assert!(partial.contains("<title>SLA dashboard, as of now · Redress</title>"));
    assert!(!partial.contains("<header") && !partial.contains("<form"));
    assert_eq!(count(&partial, "breached"), 0);
    // A filter that makes no sense is refused with what to do.
    for (query, says) in [
        ("priority=whenever", "is not a priority"),
        ("owner=someone", "is not a member of staff"),
        ("period=12", "is not a period"),
    ] {
        let response = app.get(&format!("/sla?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let body = response.text().await.unwrap();
        assert!(body.contains(says), "{query}: {body}");
    }
    let rules = app.get("/sla/rules").await.text().await.unwrap();
    assert!(rules.contains("pauses while we wait on the customer"));
    assert!(
        rules.contains("30 minutes"),
        "the policy in effect is shown"
    );
    app.stop().await;
}

async fn admins_keep_the_policy_in_versions_and_nobody_else_may(db: TestDb) {
    let app = spawn_app(db).await;
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Manager).await;
    assert_eq!(agent.get("/admin/sla").await.status(), 403);
    let html = agent.get("/sla").await.text().await.unwrap();
    let response = agent
        .post_form(
            "/admin/sla",
            &[("csrf", &csrf_in(&html)), ("preset", "cfpb")],
        )
        .await;
    assert_eq!(response.status(), 403);

    app.sign_in_as(Role::Admin).await;
    let page = app.get("/admin/sla").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let csrf = csrf_in(&html);
    let versions = || async { app.store.sla.policies.versions().await.unwrap() };
    assert_eq!(versions().await.len(), 1);

    // Mistakes: each named, nothing saved.
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("name".into(), "Our standards".into()),
        ("time_zone".into(), "Europe/Narnia".into()),
        ("hours_mon".into(), "9 till 5".into()),
        ("at_risk_percent".into(), "20".into()),
        ("t_standard_normal_resolve".into(), "a fortnight".into()),
    ];
    let response = app
        .client
        .post(format!("{}/admin/sla", app.address))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for says in [
        "is not a time zone",
        "Monday: &quot;9 till 5&quot; is not a span of hours",
        "Standard, normal priority, resolve",
    ] {
        assert!(body.contains(says), "{says}: {body}");
    }
    assert!(
        body.contains("value=\"Our standards\""),
        "what was typed is kept"
    );
    assert_eq!(versions().await.len(), 1);

    // A preset replaces the whole policy: the first press only asks, saving nothing.
    let response = app
        .post_form("/admin/sla", &[("csrf", &csrf), ("preset", "fca_disp")])
        .await;
    assert_eq!(response.status(), 200);
    let asked = response.text().await.unwrap();
    assert!(
        asked.contains("Replace the whole policy with UK FCA DISP?"),
        "{asked}"
    );
    assert!(asked.contains("name=\"confirm\" value=\"yes\""), "{asked}");
    assert!(
        asked.contains("class=\"danger\">Replace the policy"),
        "{asked}"
    );
    assert_eq!(versions().await.len(), 1, "asking saved a version");
    // Confirmed: a new version, the calendar kept.
    let response = app
        .post_form(
            "/admin/sla",
            &[("csrf", &csrf), ("preset", "fca_disp"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/sla?saved=2");
    let saved = app.get("/admin/sla?saved=2").await.text().await.unwrap();
    assert!(saved.contains("Saved as version 2"));
    let current = app.store.sla.policies.current().await.unwrap();
    assert_eq!(current.policy.name, "UK FCA DISP");
    assert_eq!(current.created_by, "Test admin");

    // An edit: London hours, a holiday, one target.
    form = vec![
        ("csrf".into(), csrf.clone()),
        ("name".into(), "Our standards".into()),
        ("time_zone".into(), "Europe/London".into()),
        ("at_risk_percent".into(), "20".into()),
        (
            "holidays".into(),
            "2026-12-25 Christmas Day\n2026-12-28".into(),
        ),
        ("t_standard_normal_resolve".into(), "8 weeks".into()),
        (
            "t_key_account_urgent_acknowledge".into(),
            "1 business hour".into(),
        ),
        ("note".into(), "London office hours".into()),
    ];
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        form.push((format!("hours_{day}"), "09:00-12:30, 13:30-17:30".into()));
    }
    let response = app
        .client
        .post(format!("{}/admin/sla", app.address))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let current = app.store.sla.policies.current().await.unwrap();
    assert_eq!(current.version, 3);
    assert_eq!(current.note, "London office hours");
    let policy = &current.policy;
    assert_eq!(policy.calendar.time_zone.name(), "Europe/London");
    assert_eq!(policy.calendar.hours[0].len(), 2);
    assert!(policy.calendar.hours[5].is_empty());
    assert_eq!(policy.calendar.holidays.len(), 2);
    assert_eq!(
        policy
            .target(Tier::Standard, Priority::Normal, SlaClock::Resolve)
            .map(|t| t.to_string()),
        Some("8 weeks".into())
    );
    assert_eq!(
        policy.target(Tier::Standard, Priority::Normal, SlaClock::Acknowledge),
        None,
        "an empty field is no target"
    );
    // The same again: no new version.
    let response = app
        .client
        .post(format!("{}/admin/sla", app.address))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("Nothing changed"));
    assert_eq!(versions().await.len(), 3);
    // Without the CSRF token: refused.
    form[0].1 = "forged".into();
    let response = app
        .client
        .post(format!("{}/admin/sla", app.address))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    app.stop().await;
}
