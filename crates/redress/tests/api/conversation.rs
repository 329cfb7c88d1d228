//! The conversation with the customer, over HTTP, on both databases: replies (from saved
//! replies, with files) emailed in the complaint's thread, internal notes that mention
//! colleagues and never reach the customer, points of complaint, the customer adding words
//! and files, who hears what (in the app and by email, as each person chooses), the emails
//! as they were sent, and every refusal writing nothing.

use std::path::Path;

use redress_domain::{
    Actor, Channel, ComplaintAction, ComplaintCommand, CustomerEmail, Language, NewComplaint,
    NewCustomer, Priority, Reference, SlaClock, Tier,
};
use redress_store::{Role, StaffAccount};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{TestApp, Visitor, csrf_in, spawn_app};

on_both_backends!(
    a_reply_goes_out_in_the_customers_thread_with_its_file_and_a_note_stays_with_staff,
    colleagues_and_owners_hear_what_matters_in_the_app_and_by_email_as_they_choose,
    a_spanish_speaking_agent_is_told_by_email_in_spanish,
    bad_replies_notes_and_promises_are_refused_and_write_nothing,
    saved_replies_are_kept_in_four_languages_and_unknown_placeholders_are_refused,
    the_customers_page_and_export_never_show_what_staff_wrote_for_each_other,
);

fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// A Romanian customer's complaint, received from the web form.
pub(crate) async fn complaint(app: &TestApp, email: &str) -> Reference {
    app.store
        .complaints
        .receive(
            Actor::Customer,
            NewComplaint {
                reference: Reference::parse("RDR-0000-0000").unwrap(),
                customer: NewCustomer {
                    name: "Ioana Marinescu".into(),
                    email: Some(CustomerEmail::parse(email).unwrap()),
                    phone: None,
                    language: Language::Ro,
                },
                company: None,
                tier: Tier::Standard,
                channel: Channel::WebForm,
                category: "Billing".into(),
                summary: "Abonament plătit de două ori".into(),
                description: "Mi s-au luat 149 de lei de două ori pentru același abonament.".into(),
                remedy_requested: Some("Vreau banii înapoi.".into()),
                priority: Priority::Normal,
                routing: None,
            },
        )
        .await
        .unwrap()
}

/// A member of staff with a known address, signed in on a visitor of their own.
async fn colleague(app: &TestApp, local: &str, name: &str, role: Role) -> (Visitor, StaffAccount) {
    let visitor = app.another_visitor();
    let hash = redress_store::accounts::hash_password(crate::PASSWORD).unwrap();
    let email = format!("{local}@staff.example");
    let account = app
        .store
        .accounts
        .create(&email, name, role, &hash)
        .await
        .unwrap();
    assert_eq!(visitor.sign_in(&email, crate::PASSWORD).await.status(), 303);
    (visitor, account)
}

/// Posts an action form of the complaint page; returns the answer.
async fn act(
    staff: &Visitor,
    reference: &Reference,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = format!("/complaints/{reference}");
    let html = staff.get(&page).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    staff.post_form(&format!("{page}/{action}"), &form).await
}

/// Posts the reply form (a form with files).
async fn reply(
    staff: &Visitor,
    reference: &Reference,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> reqwest::Response {
    let page = format!("/complaints/{reference}");
    let html = staff.get(&page).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    staff
        .post_multipart(&format!("{page}/reply"), &form, files)
        .await
}

/// The email with this outbox id, once every email due has been sent.
async fn email(app: &TestApp, dir: &Path, id: &str) -> Vec<u8> {
    app.settle().await;
    let file = dir.join(format!("{id}.eml"));
    std::fs::read(&file).unwrap_or_else(|e| panic!("no email {id} in {}: {e}", dir.display()))
}

/// Every email written so far, as text.
pub(crate) fn every_email(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let raw = std::fs::read(entry.path()).unwrap_or_default();
        if let Some(parsed) = mail_parser::MessageParser::default().parse(&raw) {
            for i in 0.. {
                let Some(text) = parsed.body_text(i) else {
                    break;
                };
                all.push_str(&text);
            }
            if let Some(html) = parsed.body_html(0) {
                all.push_str(&html);
            }
        }
    }
    all
}

/// The events of a complaint.
async fn events(app: &TestApp, reference: &Reference) -> usize {
    app.store
        .complaints
        .events_of(reference)
        .await
        .unwrap()
        .len()
}

/// The customer's status page, from a fresh signed link.
fn link(app: &TestApp, reference: &Reference) -> String {
    format!(
        "/status/{}",
        app.store
            .links
            .token(reference, chrono::Utc::now() + chrono::Duration::days(1))
    )
}

async fn a_reply_goes_out_in_the_customers_thread_with_its_file_and_a_note_stays_with_staff(
    db: TestDb,
) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let (admin, _) = colleague(&app, "maria", "Maria Ionescu", Role::Admin).await;
    let (agent, me) = colleague(&app, "lucia", "Lucía Fernández", Role::Agent).await;
    let (_, james) = colleague(&app, "james", "James Carter", Role::Manager).await;
    let reference = complaint(&app, "ioana@example.ro").await;

    // A saved reply, in four languages, with placeholders.
    let page = admin
        .get("/admin/saved-replies")
        .await
        .text()
        .await
        .unwrap();
    let saved = admin
        .post_form(
            "/admin/saved-replies",
            &[
                ("csrf", &csrf_in(&page)),
                ("title", "Refund on its way"),
                (
                    "body_en",
                    "Dear {{customer_name}}, the refund for {{reference}} is on its way.",
                ),
                (
                    "body_es",
                    "Estimado/a {{customer_name}}: el reembolso de {{reference}} está en camino.",
                ),
                (
                    "body_ro",
                    "Stimată {{customer_name}}, rambursarea pentru {{reference}} este pe drum.",
                ),
                (
                    "body_zh",
                    "尊敬的{{customer_name}}：{{reference}} 的退款正在处理中。",
                ),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let saved_id = app.store.saved_replies.list().await.unwrap()[0]
        .id
        .to_string();

    let me_id = me.id.to_string();
    for (action, fields) in [
        ("acknowledge", vec![("apology", "Ne pare sincer rău.")]),
        ("assign_owner", vec![("owner_id", me_id.as_str())]),
        (
            "record_points",
            vec![
                (
                    "points",
                    "Abonamentul a fost plătit de două ori\nNimeni nu a răspuns la telefon",
                ),
                ("send", "on"),
            ],
        ),
    ] {
        let answer = act(&agent, &reference, action, &fields).await;
        assert_eq!(
            answer.status(),
            303,
            "{action}: {}",
            answer.text().await.unwrap()
        );
    }

    // Without JavaScript, "Insert" brings the saved reply, filled in for this complaint in the
    // customer's language, into the box.
    let inserted = reply(
        &agent,
        &reference,
        &[("saved_reply", &saved_id), ("insert", ""), ("message", "")],
        &[],
    )
    .await;
    assert_eq!(inserted.status(), 200);
    let html = unescape(&inserted.text().await.unwrap());
    let filled = format!("Stimată Ioana Marinescu, rambursarea pentru {reference} este pe drum.");
    assert!(html.contains(&filled), "{html}");

    // The reply, with a PDF.
    let pdf: &[u8] = b"%PDF-1.4\n% the credit note\n";
    let before = events(&app, &reference).await;
    let sent = reply(
        &agent,
        &reference,
        &[("saved_reply", &saved_id), ("message", &filled)],
        &[("files", "nota-de-credit.pdf", "application/pdf", pdf)],
    )
    .await;
    assert_eq!(sent.status(), 303, "{}", sent.text().await.unwrap());
    assert_eq!(events(&app, &reference).await, before + 1);

    // A note for staff, mentioning a colleague.
    let note = "Am sunat-o pe doamna Marinescu: confirmă două plăți de 149 lei, contul 88213. @james verifică, te rog.";
    let noted = act(&agent, &reference, "note", &[("note", note)]).await;
    assert_eq!(noted.status(), 303, "{}", noted.text().await.unwrap());

    // The customer's email: in the complaint's thread, in Romanian, with the file.
    let sequence = app
        .store
        .complaints
        .events_of(&reference)
        .await
        .unwrap()
        .iter()
        .position(|e| matches!(e.change, redress_domain::ComplaintChange::ReplySent { .. }))
        .unwrap()
        + 1;
    let id = format!("{reference}.{sequence}.reply");
    let raw = email(&app, &dir, &id).await;
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let thread = format!("{reference}.1.receipt@redress.example");
    assert_eq!(parsed.in_reply_to().as_text(), Some(thread.as_str()));
    assert_eq!(parsed.references().as_text(), Some(thread.as_str()));
    assert_eq!(
        parsed.subject(),
        Some(format!("Reclamația dumneavoastră {reference}").as_str())
    );
    let text = parsed.body_text(0).unwrap().to_string();
    assert!(text.contains(&filled), "{text}");
    assert!(text.contains("Atașate la acest e-mail"), "{text}");
    let attachment = parsed.attachments().next().expect("the PDF is attached");
    assert_eq!(
        mail_parser::MimeHeaders::attachment_name(attachment),
        Some("nota-de-credit.pdf")
    );
    assert_eq!(attachment.contents(), pdf);
    // The points went to them too ("what we understood").
    let points_at = app
        .store
        .complaints
        .events_of(&reference)
        .await
        .unwrap()
        .iter()
        .position(|e| {
            matches!(
                e.change,
                redress_domain::ComplaintChange::PointsOfComplaintRecorded { .. }
            )
        })
        .unwrap()
        + 1;
    let raw = email(&app, &dir, &format!("{reference}.{points_at}.points")).await;
    let points = mail_parser::MessageParser::default()
        .parse(&raw)
        .unwrap()
        .body_text(0)
        .unwrap()
        .to_string();
    assert!(
        points.contains("2. Nimeni nu a răspuns la telefon"),
        "{points}"
    );

    // Staff open the email as it was sent, from the timeline.
    let page = unescape(
        &agent
            .get(&format!("/complaints/{reference}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        page.contains(&format!("/complaints/{reference}/emails/{id}")),
        "{page}"
    );
    assert!(page.contains("Internal note") && page.contains("Staff only"));
    assert!(page.contains("nota-de-credit.pdf"));
    let shown = unescape(
        &agent
            .get(&format!("/complaints/{reference}/emails/{id}"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        shown.contains("In-Reply-To") && shown.contains(&thread),
        "{shown}"
    );
    assert!(shown.contains(&filled) && shown.contains("nota-de-credit.pdf"));
    assert!(shown.contains("sent"), "the attempt is listed");
    let html_part = agent
        .get(&format!("/complaints/{reference}/emails/{id}/html"))
        .await;
    assert_eq!(html_part.status(), 200);
    assert!(
        html_part.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert!(
        html_part
            .text()
            .await
            .unwrap()
            .contains("<html lang=\"ro\">")
    );

    // The customer's page: Romanian, the reply and the file, never the note.
    let link = link(&app, &reference);
    let customer = app.another_visitor();
    let status = unescape(&customer.get(&link).await.text().await.unwrap());
    assert!(status.contains("<html lang=\"ro\">"), "{status}");
    assert!(status.contains("Răspunsul nostru") && status.contains(&filled));
    assert!(status.contains("Ce am înțeles că reclamați"));
    assert!(status.contains("nota-de-credit.pdf"));
    assert!(!status.contains("88213") && !status.contains("Am sunat-o"));
    let file = status
        .split(&format!("{link}/files/"))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the file");
    let download = customer.get(&format!("{link}/files/{file}")).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().as_ref(), pdf);
    // James was mentioned: he hears of it.
    app.store.projections.run_until_idle().await.unwrap();
    let notices = app
        .store
        .notifications
        .list(james.id, Role::Manager, 10)
        .await
        .unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == "mentioned" && n.reference == reference.as_str())
    );
    app.stop().await;
}

/// A member of staff who reads Spanish is emailed in Spanish: the subject, the greeting and
/// what happened (the complaint's own words stay as the customer wrote them).
async fn a_spanish_speaking_agent_is_told_by_email_in_spanish(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let (_, agent) = colleague(&app, "lucia", "Lucía Fernández", Role::Agent).await;
    app.store
        .accounts
        .set_language(agent.id, Some("es"))
        .await
        .unwrap();
    let (manager_visitor, _) = colleague(&app, "james", "James Carter", Role::Manager).await;
    let reference = complaint(&app, "ioana@example.ro").await;
    let assigned = act(
        &manager_visitor,
        &reference,
        "assign_owner",
        &[("owner_id", &agent.id.to_string())],
    )
    .await;
    assert_eq!(assigned.status(), 303);
    app.store.projections.run_until_idle().await.unwrap();
    let notices = app
        .store
        .notifications
        .list(agent.id, Role::Agent, 10)
        .await
        .unwrap();
    let notice = notices.iter().find(|n| n.kind == "assigned").expect("told");
    let raw = email(
        &app,
        &dir,
        &redress_store::notifications::email_id(&notice.id),
    )
    .await;
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        parsed.to().unwrap().first().unwrap().address(),
        Some("lucia@staff.example")
    );
    assert_eq!(
        parsed.subject().unwrap(),
        format!(
            "[{reference}] James Carter te ha asignado la reclamación — Abonament plătit de două ori"
        )
    );
    let text = parsed.body_text(0).unwrap().to_string();
    assert!(text.starts_with("Hola, Lucía Fernández:"), "{text}");
    assert!(
        text.contains(&format!(
            "James Carter te ha asignado la reclamación: {reference} (Abonament plătit de două ori)"
        )),
        "{text}"
    );
    assert!(text.contains("Elige de qué te avisamos y cómo"), "{text}");
    assert!(!text.contains("Hello") && !text.contains("assigned the complaint"));
    let html = parsed.body_html(0).unwrap().to_string();
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    app.stop().await;
}

async fn colleagues_and_owners_hear_what_matters_in_the_app_and_by_email_as_they_choose(
    db: TestDb,
) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let (owner_visitor, owner) = colleague(&app, "lucia", "Lucía Fernández", Role::Agent).await;
    let (manager_visitor, manager) = colleague(&app, "james", "James Carter", Role::Manager).await;
    let reference = complaint(&app, "ioana@example.ro").await;
    let link = link(&app, &reference);
    let customer = app.another_visitor();

    // Nobody owns it yet: the customer's words tell the managers.
    let page = customer.get(&link).await.text().await.unwrap();
    let added = customer
        .post_multipart(
            &format!("{link}/add"),
            &[
                ("csrf", &csrf_in(&page)),
                ("text", "Am găsit și extrasul de cont."),
            ],
            &[("files", "extras.pdf", "application/pdf", b"%PDF-1.4 extras")],
        )
        .await;
    assert_eq!(added.status(), 303);
    app.store.projections.run_until_idle().await.unwrap();
    let seen = |html: &str| -> i64 {
        html.split("class=\"count\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let page = manager_visitor
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(seen(&page), 1, "the manager has one unread");
    assert!(page.contains("The customer wrote"));
    let page = owner_visitor.get("/complaints").await.text().await.unwrap();
    assert_eq!(
        seen(&page),
        0,
        "an agent is not told of complaints nobody owns"
    );

    // Assigned by the manager: the owner hears, and gets an email at once.
    let assigned = act(
        &manager_visitor,
        &reference,
        "assign_owner",
        &[("owner_id", &owner.id.to_string())],
    )
    .await;
    assert_eq!(assigned.status(), 303);
    app.store.projections.run_until_idle().await.unwrap();
    let notices = app
        .store
        .notifications
        .list(owner.id, Role::Agent, 10)
        .await
        .unwrap();
    let assigned_notice = notices.iter().find(|n| n.kind == "assigned").expect("told");
    let raw = email(
        &app,
        &dir,
        &redress_store::notifications::email_id(&assigned_notice.id),
    )
    .await;
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        parsed.to().unwrap().first().unwrap().address(),
        Some("lucia@staff.example")
    );
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("James Carter assigned the complaint to you")
    );

    // The customer writes again: now the owner hears, the managers do not.
    let page = customer.get(&link).await.text().await.unwrap();
    let again = customer
        .post_multipart(
            &format!("{link}/add"),
            &[("csrf", &csrf_in(&page)), ("text", "Vă rog să mă sunați.")],
            &[],
        )
        .await;
    assert_eq!(again.status(), 303);
    app.store.projections.run_until_idle().await.unwrap();
    let page = owner_visitor
        .get("/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(seen(&page), 2, "assigned, and the customer wrote");
    let manager_unread = app
        .store
        .notifications
        .unread(manager.id, Role::Manager)
        .await
        .unwrap();
    assert_eq!(
        manager_unread, 1,
        "the managers heard only while nobody owned it"
    );

    // Read one by one, then all at once.
    let notices = app
        .store
        .notifications
        .list(owner.id, Role::Agent, 10)
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    let one = owner_visitor
        .post_form(
            &format!("/notifications/{}/read", notices[0].id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(one.status(), 303);
    assert_eq!(
        app.store
            .notifications
            .unread(owner.id, Role::Agent)
            .await
            .unwrap(),
        1
    );
    // Someone else's notification is not theirs to mark.
    let theirs = app
        .store
        .notifications
        .list(manager.id, Role::Manager, 10)
        .await
        .unwrap();
    let foreign = owner_visitor
        .post_form(
            &format!("/notifications/{}/read", theirs[0].id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(foreign.status(), 404);
    let all = owner_visitor
        .post_form("/notifications/read-all", &[("csrf", &csrf)])
        .await;
    assert_eq!(all.status(), 303);
    assert_eq!(
        app.store
            .notifications
            .unread(owner.id, Role::Agent)
            .await
            .unwrap(),
        0
    );

    // The owner chooses not to hear of customers' words by email, and a digest for
    // reopenings: the next one shows in the app only.
    let page = owner_visitor.get("/account").await.text().await.unwrap();
    let chosen = owner_visitor
        .post_form(
            "/account/notifications",
            &[
                ("csrf", &csrf_in(&page)),
                ("customer_wrote", "none"),
                ("reopened", "digest"),
            ],
        )
        .await;
    assert_eq!(chosen.status(), 303);
    let page = owner_visitor.get("/account").await.text().await.unwrap();
    assert!(
        page.contains(
            "id=\"n-customer_wrote-none\" name=\"customer_wrote\" value=\"none\" checked"
        )
    );
    let bad = owner_visitor
        .post_form(
            "/account/notifications",
            &[
                ("csrf", &csrf_in(&page)),
                ("customer_wrote", "carrier-pigeon"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 400);
    let page = customer.get(&link).await.text().await.unwrap();
    let third = customer
        .post_multipart(
            &format!("{link}/add"),
            &[("csrf", &csrf_in(&page)), ("text", "Încă aștept.")],
            &[],
        )
        .await;
    assert_eq!(third.status(), 303);
    app.store.projections.run_until_idle().await.unwrap();
    let notices = app
        .store
        .notifications
        .list(owner.id, Role::Agent, 10)
        .await
        .unwrap();
    let latest = &notices[0];
    assert_eq!(latest.kind, "customer_wrote");
    assert!(latest.read_at.is_none(), "in the app, unread");
    let id = redress_store::notifications::email_id(&latest.id);
    app.settle().await;
    let row = app.store.outbox.get(&id).await.unwrap().expect("queued");
    assert_eq!(row.state, "cancelled", "not by email, as chosen");
    assert!(!dir.join(format!("{id}.eml")).exists());
    app.stop().await;
}

async fn bad_replies_notes_and_promises_are_refused_and_write_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    let (agent, me) = colleague(&app, "lucia", "Lucía Fernández", Role::Agent).await;
    let reference = complaint(&app, "ioana@example.ro").await;
    let me_id = me.id.to_string();
    for (action, fields) in [
        ("acknowledge", vec![("apology", "Ne pare rău.")]),
        ("record_points", vec![("points", "Plătit de două ori")]),
        ("record_fact", vec![("fact", "Două plăți în jurnal.")]),
        (
            "conclude_investigation",
            vec![("findings", "O eroare a procesatorului.")],
        ),
        ("assign_owner", vec![("owner_id", me_id.as_str())]),
    ] {
        assert_eq!(
            act(&agent, &reference, action, &fields).await.status(),
            303,
            "{action}"
        );
    }
    let before = events(&app, &reference).await;
    let files_before = app.store.attachments.open(uuid::Uuid::nil()).await.unwrap();
    assert!(files_before.is_none());

    // An empty reply.
    let empty = reply(&agent, &reference, &[("message", "  ")], &[]).await;
    assert_eq!(empty.status(), 422);
    assert!(unescape(&empty.text().await.unwrap()).contains("Write the reply before sending it."));
    // A file over the limit (10 MB by default).
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let large = reply(
        &agent,
        &reference,
        &[("message", "Here it is.")],
        &[("files", "scan.pdf", "application/pdf", &big)],
    )
    .await;
    assert_eq!(large.status(), 413);
    assert!(unescape(&large.text().await.unwrap()).contains("scan.pdf is larger than the 10 MB"));
    // Too many files (5 by default).
    let one: &[u8] = b"x";
    let six: Vec<(&str, &str, &str, &[u8])> = (0..6)
        .map(|_| ("files", "a.txt", "text/plain", one))
        .collect();
    let many = reply(&agent, &reference, &[("message", "Files.")], &six).await;
    assert_eq!(many.status(), 422);
    assert!(unescape(&many.text().await.unwrap()).contains("At most 5 files"));
    // A mention of nobody.
    let nobody = act(
        &agent,
        &reference,
        "note",
        &[("note", "Ask @ghost about it.")],
    )
    .await;
    assert_eq!(nobody.status(), 422);
    assert!(unescape(&nobody.text().await.unwrap()).contains("No colleague answers to @ghost"));
    // A promise past the resolution target, and one in the past.
    app.store.projections.run_until_idle().await.unwrap();
    let far = (chrono::Utc::now() + chrono::Duration::days(400))
        .date_naive()
        .to_string();
    let late = act(
        &agent,
        &reference,
        "commit_to_action",
        &[("action", "Refund"), ("due_on", &far)],
    )
    .await;
    assert_eq!(late.status(), 422);
    let html = unescape(&late.text().await.unwrap());
    assert!(
        html.contains("after the complaint is due to be resolved"),
        "{html}"
    );
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let past = act(
        &agent,
        &reference,
        "commit_to_action",
        &[("action", "Refund"), ("due_on", &yesterday)],
    )
    .await;
    assert_eq!(past.status(), 422);
    assert!(unescape(&past.text().await.unwrap()).contains("which is in the past"));
    // A decision that leaves a point undecided.
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(
        act(
            &agent,
            &reference,
            "commit_to_action",
            &[("action", "Refund"), ("due_on", &today)]
        )
        .await
        .status(),
        303
    );
    let before = before + 1;
    let undecided = act(&agent, &reference, "resolve", &[("reasons", "Done.")]).await;
    assert_eq!(undecided.status(), 422);
    assert!(unescape(&undecided.text().await.unwrap()).contains("Decide every point of complaint"));
    assert_eq!(
        events(&app, &reference).await,
        before,
        "nothing was written"
    );

    // Closed: no more replies.
    for (action, fields) in [
        (
            "resolve",
            vec![
                ("point_outcome_1", "upheld"),
                ("point_reasons_1", "Our error."),
                ("reasons", "Our error."),
            ],
        ),
        ("close", vec![]),
    ] {
        assert_eq!(
            act(&agent, &reference, action, &fields).await.status(),
            303,
            "{action}"
        );
    }
    let closed = events(&app, &reference).await;
    let refused = reply(&agent, &reference, &[("message", "One more thing.")], &[]).await;
    assert_eq!(refused.status(), 422);
    assert!(unescape(&refused.text().await.unwrap()).contains("The complaint is closed"));
    assert_eq!(events(&app, &reference).await, closed);
    // No file of a refused reply is left behind.
    let kept: i64 = redress_store::on_pool!(&app.store.db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM complaint_files"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(kept, 0);
    app.stop().await;
}

async fn saved_replies_are_kept_in_four_languages_and_unknown_placeholders_are_refused(db: TestDb) {
    let app = spawn_app(db).await;
    let (admin, _) = colleague(&app, "maria", "Maria Ionescu", Role::Admin).await;
    let (agent, _) = colleague(&app, "lucia", "Lucía Fernández", Role::Agent).await;
    let page = admin
        .get("/admin/saved-replies")
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    let good = [
        ("title", "Thanks"),
        ("body_en", "Thank you, {{customer_name}}."),
        ("body_es", "Gracias, {{customer_name}}."),
        ("body_ro", "Mulțumim, {{customer_name}}."),
        ("body_zh", "谢谢，{{customer_name}}。"),
    ];
    let mut unknown = good.to_vec();
    unknown[1] = ("body_en", "Thank you, {{name}}.");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(&unknown);
    let refused = admin.post_form("/admin/saved-replies", &form).await;
    assert_eq!(refused.status(), 422);
    let html = unescape(&refused.text().await.unwrap());
    assert!(html.contains("{{name}} is not a placeholder"), "{html}");
    assert!(
        html.contains("Thank you, {{name}}."),
        "what they wrote is kept"
    );
    let mut missing = good.to_vec();
    missing[4] = ("body_zh", " ");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(&missing);
    assert_eq!(
        admin
            .post_form("/admin/saved-replies", &form)
            .await
            .status(),
        422
    );
    assert!(app.store.saved_replies.list().await.unwrap().is_empty());
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(&good);
    assert_eq!(
        admin
            .post_form("/admin/saved-replies", &form)
            .await
            .status(),
        303
    );
    let saved = app.store.saved_replies.list().await.unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].ro, "Mulțumim, {{customer_name}}.");
    // Agents may not keep the library.
    let page = agent.get("/complaints").await.text().await.unwrap();
    assert_eq!(
        agent
            .post_form("/admin/saved-replies", &[("csrf", &csrf_in(&page))])
            .await
            .status(),
        403
    );
    // Set aside: no longer offered on the complaint page.
    let reference = complaint(&app, "ioana@example.ro").await;
    let page = agent
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(">Thanks</option>"));
    let archived = admin
        .post_form(
            &format!("/admin/saved-replies/{}/archive", saved[0].id),
            &[("csrf", &csrf), ("archived", "true")],
        )
        .await;
    assert_eq!(archived.status(), 303);
    let page = agent
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(">Thanks</option>"));
    app.stop().await;
}

async fn the_customers_page_and_export_never_show_what_staff_wrote_for_each_other(db: TestDb) {
    let dir = crate::mail_dir_for(&db);
    let app = spawn_app(db).await;
    let (agent, me) = colleague(&app, "lucia", "Lucía Fernández", Role::Agent).await;
    let (admin, _) = colleague(&app, "maria", "Maria Ionescu", Role::Admin).await;
    let reference = complaint(&app, "ioana@example.ro").await;
    // Every kind of thing staff write for each other, between what the customer is told.
    let internal = [
        "INTERNAL-statement: I called Mrs Marinescu, account 88213.",
        "INTERNAL-fact: two captures in the processor log.",
        "INTERNAL-findings: the retry fired twice.",
        "INTERNAL-note: ask finance about the chargeback.",
        "INTERNAL-communication: left a voicemail.",
        "INTERNAL-reopen: she called back, still charged.",
        "INTERNAL-cause: the rota was empty.",
    ];
    let today = chrono::Utc::now().date_naive().to_string();
    let me_id = me.id.to_string();
    let steps: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("acknowledge", vec![("apology", "Ne pare rău.")]),
        (
            "record_customer_statement",
            vec![("channel", "phone"), ("statement", internal[0])],
        ),
        (
            "record_customer_statement",
            vec![
                ("channel", "phone"),
                ("statement", "SHARED: you told us it was charged twice."),
                ("shared", "on"),
            ],
        ),
        (
            "record_points",
            vec![("points", "Plătit de două ori"), ("send", "on")],
        ),
        ("record_fact", vec![("fact", internal[1])]),
        ("note", vec![("note", internal[3])]),
        (
            "record_communication",
            vec![
                ("direction", "outbound"),
                ("channel", "phone"),
                ("summary", internal[4]),
            ],
        ),
        ("conclude_investigation", vec![("findings", internal[2])]),
        (
            "commit_to_action",
            vec![("action", "Vă returnăm banii."), ("due_on", &today)],
        ),
        ("assign_owner", vec![("owner_id", &me_id)]),
        (
            "send_progress_update",
            vec![
                ("message", "Rambursarea e în curs."),
                ("next_update_on", &today),
            ],
        ),
        (
            "resolve",
            vec![
                ("point_outcome_1", "upheld"),
                ("point_reasons_1", "Eroarea noastră."),
                ("reasons", "Am greșit."),
            ],
        ),
        ("close", vec![]),
        ("reopen", vec![("reason", internal[5])]),
    ];
    for (action, fields) in &steps {
        let answer = act(&agent, &reference, action, fields).await;
        assert_eq!(
            answer.status(),
            303,
            "{action}: {}",
            answer.text().await.unwrap()
        );
    }
    app.store
        .complaints
        .execute(
            &reference,
            ComplaintCommand::new(
                Actor::Staff(me.member()),
                ComplaintAction::RecordBreachCause {
                    clock: SlaClock::Acknowledge,
                    cycle: 1,
                    cause: internal[6].into(),
                },
            ),
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();

    let customer = app.another_visitor();
    let status = unescape(
        &customer
            .get(&link(&app, &reference))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        status.contains("SHARED: you told us it was charged twice."),
        "shared: {status}"
    );
    assert!(status.contains("Rezumatul nostru"), "shared as our summary");
    assert!(status.contains("Plătit de două ori") && status.contains("Eroarea noastră."));
    // Step 2 is done once the points exist (not when a statement was recorded).
    let customer_id = app.list_row(reference.as_str()).await.customer_id;
    let export = unescape(
        &admin
            .get(&format!("/customers/{customer_id}/export"))
            .await
            .text()
            .await
            .unwrap(),
    );
    let json = admin
        .get(&format!("/customers/{customer_id}/export?format=json"))
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains("Kept for staff") && export.contains("Internal note"));
    // Send the emails the steps owed, then read every one.
    app.settle().await;
    assert_eq!(app.store.outbox.counts().await.unwrap().pending, 0);
    let emails = every_email(&dir);
    assert!(
        emails.contains("Vă returnăm banii."),
        "the emails were read"
    );
    for text in internal {
        assert!(!status.contains(text), "the status page shows {text:?}");
        assert!(!export.contains(text), "the export page shows {text:?}");
        assert!(!json.contains(text), "the JSON export shows {text:?}");
        assert!(!emails.contains(text), "an email shows {text:?}");
    }
    app.stop().await;
}
