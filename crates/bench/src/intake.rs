//! `redress bench intake`: a mailbox of many messages (new complaints in four languages,
//! some with files, replies to existing complaints by their Message-IDs, auto-replies)
//! ingested by the email intake, beside the raw IMAP baseline measured in the same run: the
//! same messages fetched from the same server with nothing done to them.
//!
//! It starts a throwaway Dovecot of its own (redress-intake's `dovecot` module: Debian's
//! `dovecot-imapd` and `openssl` must be installed) and fills it over IMAP.

use std::time::{Duration, Instant};

use anyhow::Context;
use redress_domain::{
    Actor, Channel, CustomerEmail, Language, NewComplaint, NewCustomer, Priority, Reference, Tier,
};
use redress_intake::{Intake, Mailbox, StatusBoard};
use redress_testing::dovecot::TestImapServer;

use super::note;
use redress::Settings;

/// Complaints received before the run, for the replies to answer.
const ANSWERED: usize = 500;

/// The `i`-th message of the mailbox: 7 in 10 new complaints (one in ten of them with a
/// file), 2 in 10 replies to the complaints in `references`, 1 in 10 auto-replies.
fn message(i: usize, references: &[Reference], domain: &str) -> String {
    let id = format!("<bench-{i}@customers.example>");
    let (language_words, subject) = match i % 4 {
        0 => (
            "My parcel arrived damaged and nobody answers the phone. I would like a refund.",
            "Damaged parcel",
        ),
        1 => (
            "El paquete llegó dañado y nadie contesta el teléfono. Quiero que me devuelvan el dinero.",
            "Paquete dañado",
        ),
        2 => (
            "Coletul a ajuns deteriorat și nimeni nu răspunde la telefon. Vreau banii înapoi.",
            "Colet deteriorat",
        ),
        _ => (
            "我的包裹到了但是坏了，也没有人接电话。我要求退款。",
            "包裹损坏",
        ),
    };
    let from = format!("customer{}@customers.example", i % 2_000);
    match i % 10 {
        0..=6 => {
            let file = if i.is_multiple_of(10) {
                "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n\
                 iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\r\n"
            } else {
                ""
            };
            format!(
                "From: Customer {i} <{from}>\r\nTo: complaints@{domain}\r\nSubject: {subject} #{i}\r\n\
                 Message-ID: {id}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
                 --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{language_words}\r\n\r\n-- \r\nCustomer {i}\r\n\
                 {file}--b--\r\n"
            )
        }
        7 | 8 => {
            let reference = &references[i % references.len()];
            format!(
                "From: {from}\r\nTo: complaints@{domain}\r\nSubject: Re: {reference}\r\n\
                 Message-ID: {id}\r\nIn-Reply-To: <{reference}.1.receipt@{domain}>\r\n\
                 MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 Any news? {language_words}\r\n\r\nOn Mon, 2 Mar 2026, Complaints wrote:\r\n> We are sorry.\r\n"
            )
        }
        _ => format!(
            "From: {from}\r\nTo: complaints@{domain}\r\nSubject: Out of office\r\nMessage-ID: {id}\r\n\
             Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nI am away until Monday.\r\n"
        ),
    }
}

/// Runs the benchmark over `messages` messages; returns the table it prints.
pub async fn intake(settings: &Settings, messages: usize) -> anyhow::Result<String> {
    let store = redress::open_store(settings).await?;
    anyhow::ensure!(
        store.projections.event_count().await? == 0,
        "point REDRESS_DATABASE_URL at an empty scratch database"
    );
    let server = TestImapServer::start()
        .await
        .map_err(anyhow::Error::msg)
        .context("the benchmark's IMAP server")?;
    let mut intake_settings = redress::intake_settings(&Settings {
        imap_url: redress::settings::SecretUrl::new(server.url()),
        ..settings.clone()
    })?
    .context("the intake settings")?;
    intake_settings.mailbox = server.settings();
    let domain = intake_settings.our_domain.clone();
    let mut report = format!(
        "\nEmail intake: {messages} messages in one mailbox (7 in 10 new complaints in four \
         languages, one in ten of those with a file; 2 in 10 replies by Message-ID to {ANSWERED} \
         complaints; 1 in 10 auto-replies), Dovecot over TLS on loopback, {} database.\n",
        match store.db.backend() {
            redress_store::Backend::Sqlite => "SQLite",
            redress_store::Backend::Postgres => "PostgreSQL",
        }
    );

    // The complaints the replies answer.
    let mut references = Vec::with_capacity(ANSWERED);
    for i in 0..ANSWERED {
        let reference = store
            .complaints
            .receive(
                Actor::Customer,
                NewComplaint {
                    reference: Reference::parse("RDR-0000-0000")?,
                    customer: NewCustomer {
                        name: format!("Customer {i}"),
                        email: Some(CustomerEmail::parse(&format!(
                            "customer{i}@customers.example"
                        ))?),
                        phone: None,
                        language: Language::En,
                    },
                    company: None,
                    tier: Tier::Standard,
                    channel: Channel::Email,
                    category: "General".into(),
                    summary: "Damaged parcel".into(),
                    description: "It arrived broken.".into(),
                    remedy_requested: None,
                    priority: Priority::Normal,
                    routing: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        references.push(reference);
    }

    let started = Instant::now();
    let mut mailbox = Mailbox::connect(&server.settings()).await?;
    for i in 0..messages {
        mailbox
            .append("INBOX", message(i, &references, &domain).as_bytes())
            .await?;
    }
    note(
        &mut report,
        format!(
            "filled the mailbox over IMAP in {:.1} s\n",
            started.elapsed().as_secs_f64()
        ),
    );

    // Baseline: the same messages fetched, nothing done with them.
    mailbox.select("INBOX").await?;
    let uids = mailbox.uids().await?;
    let started = Instant::now();
    let mut bytes = 0usize;
    for chunk in uids.chunks(25) {
        for (_, raw) in mailbox.fetch(chunk, 0).await? {
            bytes += raw.len();
        }
    }
    let raw_seconds = started.elapsed().as_secs_f64();

    // The intake's pass: every message parsed, claimed, recorded or set aside, moved.
    let status = StatusBoard::default();
    let intake = Intake::new(store.clone(), intake_settings.clone(), status);
    mailbox
        .ensure_folder(&intake_settings.processed_folder)
        .await?;
    mailbox
        .ensure_folder(&intake_settings.quarantine_folder)
        .await?;
    let started = Instant::now();
    let pass = intake.pass(&mut mailbox).await?;
    let intake_seconds = started.elapsed().as_secs_f64();
    mailbox.logout().await;
    anyhow::ensure!(
        pass.handled() == messages,
        "the intake handled {} of {messages} messages: {pass:?}",
        pass.handled()
    );
    let started = Instant::now();
    store.projections.run_until_idle().await?;
    let projected = started.elapsed();

    note(
        &mut report,
        format!(
            "\n{:<38} {:>9} {:>12} {:>8}\n",
            "", "seconds", "messages/s", "ratio"
        ),
    );
    note(
        &mut report,
        format!(
            "{:<38} {:>9.2} {:>12.0} {:>8}\n",
            format!("raw IMAP fetch ({:.1} MB)", bytes as f64 / 1e6),
            raw_seconds,
            messages as f64 / raw_seconds,
            "1.00x"
        ),
    );
    note(
        &mut report,
        format!(
            "{:<38} {:>9.2} {:>12.0} {:>7.3}x\n",
            "intake (read, record, move)",
            intake_seconds,
            messages as f64 / intake_seconds,
            raw_seconds / intake_seconds
        ),
    );
    report.push_str(&format!(
        "\n{} new complaints, {} emails on complaints, {} ignored, {} quarantined; \
         projections caught up {:.1} s after the pass.\n",
        pass.created,
        pass.added,
        pass.ignored,
        pass.quarantined,
        projected.as_secs_f64()
    ));
    report.push_str(&super::peak_memory_line());
    drop(server);
    // The server is gone: give its log no chance to matter.
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mailbox_mixes_new_complaints_replies_and_auto_replies() {
        let references = vec![Reference::parse("RDR-7KX4-9PQM").unwrap()];
        let kinds: Vec<&str> = (0..10)
            .map(|i| {
                let raw = message(i, &references, "redress.example");
                if raw.contains("Auto-Submitted") {
                    "auto"
                } else if raw.contains("In-Reply-To: <RDR-7KX4-9PQM.1.receipt@redress.example>") {
                    "reply"
                } else {
                    "new"
                }
            })
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "new").count(), 7);
        assert_eq!(kinds.iter().filter(|k| **k == "reply").count(), 2);
        assert_eq!(kinds.iter().filter(|k| **k == "auto").count(), 1);
        for i in 0..12 {
            assert!(matches!(
                redress_intake::message::read(
                    message(i, &references, "redress.example").as_bytes(),
                    1 << 20
                ),
                redress_intake::Reading::Email(_)
            ));
        }
    }
}
