//! The conversation with a Romanian customer in a real browser (`e2e/conversation.mjs`:
//! headless Chromium, every page checked with axe-core and the Nu HTML Checker), on both
//! databases, with a real SMTP server (aiosmtpd): saved replies, points of complaint, a reply
//! with a PDF, an internal note mentioning a colleague, the customer's status page and form
//! in Romanian, the customer adding a file, notifications in the app and by email, and an
//! outcome decided point by point. This test prepares the people and the complaint, runs the
//! script, then reads what the SMTP server received.

use std::collections::HashMap;

use mail_parser::MimeHeaders;

use redress_domain::{Actor, ComplaintAction, ComplaintCommand};
use redress_store::Role;
use redress_store::accounts::hash_password;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::browser::{artifacts_dir, run_script};
use crate::smtp::{Received, SmtpServer};
use crate::spawn_live_app_with;

on_both_backends!(a_reply_a_note_and_a_romanian_customer_in_a_real_browser);

const PASSWORD: &str = "a long conversation test password";
const CUSTOMER: &str = "ioana.marinescu@example.ro";

/// A small but real PDF: one empty page.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// The kind of an email Redress sent, from its Message-ID (`RDR-….N.kind@domain` for the
/// customer's, `notify.…`/`digest.…` for staff's).
fn kind_of(message: &Received) -> String {
    let id = message.message_id();
    if let Some(rest) = id.strip_prefix("notify.") {
        return format!("notify:{}", rest.split('@').next().unwrap_or_default());
    }
    id.split('.')
        .nth(2)
        .and_then(|k| k.split('@').next())
        .unwrap_or(&id)
        .to_string()
}

fn to_of(message: &Received) -> Vec<String> {
    message
        .parsed()
        .to()
        .map(|to| {
            to.iter()
                .filter_map(|a| a.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn a_reply_a_note_and_a_romanian_customer_in_a_real_browser(db: TestDb) {
    let backend = if db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let extra = [
        ("REDRESS_SMTP_URL", url.as_str()),
        ("REDRESS_MAIL_FROM", "Magazin <reclamatii@magazin.example>"),
        ("REDRESS_ORGANISATION", "Magazin Exemplu"),
    ];
    // A person at a browser cannot wait for the test to drive the workers: they run.
    let app = spawn_live_app_with(db, &extra).await;
    let hash = hash_password(PASSWORD).unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let mut accounts = HashMap::new();
    for (role, name, local) in [
        (Role::Agent, "Brenda Browser", "brenda"),
        (Role::Agent, "Colin Colleague", "colin"),
        (Role::Admin, "Adam Admin", "adam"),
    ] {
        let email = format!("{local}-{unique}@staff.example");
        let account = app
            .store
            .accounts
            .create(&email, name, role, &hash)
            .await
            .unwrap();
        accounts.insert(local, account);
    }

    // A Romanian customer's complaint from the web form, given to Brenda by the admin.
    let reference = crate::conversation::complaint(&app, CUSTOMER).await;
    app.store
        .complaints
        .execute(
            &reference,
            ComplaintCommand::new(
                Actor::Staff(accounts["adam"].member()),
                ComplaintAction::AssignOwner {
                    owner: accounts["brenda"].member(),
                },
            ),
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();
    let customer = app
        .store
        .complaint_list
        .get(reference.as_str())
        .await
        .unwrap()
        .expect("the complaint is listed")
        .customer_id;
    let status_path = format!(
        "/status/{}",
        app.store
            .links
            .token(&reference, chrono::Utc::now() + chrono::Duration::days(1))
    );

    let dir = artifacts_dir().join(format!("conversation-{backend}"));
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("factura-corectata.pdf"), PDF).unwrap();
    std::fs::write(files.join("extras.png"), PNG).unwrap();
    let run = run_script(
        "conversation",
        &dir,
        std::slice::from_ref(&app.address),
        &[
            ("REDRESS_E2E_PASSWORD", PASSWORD.to_string()),
            ("REDRESS_E2E_AGENT", accounts["brenda"].email.clone()),
            ("REDRESS_E2E_COLLEAGUE", accounts["colin"].email.clone()),
            ("REDRESS_E2E_COLLEAGUE_NAME", "Colin Colleague".to_string()),
            ("REDRESS_E2E_ADMIN", accounts["adam"].email.clone()),
            ("REDRESS_E2E_COMPLAINT", format!("/complaints/{reference}")),
            ("REDRESS_E2E_STATUS_PATH", status_path),
            ("REDRESS_E2E_CUSTOMER", format!("/customers/{customer}")),
            ("REDRESS_E2E_FILES", files.to_string_lossy().into_owned()),
            ("REDRESS_E2E_DIR", dir.to_string_lossy().into_owned()),
        ],
        14,
    )
    .await;
    assert_eq!(run.printed("complaint"), reference.as_str());
    let note = run.printed("note");
    assert_eq!(run.printed("downloaded"), format!("{} bytes", PDF.len()));

    // Every email owed has gone out: with the workers stopped, whatever is still due is sent
    // here.
    let app = app.restart_as(&extra, redress::ServeRole::WebOnly).await;
    app.settle().await;
    assert_eq!(
        app.store.outbox.counts().await.unwrap().pending,
        0,
        "the outbox drained"
    );
    let received = smtp.received();
    let to_customer: Vec<&Received> = received.iter().filter(|m| to_of(m) == [CUSTOMER]).collect();
    let by_kind: HashMap<String, &Received> =
        to_customer.iter().map(|m| (kind_of(m), *m)).collect();
    let thread = by_kind["receipt"].message_id();

    // The reply: in the complaint's thread, in Romanian, the saved reply filled in, the PDF
    // attached byte for byte.
    let reply = by_kind
        .get("reply")
        .unwrap_or_else(|| panic!("no reply among {:?}", by_kind.keys()))
        .parsed();
    assert_eq!(reply.in_reply_to().as_text(), Some(thread.as_str()));
    assert_eq!(reply.references().as_text(), Some(thread.as_str()));
    assert_eq!(
        reply.subject(),
        by_kind["receipt"].parsed().subject(),
        "one subject keeps the thread together"
    );
    let text = reply.body_text(0).unwrap().to_string();
    assert!(
        text.contains(&format!(
            "Bună ziua, Ioana Marinescu. Despre reclamația {reference}: Brenda Browser se ocupă"
        )),
        "{text}"
    );
    assert!(text.contains("Am atașat factura corectată."), "{text}");
    assert!(reply.body_html(0).unwrap().contains("<html lang=\"ro\">"));
    let attachment = reply
        .attachments()
        .find(|a| a.attachment_name() == Some("factura-corectata.pdf"))
        .unwrap_or_else(|| panic!("no PDF attached to the reply: {text}"));
    assert_eq!(attachment.contents(), PDF);
    assert_eq!(
        attachment.content_type().map(|c| format!(
            "{}/{}",
            c.ctype(),
            c.subtype().unwrap_or_default()
        )),
        Some("application/pdf".to_string())
    );

    // The outcome answers each point.
    let outcome = by_kind["outcome"]
        .parsed()
        .body_text(0)
        .unwrap()
        .to_string();
    for said in [
        "Abonamentul a fost plătit de două ori",
        "Sistemul nostru a încasat plata a doua oară.",
        "Nimeni nu a răspuns la primul e-mail",
        "Am răspuns la primul e-mail în aceeași zi.",
    ] {
        assert!(
            outcome.contains(said),
            "the outcome lacks {said:?}: {outcome}"
        );
    }

    // The note reached no customer's email; the colleague and the owner heard by email.
    for message in &received {
        let raw = String::from_utf8_lossy(&message.raw);
        if to_of(message) == [CUSTOMER] {
            assert!(
                !raw.contains("staff-only-7f3a") && !raw.contains("88213"),
                "an email to the customer carries the note ({note}): {raw}"
            );
        }
    }
    let staff_text = |who: &str| -> Vec<String> {
        received
            .iter()
            .filter(|m| to_of(m) == [accounts[who].email.clone()])
            .map(|m| m.parsed().body_text(0).unwrap().to_string())
            .collect()
    };
    let colin = staff_text("colin");
    assert!(
        colin
            .iter()
            .any(|t| t.contains("mentioned you in an internal note")
                && t.contains(reference.as_str())),
        "Colin was not told of the mention: {colin:?}"
    );
    assert!(
        !colin.iter().any(|t| t.contains("The customer wrote")),
        "Colin was told what only the owner hears: {colin:?}"
    );
    let brenda = staff_text("brenda");
    for headline in ["assigned the complaint to you", "The customer wrote"] {
        assert!(
            brenda
                .iter()
                .any(|t| t.contains(headline) && t.contains(reference.as_str())),
            "Brenda was not emailed {headline:?}: {brenda:?}"
        );
    }

    // What the customer added is on the complaint, their file with it.
    let events = app.store.complaints.events_of(&reference).await.unwrap();
    assert!(
        events.iter().any(|e| matches!(
            &e.change,
            redress_domain::ComplaintChange::FilesAttached { files }
                if files.iter().any(|f| f.content_type == "image/png" && f.size == PNG.len() as u64)
        )),
        "the customer's file is not on the complaint"
    );

    app.stop().await;
}
