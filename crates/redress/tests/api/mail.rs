//! Customer emails through the outbox, to a real SMTP server (aiosmtpd), on both backends.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redress_domain::{
    Actor, Channel, CustomerEmail, Language, ManualClock, NewComplaint, NewCustomer, Priority,
    Reference, Tier,
};
use redress_store::{Role, Store};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::smtp::{SmtpServer, free_port};
use crate::{TestApp, Visitor, csrf_in, spawn_app_with, spawn_live_app_with};

on_both_backends!(
    the_customer_gets_every_step_by_email_in_their_language_threaded_together,
    with_smtp_down_complaints_flow_and_every_email_arrives_once_when_it_returns_unless_erased,
    a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_the_one_in_flight,
    a_given_up_email_is_listed_for_admins_who_can_send_it_again,
    without_smtp_emails_are_written_as_files,
    mail_goes_over_starttls_or_tls_with_authentication,
    replies_go_to_the_mailbox_that_is_read_and_emails_say_so,
    an_old_complaints_first_email_starts_its_thread_and_the_next_follow_it,
    a_caller_without_an_email_address_is_recorded_and_sent_nothing,
);

/// A caller with no email address: the intake form takes them (with a phone), the complaint
/// is worked as any other, the recorded calls count as keeping them informed, and not one
/// email is sent or attempted; each owed email is cancelled saying why.
async fn a_caller_without_an_email_address_is_recorded_and_sent_nothing(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app_with(db, &[]).await;
    app.sign_in_as(Role::Agent).await;
    let post = |email: &'static str, phone: &'static str, channel: &'static str| {
        let app = &app;
        async move {
            let html = app.get("/complaints/new").await.text().await.unwrap();
            app.post_form(
                "/complaints/new",
                &[
                    ("csrf", csrf_in(&html).as_str()),
                    ("name", "Albert Frost"),
                    ("email", email),
                    ("phone", phone),
                    ("category", "Delivery"),
                    ("summary", "The order came late"),
                    ("language", "en"),
                    ("channel", channel),
                    ("priority", "normal"),
                    ("description", "Three weeks late, and nobody called."),
                ],
            )
            .await
        }
    };
    // Neither an address nor a phone: nobody could reach them.
    let refused = post("", "", "phone").await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("or a phone number if they have none"),
        "{html}"
    );
    assert!(html.contains("value=\"Albert Frost\""), "the name was lost");
    // A complaint by email without the address it came from is a mistake.
    let refused = post("", "01632 960 123", "email").await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("needs the address it came from")
    );

    let taken = post("", "01632 960 123", "phone").await;
    assert_eq!(taken.status(), 303, "{}", taken.text().await.unwrap());
    let page = taken.headers()["location"].to_str().unwrap().to_string();
    let reference = page.trim_start_matches("/complaints/").to_string();
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("None given: nothing is emailed"), "{html}");
    assert!(html.contains("01632 960 123"));
    act(
        &app,
        &page,
        "acknowledge",
        &[("apology", "I am sorry it came so late.")],
    )
    .await;
    act(
        &app,
        &page,
        "record_communication",
        &[
            ("direction", "outbound"),
            ("channel", "phone"),
            ("summary", "Called to say we are looking into it."),
        ],
    )
    .await;
    drained(&app).await;
    let rows = app.store.outbox.of_complaint(&reference).await.unwrap();
    assert!(
        rows.len() >= 2,
        "the receipt and apology were owed: {rows:?}"
    );
    for row in &rows {
        assert_eq!(row.state, "cancelled", "{row:?}");
        assert_eq!(row.sent_at, None, "{row:?}");
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.contains("gave no email address")),
            "{row:?}"
        );
    }
    let written = std::fs::read_dir(&dir)
        .map(|d| d.count())
        .unwrap_or_default();
    assert_eq!(
        written, 0,
        "an email was written for a customer with no address"
    );
    // The call kept them informed: it met the update clock, which runs afresh from it.
    let (sla, _) = app
        .store
        .sla
        .of_complaint(&reference)
        .await
        .unwrap()
        .expect("the complaint's clocks");
    let update = sla
        .clocks
        .iter()
        .find(|c| c.clock == redress_domain::SlaClock::Update)
        .expect("the update clock");
    assert_eq!(
        update.cycle, 2,
        "the recorded call did not count as an update: {update:?}"
    );
    // Their data is erased on request like anyone's, confirmed by their name (there is no
    // address to type).
    app.sign_in_as(Role::Admin).await;
    let customer = html
        .split("href=\"/customers/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the contact file's link")
        .to_string();
    let erase = format!("/customers/{customer}/erase");
    let form = app.get(&erase).await.text().await.unwrap();
    assert!(
        form.contains("Type the customer&#x27;s name to confirm"),
        "{form}"
    );
    let csrf = csrf_in(&form);
    let wrong = app
        .post_form(
            &erase,
            &[
                ("csrf", csrf.as_str()),
                ("confirm_email", "Someone Else"),
                ("reason", "Asked by phone"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let done = app
        .post_form(
            &erase,
            &[
                ("csrf", csrf.as_str()),
                ("confirm_email", "albert frost"),
                ("reason", "Asked by phone"),
            ],
        )
        .await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    let after = app.get(&page).await.text().await.unwrap();
    assert!(!after.contains("Albert Frost"), "{after}");
    app.stop().await;
}

/// A complaint recorded more than three days ago (an import, back-dated intake) was owed no
/// receipt: its first email starts the thread (no In-Reply-To naming a receipt the customer
/// never got), and the next ones follow that email.
async fn an_old_complaints_first_email_starts_its_thread_and_the_next_follow_it(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app_with(db, &[]).await;
    let agent = app.sign_in_as(Role::Agent).await;
    let clock = redress_domain::ManualClock::at(chrono::Utc::now() - chrono::Duration::days(10));
    let past =
        redress::open_store_with_clock(&crate::settings_for(&app.db), Arc::new(clock.clone()))
            .await
            .unwrap();
    let reference = past
        .complaints
        .receive(Actor::Customer, new_complaint(1))
        .await
        .unwrap();
    drained(&app).await;
    assert!(
        app.store
            .outbox
            .of_complaint(reference.as_str())
            .await
            .unwrap()
            .is_empty()
    );
    let page = format!("/complaints/{reference}");
    let act = |action: &'static str, fields: Vec<(&'static str, String)>| {
        let app = &app;
        let page = page.clone();
        async move {
            let html = app.get(&page).await.text().await.unwrap();
            let csrf = csrf_in(&html);
            let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            let response = app.post_form(&format!("{page}/{action}"), &form).await;
            assert_eq!(response.status(), 303, "{action}");
        }
    };
    act(
        "acknowledge",
        vec![("apology", "Sorry for the wait.".into())],
    )
    .await;
    act("assign_owner", vec![("owner_id", agent.id.to_string())]).await;
    drained(&app).await;
    let read = |kind: &str| {
        let rows = std::fs::read_dir(&dir).unwrap();
        let path = rows
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with(reference.as_str()) && name.ends_with(&format!(".{kind}.eml"))
            })
            .unwrap_or_else(|| panic!("no {kind} email"));
        std::fs::read(path).unwrap()
    };
    let first = read("acknowledgement");
    let first = mail_parser::MessageParser::default().parse(&first).unwrap();
    assert!(
        first.in_reply_to().as_text().is_none() && first.references().as_text().is_none(),
        "the first email names a receipt the customer never got"
    );
    let first_id = first.message_id().unwrap().to_string();
    let next = read("owner");
    let next = mail_parser::MessageParser::default().parse(&next).unwrap();
    assert_eq!(next.in_reply_to().as_text(), Some(first_id.as_str()));
    assert_eq!(next.references().as_text(), Some(first_id.as_str()));
    app.stop().await;
}

/// With a mailbox whose replies are read, every customer email carries its `Reply-To` and
/// says replies reach the person handling the complaint; without one (the other tests), it
/// has no `Reply-To` and says replies are not read.
async fn replies_go_to_the_mailbox_that_is_read_and_emails_say_so(db: TestDb) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = spawn_app_with(
        db,
        &[
            ("REDRESS_SMTP_URL", url.as_str()),
            ("REDRESS_MAIL_FROM", FROM),
            ("REDRESS_MAIL_REPLY_TO", "Ayuda <ayuda@tienda.example>"),
        ],
    )
    .await;
    app.sign_in_as(Role::Agent).await;
    take(&app, "lucia@example.es", "es").await;
    drained(&app).await;
    let received = smtp.wait_for(1).await;
    let receipt = received[0].parsed();
    let reply_to = receipt.reply_to().unwrap().first().unwrap();
    assert_eq!(reply_to.address(), Some("ayuda@tienda.example"));
    let text = receipt.body_text(0).unwrap().to_string();
    assert!(
        text.contains("su respuesta llegará a la persona que gestiona su reclamación"),
        "{text}"
    );
    app.stop().await;
}

const FROM: &str = "Reclamaciones <complaints@tienda.example>";

async fn take(app: &Visitor, email: &str, language: &str) -> String {
    let html = app.get("/complaints/new").await.text().await.unwrap();
    let response = app
        .post_form(
            "/complaints/new",
            &[
                ("csrf", &csrf_in(&html)),
                ("name", "Lucía García"),
                ("email", email),
                ("category", "Delivery"),
                ("summary", "The order came late"),
                ("language", language),
                ("channel", "phone"),
                ("priority", "normal"),
                ("description", "Llegó con dos semanas de retraso."),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn act(app: &Visitor, page: &str, action: &str, fields: &[(&str, &str)]) {
    let html = app.get(page).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = app.post_form(&format!("{page}/{action}"), &form).await;
    assert_eq!(response.status(), 303, "{action}");
}

/// Waits until nothing is waiting in the outbox.
/// Runs the projectors and sends every email due, here; then nothing waits in the outbox.
async fn drained(app: &TestApp) {
    app.settle().await;
    let counts = app.store.outbox.counts().await.unwrap();
    assert_eq!(counts.pending, 0, "the outbox did not drain: {counts:?}");
}

/// Waits for a server's own workers to empty the outbox (for the tests whose subject they
/// are: retries over time).
async fn drained_live(app: &TestApp) {
    let store = &app.store;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        store.projections.run_until_idle().await.unwrap();
        let counts = store.outbox.counts().await.unwrap();
        if counts.pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox did not drain: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn the_customer_gets_every_step_by_email_in_their_language_threaded_together(db: TestDb) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = spawn_app_with(
        db,
        &[
            ("REDRESS_SMTP_URL", url.as_str()),
            ("REDRESS_MAIL_FROM", FROM),
            ("REDRESS_ORGANISATION", "Tienda Ejemplo"),
            ("REDRESS_CURRENCY", "EUR"),
            (
                "REDRESS_OMBUDSMAN",
                "el Defensor del Cliente (defensor.example)",
            ),
        ],
    )
    .await;
    let agent = app.sign_in_as(Role::Agent).await;
    let page = take(&app, "lucia@example.es", "es").await;
    let reference = page.trim_start_matches("/complaints/").to_string();
    let owner = agent.id.to_string();
    act(
        &app,
        &page,
        "acknowledge",
        &[("apology", "Sentimos mucho el retraso.")],
    )
    .await;
    act(
        &app,
        &page,
        "record_points",
        &[
            (
                "points",
                "El pedido llegó dos semanas tarde\nNadie me avisó del retraso",
            ),
            ("send", "on"),
        ],
    )
    .await;
    act(
        &app,
        &page,
        "record_fact",
        &[("fact", "Salió del almacén tarde")],
    )
    .await;
    act(
        &app,
        &page,
        "conclude_investigation",
        &[("findings", "Fue culpa nuestra")],
    )
    .await;
    // Dates promised to the customer fall within the resolution target.
    let soon = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
    let sooner = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    act(
        &app,
        &page,
        "commit_to_action",
        &[
            ("action", "Devolver los gastos de envío"),
            ("due_on", &soon.to_string()),
        ],
    )
    .await;
    act(&app, &page, "assign_owner", &[("owner_id", owner.as_str())]).await;
    act(
        &app,
        &page,
        "send_progress_update",
        &[
            ("message", "El reembolso está en curso."),
            ("next_update_on", &sooner.to_string()),
        ],
    )
    .await;
    act(
        &app,
        &page,
        "resolve",
        &[
            ("point_outcome_1", "upheld"),
            ("point_reasons_1", "El almacén lo envió tarde."),
            ("point_outcome_2", "upheld"),
            ("point_reasons_2", "No le avisamos, y debimos hacerlo."),
            ("reasons", "El pedido llegó tarde por nuestra culpa."),
            ("remedy", "Reembolso de los gastos de envío"),
            ("redress_paid", "1234.50"),
        ],
    )
    .await;
    act(&app, &page, "close", &[]).await;
    drained(&app).await;

    let received = smtp.wait_for(8).await;
    assert_eq!(received.len(), 8, "one email per step that owes one");
    let by_kind: HashMap<String, &crate::smtp::Received> = received
        .iter()
        .map(|m| {
            let id = m.message_id();
            (
                id.split('.')
                    .nth(2)
                    .unwrap()
                    .split('@')
                    .next()
                    .unwrap()
                    .to_string(),
                m,
            )
        })
        .collect();
    let thread = format!("{reference}.1.receipt@tienda.example");
    for kind in [
        "receipt",
        "acknowledgement",
        "points",
        "commitment",
        "owner",
        "progress",
        "outcome",
        "survey",
    ] {
        let message = by_kind
            .get(kind)
            .unwrap_or_else(|| panic!("no {kind} email"));
        let parsed = message.parsed();
        assert_eq!(
            parsed.subject(),
            Some(format!("Su reclamación {reference}").as_str()),
            "{kind}: one subject, so the thread stays together"
        );
        let to = parsed.to().unwrap().first().unwrap();
        assert_eq!(to.address(), Some("lucia@example.es"));
        assert_eq!(to.name(), Some("Lucía García"));
        assert_eq!(
            parsed.from().unwrap().first().unwrap().address(),
            Some("complaints@tienda.example")
        );
        assert_eq!(
            parsed.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        // No mailbox is read here: no Reply-To, and no promise that replies are read.
        assert!(parsed.header_raw("Reply-To").is_none(), "{kind}");
        let text = parsed.body_text(0).unwrap().to_string();
        let html = parsed.body_html(0).unwrap().to_string();
        assert!(
            text.starts_with("Estimado/a Lucía García:"),
            "{kind}: {text}"
        );
        assert!(html.contains("<html lang=\"es\">"), "{kind}");
        assert!(text.contains(&reference) && html.contains(&reference));
        if kind == "receipt" {
            assert_eq!(parsed.message_id(), Some(thread.as_str()));
            assert!(parsed.in_reply_to().as_text().is_none());
        } else {
            assert_eq!(
                parsed.in_reply_to().as_text(),
                Some(thread.as_str()),
                "{kind}"
            );
            assert_eq!(
                parsed.references().as_text(),
                Some(thread.as_str()),
                "{kind}"
            );
        }
    }
    let text = |kind: &str| by_kind[kind].parsed().body_text(0).unwrap().to_string();
    assert!(
        text("receipt").contains("Las respuestas a este mensaje no se leen"),
        "{}",
        text("receipt")
    );
    assert!(text("acknowledgement").contains("Sentimos mucho el retraso."));
    let spanish = |date| redress_notify::render::long_date(date, redress_domain::Language::Es);
    assert!(text("commitment").contains(&spanish(soon)));
    assert!(text("owner").contains("Test agent es ahora responsable"));
    assert!(text("progress").contains(&spanish(sooner)));
    let points = text("points");
    assert!(points.contains("Esto es lo que entendemos"), "{points}");
    assert!(points.contains("1. El pedido llegó dos semanas tarde"));
    assert!(points.contains("2. Nadie me avisó del retraso"));
    let outcome = text("outcome");
    assert!(outcome.contains("Hemos estimado su reclamación"));
    // The decision answers point by point, as a final-response letter does.
    assert!(
        outcome.contains("Nuestra decisión sobre cada punto"),
        "{outcome}"
    );
    assert!(outcome.contains("2. Nadie me avisó del retraso"));
    assert!(outcome.contains("No le avisamos, y debimos hacerlo."));
    // In the installation's currency (euros here), as Spanish writes money.
    assert!(outcome.contains("1.234,50 €"), "{outcome}");
    assert!(outcome.contains("el Defensor del Cliente (defensor.example)"));
    assert!(text("survey").contains("qué cambiaría"));

    // Staff see each email and its delivery on the timeline.
    let html = app.get(&page).await.text().await.unwrap();
    assert_eq!(
        html.matches("class=\"email email-sent\"").count(),
        8,
        "{html}"
    );
    assert!(!html.contains("could not be delivered"));
    app.stop().await;
}

async fn with_smtp_down_complaints_flow_and_every_email_arrives_once_when_it_returns_unless_erased(
    db: TestDb,
) {
    let mut smtp = SmtpServer::stopped(free_port());
    let url = smtp.url();
    let extra = [
        ("REDRESS_SMTP_URL", url.as_str()),
        ("REDRESS_MAIL_RETRY_SECONDS", "1"),
        ("REDRESS_MAIL_MAX_ATTEMPTS", "20"),
    ];
    // The subject is the sender retrying on its own: its workers run.
    let app = spawn_live_app_with(db, &extra).await;
    app.sign_in_as(Role::Agent).await;
    // SMTP is down: complaints are still taken and worked.
    let mut pages = Vec::new();
    for i in 0..3 {
        let page = take(&app, &format!("customer{i}@example.com"), "en").await;
        act(&app, &page, "acknowledge", &[("apology", "We are sorry.")]).await;
        pages.push(page);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let counts = app.store.outbox.counts().await.unwrap();
        if counts.failing == 6 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failures recorded: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = app.get(&pages[0]).await.text().await.unwrap();
    assert!(html.contains("could not be delivered yet"), "{html}");
    assert!(html.contains("<strong>failing</strong>"));

    // Meanwhile the first customer asks to be forgotten: their queued emails are cancelled.
    let first = pages[0].trim_start_matches("/complaints/").to_string();
    app.store.projections.run_until_idle().await.unwrap();
    let customer = app.list_row(&first).await.customer_id;
    app.store
        .complaints
        .erase_customer(
            redress_domain::CustomerId(customer),
            Actor::System {
                name: "test".into(),
            },
            "request",
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    let states: Vec<String> = app
        .store
        .outbox
        .of_complaint(&first)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.state)
        .collect();
    assert_eq!(states, ["cancelled", "cancelled"]);

    smtp.resume();
    drained_live(&app).await;
    let received = smtp.wait_for(4).await;
    // Nothing arrives twice: with the workers stopped, whatever is still due is sent now.
    let app = app.restart_as(&extra, redress::ServeRole::WebOnly).await;
    app.settle().await;
    let received_later = smtp.received();
    assert_eq!(
        received_later.len(),
        received.len(),
        "nothing arrives twice"
    );
    let mut ids: Vec<String> = received.iter().map(|m| m.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each email exactly once");
    assert!(received.len() == 4 && ids.iter().all(|id| !id.starts_with(&first)));
    let html = app.get(&pages[1]).await.text().await.unwrap();
    assert!(!html.contains("could not be delivered"));
    app.stop().await;
}

fn new_complaint(i: usize) -> NewComplaint {
    NewComplaint {
        reference: Reference::parse("RDR-0000-0000").unwrap(),
        customer: NewCustomer {
            name: format!("Customer {i}"),
            email: Some(CustomerEmail::parse(&format!("c{i}@example.com")).unwrap()),
            phone: None,
            language: Language::ALL[i % 4],
        },
        company: None,
        tier: Tier::Standard,
        channel: Channel::WebForm,
        category: "Billing".into(),
        summary: format!("Complaint {i}"),
        description: "Charged twice.".into(),
        remedy_requested: None,
        priority: Priority::Normal,
        routing: None,
    }
}

fn mailer(store: &Store, url: &str, clock: Arc<ManualClock>) -> redress_notify::Mailer {
    redress_notify::Mailer::new(
        store.clone(),
        redress_notify::Emails::new(None).unwrap(),
        redress_notify::Transport::smtp(url, Duration::from_secs(10)).unwrap(),
        mail_settings(),
        clock,
    )
}

fn mail_settings() -> redress_notify::MailSettings {
    redress_notify::MailSettings {
        from: FROM.into(),
        domain: "tienda.example".into(),
        max_attempts: 5,
        retry_base: Duration::from_secs(30),
        sender: redress_notify::Sender {
            organisation: "Tienda".into(),
            ombudsman: "the Ombudsman".into(),
            reply_to: None,
            ombudsman_in: vec![],
            currency: redress_domain::Currency::default(),
        },
        batch: 500,
        lease: Duration::from_secs(120),
        public_url: "http://127.0.0.1:1".into(),
    }
}

async fn a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_the_one_in_flight(db: TestDb) {
    const COUNT: usize = 120;
    let clock = Arc::new(ManualClock::at(chrono::Utc::now()));
    let store = db.store(clock.clone()).await;
    for i in 0..COUNT {
        store
            .complaints
            .receive(Actor::Customer, new_complaint(i))
            .await
            .unwrap();
    }
    store.projections.run_until_idle().await.unwrap();
    assert_eq!(store.outbox.counts().await.unwrap().pending, COUNT as i64);

    let smtp = SmtpServer::start();
    // One sender claims the whole batch and is killed part-way through it.
    let first = mailer(&store, &smtp.url(), clock.clone());
    let task = tokio::spawn(async move { first.send_due().await });
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.received().len() < 10 {
        assert!(Instant::now() < deadline, "the first sender sent nothing");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    task.abort();
    let _ = task.await;
    let at_kill = smtp.received().len();
    assert!(
        at_kill < COUNT,
        "the sender was killed mid-batch ({at_kill})"
    );

    // Another sender takes over once the dead one's lease has run out.
    let second = mailer(&store, &smtp.url(), clock.clone());
    assert_eq!(second.send_due().await.unwrap(), 0, "the lease still holds");
    clock.advance(chrono::Duration::minutes(3));
    while second.send_due().await.unwrap() > 0 {}
    let counts = store.outbox.counts().await.unwrap();
    assert_eq!((counts.pending, counts.sent), (0, COUNT as i64));

    let received = smtp.wait_for(COUNT).await;
    let mut ids: Vec<String> = received.iter().map(|m| m.message_id()).collect();
    ids.sort();
    let total = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), COUNT, "every email arrived");
    assert!(
        total - COUNT <= 1,
        "{} duplicates; only the one in flight may repeat",
        total - COUNT
    );
}

async fn a_given_up_email_is_listed_for_admins_who_can_send_it_again(db: TestDb) {
    let mut smtp = SmtpServer::stopped(free_port());
    let url = smtp.url();
    // The subject is the sender giving up after its retries: its workers run.
    let app = spawn_live_app_with(
        db,
        &[
            ("REDRESS_SMTP_URL", url.as_str()),
            ("REDRESS_MAIL_RETRY_SECONDS", "1"),
            ("REDRESS_MAIL_MAX_ATTEMPTS", "2"),
        ],
    )
    .await;
    app.sign_in_as(Role::Agent).await;
    let page = take(&app, "ana@example.com", "ro").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.store.outbox.counts().await.unwrap().dead < 1 {
        assert!(Instant::now() < deadline, "the email never gave up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("<strong>not delivered</strong> after 2 attempts"));
    // Agents may not see or retry it.
    assert_eq!(app.get("/admin/mail").await.status(), 403);

    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let list = admin.get("/admin/mail").await.text().await.unwrap();
    let reference = page.trim_start_matches("/complaints/");
    assert!(list.contains(reference) && list.contains("given up"));
    let id = format!("{reference}.1.receipt");
    assert!(list.contains(&format!("/admin/mail/{id}/retry")));
    let csrf = csrf_in(&list);
    // Unknown ids and non-dead messages are refused.
    let unknown = admin
        .post_form(
            "/admin/mail/RDR-0000-0000.1.receipt/retry",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let agent_try = app
        .post_form(&format!("/admin/mail/{id}/retry"), &[("csrf", &csrf)])
        .await;
    assert_eq!(agent_try.status(), 403);

    smtp.resume();
    let retried = admin
        .post_form(&format!("/admin/mail/{id}/retry"), &[("csrf", &csrf)])
        .await;
    assert_eq!(retried.status(), 303);
    let received = smtp.wait_for(1).await;
    assert_eq!(received[0].message_id(), format!("{id}@redress.example"));
    drained_live(&app).await;
    let again = admin
        .post_form(&format!("/admin/mail/{id}/retry"), &[("csrf", &csrf)])
        .await;
    assert_eq!(again.status(), 422, "a sent email is not sent again");
    app.stop().await;
}

async fn without_smtp_emails_are_written_as_files(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app_with(db, &[]).await;
    app.sign_in_as(Role::Agent).await;
    let page = take(&app, "wang@example.cn", "zh").await;
    drained(&app).await;
    let reference = page.trim_start_matches("/complaints/").to_string();
    let file = dir.join(format!("{reference}.1.receipt.eml"));
    let raw = std::fs::read(&file).expect("the receipt was written as a file");
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(parsed.body_text(0).unwrap().contains("我们已收到您的投诉"));

    // A change of priority owes the customer no email.
    app.store
        .complaints
        .execute(
            &Reference::parse(&reference).unwrap(),
            redress_domain::ComplaintCommand::new(
                Actor::System {
                    name: "test".into(),
                },
                redress_domain::ComplaintAction::ChangePriority {
                    priority: Priority::High,
                },
            ),
        )
        .await
        .unwrap();
    drained(&app).await;
    assert_eq!(
        app.store
            .outbox
            .of_complaint(&reference)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    app.stop().await;
}

/// STARTTLS and implicit TLS, with authentication, against a real server whose self-signed
/// certificate the settings trust; a wrong password or an untrusted certificate fails (and
/// is kept for a retry), never sends.
async fn mail_goes_over_starttls_or_tls_with_authentication(db: TestDb) {
    let clock = Arc::new(ManualClock::at(chrono::Utc::now()));
    let store = db.store(clock.clone()).await;
    for (i, (tls, scheme)) in [("starttls", "smtp"), ("smtps", "smtps")]
        .into_iter()
        .enumerate()
    {
        let (smtp, cert) = SmtpServer::start_secure(tls, Some(("redress", "s3cret pass")));
        let query = if tls == "starttls" {
            "?tls=required"
        } else {
            ""
        };
        let good = format!(
            "{scheme}://redress:s3cret%20pass@127.0.0.1:{}{query}",
            smtp.port
        );
        let ca = std::fs::read(&cert).unwrap();
        let sender = |url: &str, ca: Option<&[u8]>| {
            redress_notify::Mailer::new(
                store.clone(),
                redress_notify::Emails::new(None).unwrap(),
                redress_notify::Transport::smtp_trusting(url, Duration::from_secs(2), ca).unwrap(),
                mail_settings(),
                clock.clone(),
            )
        };
        let reference = store
            .complaints
            .receive(Actor::Customer, new_complaint(1000 + i))
            .await
            .unwrap();
        store.projections.run_until_idle().await.unwrap();
        let attempt = |url: String, ca: Option<Vec<u8>>| {
            let sender = sender(&url, ca.as_deref());
            let store = store.clone();
            let reference = reference.clone();
            async move {
                sender.send_due().await.unwrap();
                store
                    .outbox
                    .of_complaint(reference.as_str())
                    .await
                    .unwrap()
                    .remove(0)
            }
        };
        // The wrong password: refused by the server, kept for a retry, nothing delivered.
        let row = attempt(good.replace("s3cret%20pass", "wrong"), Some(ca.clone())).await;
        assert_eq!((row.state.as_str(), row.attempts), ("pending", 1), "{tls}");
        assert!(row.last_error.is_some(), "{tls}: the failure is recorded");
        // The right password, but the certificate not trusted: refused too.
        clock.advance(chrono::Duration::minutes(10));
        let row = attempt(good.clone(), None).await;
        assert_eq!((row.state.as_str(), row.attempts), ("pending", 2), "{tls}");
        assert!(smtp.received().is_empty(), "{tls}");
        // Both right: delivered over TLS.
        clock.advance(chrono::Duration::minutes(10));
        let row = attempt(good.clone(), Some(ca.clone())).await;
        assert_eq!(row.state, "sent", "{tls}: {:?}", row.last_error);
        let received = smtp.wait_for(1).await;
        assert_eq!(
            received[0].message_id(),
            format!("{}@tienda.example", row.id)
        );
    }
}
