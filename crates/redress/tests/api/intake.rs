//! Email intake against a real IMAP server (Dovecot, started per test over TLS): new mail
//! becomes a complaint, replies land on theirs by header and by subject, machines and loops
//! are ignored, unreadable mail is quarantined, a restart or a second copy records nothing
//! twice, and mail in the four languages (and their old charsets) reads right.

use std::time::{Duration, Instant};

use redress_domain::{Actor, ComplaintAction, ComplaintCommand, Outcome, Reference, StaffMember};
use redress_intake::{Intake, IntakeSettings, Mailbox, StatusBoard};
use redress_store::{ComplaintListRow, InboundCounts, Role, Store};
use redress_testing::TestDb;
use redress_testing::dovecot::TestImapServer;
use redress_testing::on_both_backends;

use crate::TestApp;

on_both_backends!(
    a_claim_left_by_a_dead_instance_is_finished_once_its_lease_has_passed,
    a_message_that_keeps_failing_is_quarantined_and_a_reused_message_id_is_no_copy,
    floods_and_forgeries_are_set_aside_and_long_subjects_fit,
    an_email_becomes_a_complaint_with_its_files_its_language_and_an_acknowledgement,
    replies_land_on_their_complaint_by_header_and_by_subject_and_reopen_or_attach_when_closed,
    machines_and_loops_are_ignored_and_unreadable_mail_is_quarantined_for_admins,
    a_restart_or_a_second_copy_records_nothing_twice,
    mail_in_the_four_languages_and_their_old_charsets_reads_right,
);

fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn imap() -> TestImapServer {
    TestImapServer::start()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A server reading the test mailbox (polling every 5 s at most; IDLE wakes it at once).
async fn app_reading(db: TestDb, imap: &TestImapServer, extra: &[(&str, &str)]) -> TestApp {
    let url = imap.url();
    let ca = imap.ca_file().to_string_lossy().into_owned();
    let mut settings = vec![
        ("REDRESS_IMAP_URL", url.as_str()),
        ("REDRESS_IMAP_CA_FILE", ca.as_str()),
        ("REDRESS_IMAP_POLL_SECONDS", "5"),
    ];
    settings.extend_from_slice(extra);
    crate::spawn_live_app_with(db, &settings).await
}

async fn deliver(imap: &TestImapServer, raw: &str) {
    let mut mailbox = Mailbox::connect(&imap.settings()).await.unwrap();
    mailbox.append("INBOX", raw.as_bytes()).await.unwrap();
    mailbox.logout().await;
}

/// How many messages each folder holds.
async fn folders(imap: &TestImapServer) -> (usize, usize, usize) {
    let mut mailbox = Mailbox::connect(&imap.settings()).await.unwrap();
    let mut counts = Vec::new();
    for folder in ["INBOX", "Processed", "Quarantine"] {
        counts.push(match mailbox.select(folder).await {
            Ok(_) => mailbox.uids().await.unwrap().len(),
            Err(_) => 0,
        });
    }
    mailbox.logout().await;
    (counts[0], counts[1], counts[2])
}

/// Waits until the intake has finished `handled` messages in all, and the inbox is empty.
async fn handled(app: &TestApp, imap: &TestImapServer, handled: i64) -> InboundCounts {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let counts = app.store.inbound.counts().await.unwrap();
        if counts.recorded + counts.ignored + counts.quarantined >= handled
            && folders(imap).await.0 == 0
        {
            app.store.projections.run_until_idle().await.unwrap();
            return counts;
        }
        assert!(
            Instant::now() < deadline,
            "the intake handled {counts:?}, not {handled}; IMAP log:\n{}",
            imap.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn mail(from: &str, subject: &str, headers: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: Complaints <complaints@redress.example>\r\nSubject: {subject}\r\n\
         Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <{}@mail.example>\r\n{headers}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        uuid::Uuid::new_v4().simple()
    )
}

async fn rows(store: &Store) -> Vec<ComplaintListRow> {
    store.complaint_list.all().await.unwrap()
}

fn agent() -> StaffMember {
    StaffMember {
        id: uuid::Uuid::from_u128(7),
        name: "Maria Ionescu".into(),
    }
}

async fn an_email_becomes_a_complaint_with_its_files_its_language_and_an_acknowledgement(
    db: TestDb,
) {
    let imap = imap().await;
    let app = app_reading(db, &imap, &[("REDRESS_INTAKE_MAX_FILE_MB", "1")]).await;
    let big = "A".repeat(1_600_000);
    let raw = format!(
        "From: =?UTF-8?Q?Luc=C3=ADa_Garc=C3=ADa?= <lucia@example.es>\r\n\
         To: complaints@redress.example\r\nSubject: =?UTF-8?Q?Paquete_da=C3=B1ado?=\r\n\
         Message-ID: <first-{}@mail.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         El paquete llegó roto y nadie contesta el teléfono. Quiero que me devuelvan el dinero.\r\n\
         \r\n-- \r\nLucía García\r\nTeléfono 600 000 000\r\n\
         --b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"foto.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
         --b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"video.bin\"\r\n\r\n\
         {big}\r\n--b1--\r\n",
        uuid::Uuid::new_v4().simple()
    );
    deliver(&imap, &raw).await;
    let counts = handled(&app, &imap, 1).await;
    assert_eq!(
        (counts.recorded, counts.ignored, counts.quarantined),
        (1, 0, 0)
    );
    assert_eq!(folders(&imap).await, (0, 1, 0), "moved to Processed");

    let rows = rows(&app.store).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.channel, "email");
    assert_eq!(row.language, "es", "guessed from the words");
    assert_eq!(row.summary, "Paquete dañado");
    assert_eq!(row.customer_name.as_deref(), Some("Lucía García"));
    assert_eq!(row.customer_email.as_deref(), Some("lucia@example.es"));
    // The customer is acknowledged at once, in their language.
    let receipt = app.store.outbox.of_complaint(&row.reference).await.unwrap();
    assert!(
        receipt
            .iter()
            .any(|m| m.kind == "receipt" && m.language == "es"),
        "{receipt:?}"
    );

    app.sign_in_as(Role::Agent).await;
    let page = unescape(
        &app.get(&format!("/complaints/{}", row.reference))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains("Quiero que me devuelvan el dinero."));
    assert!(
        !page.contains("Teléfono 600 000 000"),
        "the signature is trimmed from the timeline"
    );
    assert!(page.contains("Email received") && page.contains("foto.png"));
    assert!(
        page.contains("video.bin") && page.contains("larger than the 1 MB limit"),
        "the refused file is noted"
    );
    // The kept file downloads, byte for byte; the original shows everything.
    let file = page
        .split("href=\"/files/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a file link")
        .to_string();
    let download = app.get(&format!("/files/{file}")).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("foto.png")
    );
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"\x89PNG\r\n\x1a\n"
    );
    let original = page
        .split("href=\"/emails/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the original")
        .to_string();
    let shown = unescape(
        &app.get(&format!("/emails/{original}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        shown.contains("Teléfono 600 000 000"),
        "the original is whole"
    );
    let raw_back = app.get(&format!("/emails/{original}?raw=1")).await;
    assert_eq!(raw_back.headers()["content-type"], "message/rfc822");
    assert!(raw_back.text().await.unwrap().contains("video.bin"));
    assert_eq!(
        app.get(&format!("/files/{}", uuid::Uuid::new_v4()))
            .await
            .status(),
        404
    );

    // Erasing the customer takes the files and the original with it.
    let customer = redress_domain::CustomerId(row.customer_id);
    app.store
        .complaints
        .erase_customer(
            customer,
            Actor::System {
                name: "test".into(),
            },
            "request",
        )
        .await
        .unwrap();
    assert_eq!(app.get(&format!("/files/{file}")).await.status(), 404);
    assert_eq!(app.get(&format!("/emails/{original}")).await.status(), 410);
    app.stop().await;
}

async fn replies_land_on_their_complaint_by_header_and_by_subject_and_reopen_or_attach_when_closed(
    db: TestDb,
) {
    let imap = imap().await;
    let app = app_reading(db, &imap, &[]).await;
    deliver(
        &imap,
        &mail(
            "Ana Pop <ana@example.ro>",
            "Parcel never came",
            "",
            "My parcel never arrived and nobody answers the phone.",
        ),
    )
    .await;
    handled(&app, &imap, 1).await;
    let reference = rows(&app.store).await[0].reference.clone();

    // A reply to our receipt, by its Message-ID, with the quotation under it.
    deliver(
        &imap,
        &mail(
            "Ana Pop <ana@example.ro>",
            "Re: We are looking into it",
            &format!("In-Reply-To: <{reference}.1.receipt@redress.example>\r\n"),
            "The tracking number is 123.\r\n\r\nOn Mon, 2 Mar 2026, Complaints wrote:\r\n> We are sorry.",
        ),
    )
    .await;
    // A new message that names the complaint in its subject.
    deliver(
        &imap,
        &mail(
            "Ana Pop <ana@example.ro>",
            &format!("About {reference}"),
            "",
            "I also paid for express delivery.",
        ),
    )
    .await;
    // Someone else writes in the thread.
    deliver(
        &imap,
        &mail(
            "Ion Pop <ion@example.ro>",
            "Re: We are looking into it",
            &format!("References: <{reference}.1.receipt@redress.example>\r\n"),
            "I am her husband; she is travelling.",
        ),
    )
    .await;
    let counts = handled(&app, &imap, 4).await;
    assert_eq!(counts.recorded, 4);
    assert_eq!(rows(&app.store).await.len(), 1, "no new complaints");
    let events = app
        .store
        .complaints
        .events_of(&Reference::parse(&reference).unwrap())
        .await
        .unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.change.name()).collect();
    assert_eq!(
        names,
        vec![
            "ComplaintReceived",
            "EmailReceived",
            // Routed at receipt, as every complaint is (the default team).
            "TeamChanged",
            "CustomerStatementRecorded",
            "EmailReceived",
            "CustomerStatementRecorded",
            "EmailReceived",
            "CommunicationRecorded",
            "EmailReceived",
        ]
    );
    app.sign_in_as(Role::Agent).await;
    let page = unescape(
        &app.get(&format!("/complaints/{reference}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains("The tracking number is 123."));
    assert!(!page.contains("We are sorry."), "the quotation is trimmed");
    assert!(page.contains("I also paid for express delivery."));
    assert!(page.contains("ion@example.ro (not the customer's address)"));

    // While we wait on the customer, their email is the answer.
    let parsed = Reference::parse(&reference).unwrap();
    for action in [
        ComplaintAction::Acknowledge {
            apology: "We are sorry.".into(),
        },
        ComplaintAction::WaitOnCustomer {
            request: "Your order number, please.".into(),
        },
    ] {
        app.store
            .complaints
            .execute(
                &parsed,
                ComplaintCommand::new(Actor::Staff(agent()), action),
            )
            .await
            .unwrap();
    }
    deliver(
        &imap,
        &mail(
            "ana@example.ro",
            &format!("Re: {reference}"),
            "",
            "It is order 5521.",
        ),
    )
    .await;
    handled(&app, &imap, 5).await;
    let row = app.list_row(&reference).await;
    assert!(!row.waiting_on_customer, "the answer ends the wait");

    // Closed, the default rule reopens it.
    close_after_waiting(&app.store, &reference).await;
    deliver(
        &imap,
        &mail(
            "ana@example.ro",
            &format!("Re: {reference} closed"),
            "",
            "The refund never came.",
        ),
    )
    .await;
    handled(&app, &imap, 6).await;
    let row = app.list_row(&reference).await;
    assert!(!row.closed && row.outcome.is_none(), "reopened: {row:?}");

    // With the rule "attach", a closed complaint stays closed and keeps the email.
    close_again(&app.store, &reference).await;
    let app = app
        .restart(&[
            ("REDRESS_IMAP_URL", &imap.url()),
            ("REDRESS_IMAP_CA_FILE", &imap.ca_file().to_string_lossy()),
            ("REDRESS_IMAP_POLL_SECONDS", "5"),
            ("REDRESS_INTAKE_CLOSED_RULE", "attach"),
        ])
        .await;
    deliver(
        &imap,
        &mail(
            "ana@example.ro",
            &format!("Re: {reference}"),
            "",
            "Thank you, all fine now.",
        ),
    )
    .await;
    handled(&app, &imap, 7).await;
    let row = app.list_row(&reference).await;
    assert!(row.closed, "attached, still closed");
    let last = app
        .store
        .complaints
        .events_of(&Reference::parse(&reference).unwrap())
        .await
        .unwrap();
    let tail: Vec<&str> = last.iter().rev().take(2).map(|e| e.change.name()).collect();
    assert_eq!(tail, vec!["EmailReceived", "CommunicationRecorded"]);
    app.stop().await;
}

/// Works an acknowledged complaint (the customer has answered) to closure.
async fn close_after_waiting(store: &Store, reference: &str) {
    let reference = Reference::parse(reference).unwrap();
    let today = chrono::Utc::now().date_naive();
    for action in [
        ComplaintAction::RecordFact {
            fact: "The courier lost it.".into(),
            source: None,
        },
        ComplaintAction::RecordPoints {
            points: vec!["The customer was charged twice.".into()],
            send: false,
        },
        ComplaintAction::ConcludeInvestigation {
            findings: "Lost in transit.".into(),
        },
        ComplaintAction::CommitToAction {
            action: "Refund.".into(),
            due_on: today,
            resolve_by: None,
        },
        ComplaintAction::AssignOwner { owner: agent() },
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: Outcome::Upheld,
                reasons: "Decided on the facts.".into(),
            }],
            reasons: "Our courier.".into(),
            remedy: None,
            redress_paid_cents: None,
        },
        ComplaintAction::Close,
    ] {
        store
            .complaints
            .execute(
                &reference,
                ComplaintCommand::new(Actor::Staff(agent()), action),
            )
            .await
            .unwrap();
    }
}

/// Closes a reopened complaint again (reinvestigated: a new fact, conclusion, commitment).
async fn close_again(store: &Store, reference: &str) {
    let reference = Reference::parse(reference).unwrap();
    let today = chrono::Utc::now().date_naive();
    for action in [
        ComplaintAction::RecordFact {
            fact: "The refund was sent late.".into(),
            source: None,
        },
        ComplaintAction::RecordPoints {
            points: vec!["The customer was charged twice.".into()],
            send: false,
        },
        ComplaintAction::ConcludeInvestigation {
            findings: "Late refund.".into(),
        },
        ComplaintAction::CommitToAction {
            action: "Refund now.".into(),
            due_on: today,
            resolve_by: None,
        },
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: Outcome::Upheld,
                reasons: "Decided on the facts.".into(),
            }],
            reasons: "Refunded.".into(),
            remedy: None,
            redress_paid_cents: None,
        },
        ComplaintAction::Close,
    ] {
        store
            .complaints
            .execute(
                &reference,
                ComplaintCommand::new(Actor::Staff(agent()), action),
            )
            .await
            .unwrap();
    }
}

async fn machines_and_loops_are_ignored_and_unreadable_mail_is_quarantined_for_admins(db: TestDb) {
    let imap = imap().await;
    let app = app_reading(db, &imap, &[("REDRESS_INTAKE_MAX_EMAIL_MB", "1")]).await;
    let ignored = [
        mail(
            "ana@example.ro",
            "Out of office",
            "Auto-Submitted: auto-replied\r\nIn-Reply-To: <RDR-AAAA-AAAA.1.receipt@redress.example>\r\n",
            "I am away until Monday.",
        ),
        mail(
            "news@shop.example",
            "Our spring sale",
            "Precedence: bulk\r\n",
            "Everything half price.",
        ),
        format!(
            "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
             Message-ID: <bounce-{}@mx.example>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
             --r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
             --r\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--r--\r\n",
            uuid::Uuid::new_v4().simple()
        ),
        // One of our own emails, come back.
        "From: Complaints <complaints@redress.example>\r\nTo: ana@example.ro\r\n\
         Subject: Your complaint\r\nMessage-ID: <RDR-AAAA-AAAA.1.receipt@redress.example>\r\n\r\nWe are sorry.\r\n"
            .to_string(),
    ];
    let unreadable = [
        "Subject: Who sent me?\r\nMessage-ID: <nosender@mail.example>\r\n\r\nThere is no From.\r\n"
            .to_string(),
        "From: ana@example.ro\r\nSubject: empty\r\nMessage-ID: <empty@mail.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"never\"\r\n\r\n\r\n"
            .to_string(),
        // Larger than the 1 MB set for the test: set aside from its header, never downloaded.
        mail(
            "Big Sender <big@example.ro>",
            "A huge scan",
            "",
            &"0123456789abcdef".repeat(80_000),
        ),
    ];
    for raw in ignored.iter().chain(&unreadable) {
        deliver(&imap, raw).await;
    }
    let counts = handled(&app, &imap, 7).await;
    assert_eq!(
        (counts.recorded, counts.ignored, counts.quarantined),
        (0, 4, 3)
    );
    assert_eq!(folders(&imap).await, (0, 4, 3));
    assert!(rows(&app.store).await.is_empty(), "no complaint");
    assert_eq!(
        app.store.outbox.counts().await.unwrap().pending,
        0,
        "no email in answer"
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "redress_inbound_emails{state=\"ignored\"} 4",
        "redress_inbound_emails{state=\"quarantined\"} 3",
        "redress_inbound_emails{state=\"recorded\"} 0",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let list = app.store.inbound.set_aside_list(10).await.unwrap();
    let big = list
        .iter()
        .find(|m| m.reason.contains("for one email"))
        .unwrap();
    assert_eq!(big.sender.as_deref(), Some("big@example.ro"));
    assert_eq!(big.subject.as_deref(), Some("A huge scan"));
    let reasons: Vec<&str> = list.iter().map(|m| m.reason.as_str()).collect();
    for expected in [
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "delivery-status",
        "one of our own emails came back",
        "no sender address",
        "its MIME structure is broken",
        "larger than the 1 MB limit for one email",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected} in {reasons:?}"
        );
    }
    // Agents may not see the list; admins may, and may dismiss.
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    assert_eq!(agent.get("/admin/intake").await.status(), 403);
    app.sign_in_as(Role::Admin).await;
    let page = unescape(&app.get("/admin/intake").await.text().await.unwrap());
    assert!(page.contains("quarantined") && page.contains("Who sent me?"));
    assert!(page.contains("Reading the mailbox"));
    let quarantined = list
        .iter()
        .find(|m| m.reason.contains("no sender address"))
        .unwrap();
    let csrf = crate::csrf_in(&page);
    let answer = app
        .post_form(
            &format!("/admin/intake/{}/dismiss", quarantined.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(answer.status(), 303);
    let page = unescape(&app.get("/admin/intake").await.text().await.unwrap());
    assert!(!page.contains("Who sent me?"), "forgotten once dealt with");
    let forged = app
        .post_form(
            &format!("/admin/intake/{}/dismiss", list[0].id),
            &[("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status(), 403);

    // Erasing a customer blanks who sent what on their messages set aside: the ignored
    // auto-reply and the unreadable one too (its sender known only from its header).
    deliver(
        &imap,
        &mail(
            "Ana Pop <ana@example.ro>",
            "Charged twice",
            "",
            "I was charged twice.",
        ),
    )
    .await;
    handled(&app, &imap, 8).await;
    let customer = redress_domain::CustomerId(rows(&app.store).await[0].customer_id);
    app.store
        .complaints
        .erase_customer(
            customer,
            Actor::System {
                name: "test".into(),
            },
            "request",
        )
        .await
        .unwrap();
    let list = app.store.inbound.set_aside_list(10).await.unwrap();
    let of = |reason: &str| {
        list.iter()
            .find(|m| m.reason.contains(reason))
            .map(|m| (m.sender.clone(), m.subject.clone()))
            .unwrap_or_else(|| panic!("{reason} in {list:?}"))
    };
    assert_eq!(of("MIME structure is broken"), (None, None));
    assert_eq!(of("Auto-Submitted: auto-replied"), (None, None));
    assert_eq!(
        of("for one email"),
        (
            Some("big@example.ro".to_string()),
            Some("A huge scan".to_string())
        ),
        "another sender's stay"
    );
    app.stop().await;
}

async fn a_restart_or_a_second_copy_records_nothing_twice(db: TestDb) {
    let imap = imap().await;
    let raw = mail(
        "Ana Pop <ana@example.ro>",
        "Charged twice",
        "",
        "I was charged twice for one order.",
    );
    let app = app_reading(db, &imap, &[]).await;
    deliver(&imap, &raw).await;
    handled(&app, &imap, 1).await;

    // As if the server had died after recording it and before moving it out of the inbox:
    // the same message is in the inbox again when the next server starts.
    let db = app.stop_keeping_database().await;
    deliver(&imap, &raw).await;
    let app = app_reading(db, &imap, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while folders(&imap).await.0 > 0 {
        assert!(Instant::now() < deadline, "the copy stays in the inbox");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.store.projections.run_until_idle().await.unwrap();
    assert_eq!(rows(&app.store).await.len(), 1, "one complaint, not two");
    assert_eq!(app.store.inbound.counts().await.unwrap().recorded, 1);
    assert_eq!(folders(&imap).await, (0, 2, 0));
    app.stop().await;
}

/// The intake over a store on a clock the test moves, called directly (no mailbox).
async fn direct(db: &TestDb) -> (Store, Intake, redress_domain::ManualClock) {
    let clock = redress_domain::ManualClock::at(chrono::Utc::now());
    let store = db.store(std::sync::Arc::new(clock.clone())).await;
    let intake = Intake::new(store.clone(), test_settings(), StatusBoard::default());
    (store, intake, clock)
}

fn at(uid: u32) -> redress_store::MailboxPlace {
    redress_store::MailboxPlace {
        folder: "INBOX".into(),
        uid_validity: 7,
        uid,
    }
}

fn read(raw: &str) -> Box<redress_intake::Email> {
    match redress_intake::message::read(raw.as_bytes(), 1 << 20) {
        redress_intake::Reading::Email(email) => email,
        other => panic!("{other:?}"),
    }
}

/// A claim taken by an instance that then died: the next attempt waits for its lease, then
/// finishes it under the same reference; a finished message is never recorded again.
async fn a_claim_left_by_a_dead_instance_is_finished_once_its_lease_has_passed(db: TestDb) {
    let (store, intake, clock) = direct(&db).await;
    let raw = mail("ana@example.ro", "Lost parcel", "", "It never came.");
    let email = read(&raw);
    // The dead instance's claim, with the reference it had chosen.
    let redress_store::Claim::Fresh(id) = store
        .inbound
        .claim(
            &at(1),
            &email.message_id,
            &email.digest,
            clock_now(&clock),
            chrono::Duration::minutes(2),
        )
        .await
        .unwrap()
    else {
        panic!("a fresh claim")
    };
    let chosen = store
        .inbound
        .choose_reference(id, "RDR-7KX4-9PQM")
        .await
        .unwrap();
    assert_eq!(
        intake.ingest(&at(1), raw.as_bytes()).await.unwrap(),
        redress_intake::Outcome::Busy
    );
    clock.advance(chrono::Duration::minutes(3));
    assert_eq!(
        intake.ingest(&at(1), raw.as_bytes()).await.unwrap(),
        redress_intake::Outcome::Created(chosen.clone())
    );
    // Again, at another place (a second copy): done already.
    assert_eq!(
        intake.ingest(&at(2), raw.as_bytes()).await.unwrap(),
        redress_intake::Outcome::AlreadyDone(redress_store::InboundState::Recorded)
    );
    store.projections.run_until_idle().await.unwrap();
    let all = rows(&store).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].reference, chosen);
}

/// A message whose attempts keep failing is tried again, then quarantined with the error:
/// it never holds up the mail behind it. Another message under a reused Message-ID is
/// recorded in its own right; the very same message is not.
async fn a_message_that_keeps_failing_is_quarantined_and_a_reused_message_id_is_no_copy(
    db: TestDb,
) {
    let (store, intake, clock) = direct(&db).await;
    let raw = mail("ana@example.ro", "Refund", "", "Please refund me.");
    let email = read(&raw);
    let redress_store::Claim::Fresh(id) = store
        .inbound
        .claim(
            &at(1),
            &email.message_id,
            &email.digest,
            clock_now(&clock),
            chrono::Duration::minutes(2),
        )
        .await
        .unwrap()
    else {
        panic!("a fresh claim")
    };
    for attempt in 1..=redress_intake::MAX_ATTEMPTS {
        store
            .inbound
            .release(id, &format!("the database said no (attempt {attempt})"))
            .await
            .unwrap();
    }
    match intake.ingest(&at(1), raw.as_bytes()).await.unwrap() {
        redress_intake::Outcome::Quarantined(reason) => {
            assert!(
                reason.contains("in 3 attempts") && reason.contains("attempt 3"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(rows(&store).await.is_empty());

    // The same Message-ID on another message (a broken mailer): recorded as its own.
    let reused = raw.replace("Please refund me.", "And the postage too.");
    assert!(matches!(
        intake.ingest(&at(2), reused.as_bytes()).await.unwrap(),
        redress_intake::Outcome::Created(_)
    ));
    // The same message again: done.
    assert!(matches!(
        intake.ingest(&at(3), reused.as_bytes()).await.unwrap(),
        redress_intake::Outcome::AlreadyDone(_)
    ));
    store.projections.run_until_idle().await.unwrap();
    assert_eq!(rows(&store).await.len(), 1);
}

/// A sender's sixth new complaint within the hour is set aside; an hour on, they may write
/// again. A forged sender (DMARC failed at our mail server) is quarantined, not believed.
/// A long subject becomes a summary cut to fit, not a refusal.
async fn floods_and_forgeries_are_set_aside_and_long_subjects_fit(db: TestDb) {
    let (store, intake, clock) = direct(&db).await;
    for n in 0..6u32 {
        let raw = mail(
            "robot@example.com",
            &format!("Ticket {n}"),
            "",
            "Something broke.",
        );
        let outcome = intake.ingest(&at(n + 1), raw.as_bytes()).await.unwrap();
        if n < 5 {
            assert!(
                matches!(outcome, redress_intake::Outcome::Created(_)),
                "{outcome:?}"
            );
        } else {
            assert_eq!(
                outcome,
                redress_intake::Outcome::Ignored(
                    "more than 5 new complaints from this address within an hour".into()
                )
            );
        }
    }
    clock.advance(chrono::Duration::minutes(61));
    let raw = mail("robot@example.com", "Ticket 7", "", "Something else broke.");
    assert!(matches!(
        intake.ingest(&at(10), raw.as_bytes()).await.unwrap(),
        redress_intake::Outcome::Created(_)
    ));
    let forged = mail(
        "ceo@bank.example",
        "Urgent",
        "Authentication-Results: mx.redress.example; dmarc=fail (p=reject) header.from=bank.example\r\n",
        "Send the refund to this account.",
    );
    match intake.ingest(&at(11), forged.as_bytes()).await.unwrap() {
        redress_intake::Outcome::Quarantined(reason) => {
            assert!(reason.contains("DMARC"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let long = format!("Fwd: Re: Fwd: {}", "my order never came ".repeat(20));
    let raw = mail("ana@example.ro", &long, "", "See the subject.");
    let redress_intake::Outcome::Created(reference) =
        intake.ingest(&at(12), raw.as_bytes()).await.unwrap()
    else {
        panic!("not created")
    };
    store.projections.run_until_idle().await.unwrap();
    let row = store.complaint_list.get(&reference).await.unwrap().unwrap();
    assert_eq!(row.summary.chars().count(), 200);
    assert!(row.summary.starts_with("Fwd: Re: Fwd: my order never came"));
    assert_eq!(rows(&store).await.len(), 7);
}

fn clock_now(clock: &redress_domain::ManualClock) -> chrono::DateTime<chrono::Utc> {
    use redress_domain::Clock;
    clock.now()
}

/// Intake settings for tests that call the intake directly (no mailbox is reached).
pub(crate) fn test_settings() -> IntakeSettings {
    IntakeSettings {
        mailbox: redress_intake::MailboxSettings::from_url("imaps://u:p@127.0.0.1:1", None)
            .unwrap(),
        folder: "INBOX".into(),
        processed_folder: "Processed".into(),
        quarantine_folder: "Quarantine".into(),
        poll: Duration::from_secs(5),
        max_file_bytes: 1024 * 1024,
        max_files: 10,
        max_message_bytes: 25 * 1024 * 1024,
        max_new_per_hour: 5,
        closed_rule: redress_intake::ClosedRule::Reopen,
        category: "General".into(),
        language: redress_domain::Language::En,
        our_domain: "redress.example".into(),
        our_address: "complaints@redress.example".into(),
    }
}

async fn mail_in_the_four_languages_and_their_old_charsets_reads_right(db: TestDb) {
    let imap = imap().await;
    let app = app_reading(db, &imap, &[]).await;
    let letters = [
        (
            "Ann Smith <ann@example.co.uk>",
            "Damaged parcel",
            "Content-Type: text/plain; charset=us-ascii\r\n",
            "My parcel arrived damaged and nobody answers the phone. I would like a refund.",
            "en",
            "My parcel arrived damaged",
        ),
        (
            "=?ISO-8859-1?Q?Luc=EDa_Garc=EDa?= <lucia@example.es>",
            "=?ISO-8859-1?Q?Reclamaci=F3n:_paquete_da=F1ado?=",
            "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            "El paquete lleg=F3 da=F1ado y nadie contesta el tel=E9fono. Quiero que me d=\r\nevuelvan el dinero.",
            "es",
            "El paquete llegó dañado y nadie contesta el teléfono.",
        ),
        (
            "=?UTF-8?B?QW5hIMiYdGVmxINuZXNjdQ==?= <ana@example.ro>",
            "=?UTF-8?B?UmVjbGFtYcibaWU6IGNvbGV0dWwgbnUgYSBhanVucw==?=",
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
            "Q29sZXR1bCBtZXUgbnUgYSBhanVucyBuaWNpb2RhdMSDIMiZaSBuaW1lbmkgbnUgcsSDc3B1bmRlIGxhIHRlbGVmb24uIFZyZWF1IGJhbmlpIMOubmFwb2ksIHbEgyByb2cuCg==",
            "ro",
            "Coletul meu nu a ajuns niciodată și nimeni nu răspunde la telefon.",
        ),
        (
            "=?GB2312?B?zfXOsA==?= <wang@example.cn>",
            "=?GB2312?B?zbbL36O6sPy5/MO709DLzbW9?=",
            "Content-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n",
            "ztK1xLD8ufzSu9axw7vT0MvNtb2jrL/std25q8u+0rKyu73Ttee7sKGjztLSqsfzzcu/7qGjCgrN9c6w",
            "zh",
            "我的包裹一直没有送到，快递公司也不接电话。我要求退款。",
        ),
    ];
    for (from, subject, headers, body, _, _) in &letters {
        let raw = format!(
            "From: {from}\r\nTo: complaints@redress.example\r\nSubject: {subject}\r\n\
             Message-ID: <{}@mail.example>\r\nMIME-Version: 1.0\r\n{headers}\r\n{body}\r\n",
            uuid::Uuid::new_v4().simple()
        );
        deliver(&imap, &raw).await;
    }
    let counts = handled(&app, &imap, 4).await;
    assert_eq!(
        counts.recorded,
        4,
        "{:?}",
        app.store.inbound.set_aside_list(9).await
    );
    let summaries = [
        ("en", "Damaged parcel", "Ann Smith"),
        ("es", "Reclamación: paquete dañado", "Lucía García"),
        ("ro", "Reclamație: coletul nu a ajuns", "Ana Ștefănescu"),
        ("zh", "投诉：包裹没有送到", "王伟"),
    ];
    let all = rows(&app.store).await;
    app.sign_in_as(Role::Agent).await;
    for ((language, summary, name), (_, _, _, _, _, words)) in summaries.iter().zip(&letters) {
        let row = all
            .iter()
            .find(|r| r.language == *language)
            .unwrap_or_else(|| panic!("no complaint in {language}: {all:?}"));
        assert_eq!(row.summary, *summary);
        assert_eq!(row.customer_name.as_deref(), Some(*name));
        let page = unescape(
            &app.get(&format!("/complaints/{}", row.reference))
                .await
                .text()
                .await
                .unwrap(),
        );
        assert!(page.contains(words), "{language}: {words} not on the page");
    }
    app.stop().await;
}
