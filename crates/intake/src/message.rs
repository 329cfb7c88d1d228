//! Reading one raw message: who sent it, what it answers, what it says, what it carries, and
//! whether a machine sent it.

use mail_parser::{HeaderName, HeaderValue, MessageParser, MimeHeaders};
use redress_domain::CustomerEmail;
use sha2::{Digest, Sha256};

/// A message as far as the intake needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// Its `Message-ID` (without angle brackets), or `sha256:…` of the raw message when it
    /// has none: what makes a second copy recognisable.
    pub message_id: String,
    /// The sender's display name, if given.
    pub from_name: Option<String>,
    /// The sender's address.
    pub from: CustomerEmail,
    /// The subject (empty when there is none).
    pub subject: String,
    /// The messages it answers: `In-Reply-To` then `References`, without angle brackets.
    pub answers: Vec<String>,
    /// Its words: the text part, or the HTML part turned into text.
    pub text: String,
    /// The files it carries.
    pub files: Vec<File>,
    /// Why a machine sent it, when it was (an auto-reply, a bounce, a list, spam).
    pub automatic: Option<String>,
    /// Why its sender looks forged, when the receiving mail server says so (DMARC failed).
    pub forged: Option<String>,
    /// `sha256:` of the raw message: tells a different message under a reused Message-ID.
    pub digest: String,
}

/// A file a message carries.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Its name (a made-up one when the sender gave none).
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its bytes (empty when it is not to be kept: see `refused`).
    pub bytes: Vec<u8>,
    /// Why it cannot be kept, whatever the limits: it did not decode, or it is larger than
    /// the limit [`read`] was given.
    pub refused: Option<String>,
}

/// The longest `Message-ID` kept as it is; a longer one is known by its digest (an index
/// entry has a size limit, and no real mailer writes one this long).
const MAX_MESSAGE_ID: usize = 250;

fn sha256_of(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    format!(
        "sha256:{}",
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// What reading a message gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A message that can be recorded (or ignored, if automatic).
    Email(Box<Email>),
    /// A message that cannot be read, with why, and what could be made out of it for the
    /// people who will look at it.
    Unreadable {
        /// Why, in words for staff.
        reason: String,
        /// Its `Message-ID`, or the digest standing in for one.
        message_id: String,
        /// The sender as written, if any.
        sender: Option<String>,
        /// The subject, if any.
        subject: Option<String>,
    },
}

/// Reads a raw message (RFC 5322 with MIME). Files larger than `max_file_bytes` are not
/// copied out of it (they come back refused, with their size).
pub fn read(raw: &[u8], max_file_bytes: u64) -> Reading {
    let digest = || sha256_of(raw);
    let Some(message) = MessageParser::default().parse(raw) else {
        return Reading::Unreadable {
            reason: "it is not an email message (no headers or body could be read)".into(),
            message_id: digest(),
            sender: None,
            subject: None,
        };
    };
    let message_id = message
        .message_id()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map_or_else(digest, |id| {
            if id.len() > MAX_MESSAGE_ID {
                sha256_of(id.as_bytes())
            } else {
                id.to_string()
            }
        });
    let subject = message
        .subject()
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let sender = message.from().and_then(|from| from.first());
    let written_sender = sender.map(|s| match (s.name(), s.address()) {
        (Some(name), Some(address)) => format!("{name} <{address}>"),
        (None, Some(address)) => address.to_string(),
        (Some(name), None) => name.to_string(),
        (None, None) => String::new(),
    });
    let unreadable = |reason: &str| Reading::Unreadable {
        reason: reason.to_string(),
        message_id: message_id.clone(),
        sender: written_sender.clone().filter(|s| !s.is_empty()),
        subject: Some(subject.clone()).filter(|s| !s.is_empty()),
    };
    // mail-parser recovers what it can of a broken message, and says which parts it had to
    // guess at. A broken file is refused on its own (below); broken words, or a multipart
    // that could not be split into its parts (its boundary never comes), send the message to
    // people, not to a complaint.
    let attachment_ids: Vec<u32> = message.attachments.clone();
    if let Some((i, part)) = message.parts.iter().enumerate().find(|(i, part)| {
        let is_file = attachment_ids.contains(&(*i as u32));
        let unsplit_multipart = part
            .content_type()
            .is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart"))
            && !matches!(part.body, mail_parser::PartType::Multipart(_));
        unsplit_multipart || (part.is_encoding_problem && !is_file)
    }) {
        let kind = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(sub) => format!("{}/{sub}", c.ctype()),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "text/plain".into());
        return unreadable(&format!(
            "its MIME structure is broken: part {} ({kind}) could not be decoded",
            i + 1
        ));
    }
    let Some(address) = sender.and_then(|s| s.address()) else {
        return unreadable("it has no sender address (From)");
    };
    let Ok(from) = CustomerEmail::parse(address) else {
        return unreadable("its sender address (From) is not a valid email address");
    };
    let from_name = sender
        .and_then(|s| s.name())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let mut answers = ids(message.in_reply_to());
    for id in ids(message.references()) {
        if !answers.contains(&id) {
            answers.push(id);
        }
    }
    let text = all_text(&message);
    let files: Vec<File> = message
        .attachments()
        .enumerate()
        .filter_map(|(i, part)| {
            let size = part.contents().len() as u64;
            if size == 0 {
                return None;
            }
            let refused = if part.is_encoding_problem {
                Some("it could not be decoded (the email carried it damaged)".to_string())
            } else if size > max_file_bytes {
                Some(format!(
                    "larger than the {} limit for one file",
                    crate::human_size(max_file_bytes)
                ))
            } else {
                None
            };
            let content_type = part
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{sub}", c.ctype()),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_ascii_lowercase();
            let bytes = if refused.is_some() {
                Vec::new()
            } else {
                part.contents().to_vec()
            };
            let name = part
                .attachment_name()
                .map(safe_file_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("attachment-{}", i + 1));
            Some(File {
                name,
                content_type,
                size,
                bytes,
                refused,
            })
        })
        .collect();
    if text.is_empty() && files.iter().all(|f| f.refused.is_some()) {
        return unreadable(
            if files.is_empty() {
                "nothing in it could be read: no text and no files".to_string()
            } else {
                format!(
                    "nothing in it could be read: no text, and its files were refused ({})",
                    files
                        .iter()
                        .map(|f| format!("{}: {}", f.name, f.refused.as_deref().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
            .as_str(),
        );
    }
    let automatic = automatic(&message, &from);
    let forged = forged(&message);
    Reading::Email(Box::new(Email {
        message_id,
        from_name,
        from,
        subject,
        answers,
        text,
        files,
        automatic,
        forged,
        digest: digest(),
    }))
}

/// Every text part of the message (the HTML ones turned into text where there is no text
/// alternative), in order: Apple Mail, for one, splits the words around inline images.
fn all_text(message: &mail_parser::Message<'_>) -> String {
    (0..message.text_body.len())
        .filter_map(|i| message.body_text(i))
        .map(|t| t.replace("\r\n", "\n").trim().to_string())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Why the receiving mail server says the sender is forged, if it does: a DMARC failure in
/// `Authentication-Results` (RFC 8601). Without that header nothing is known, and nothing
/// is said.
fn forged(message: &mail_parser::Message<'_>) -> Option<String> {
    message
        .header_values("Authentication-Results")
        .filter_map(|value| value.as_text())
        .map(str::to_ascii_lowercase)
        .find(|value| value.contains("dmarc=fail"))
        .map(|_| "the receiving mail server found its sender forged (DMARC failed)".to_string())
}

/// What a message's header alone says: its Message-ID, sender and subject (for a message
/// too large to download).
pub fn header_summary(header: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    let Some(message) = MessageParser::default().parse_headers(header) else {
        return (None, None, None);
    };
    let message_id = message
        .message_id()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            if id.len() > MAX_MESSAGE_ID {
                sha256_of(id.as_bytes())
            } else {
                id.to_string()
            }
        });
    let sender = message
        .from()
        .and_then(|from| from.first())
        .and_then(|s| s.address())
        .map(str::to_string);
    let subject = message.subject().map(|s| s.trim().to_string());
    (message_id, sender, subject)
}

/// The message as it is kept (sealed) for staff to open: as it arrived, but for the bytes of
/// the files that were not kept (too large, or damaged), each replaced by a line saying so;
/// a refused file is not stored by the back door.
pub fn stored_original(raw: &[u8], max_file_bytes: u64) -> Vec<u8> {
    let Some(message) = MessageParser::default().parse(raw) else {
        return raw.to_vec();
    };
    let mut cuts: Vec<(usize, usize, String)> = message
        .attachments
        .iter()
        .filter_map(|&i| {
            let part = message.parts.get(i as usize)?;
            let size = part.contents().len() as u64;
            let why = if part.is_encoding_problem {
                "it could not be decoded".to_string()
            } else if size > max_file_bytes {
                format!(
                    "larger than the {} limit for one file",
                    crate::human_size(max_file_bytes)
                )
            } else {
                return None;
            };
            Some((part.offset_body as usize, part.offset_end as usize, why))
        })
        .collect();
    cuts.sort_by_key(|cut| cut.0);
    let mut kept = Vec::with_capacity(raw.len());
    let mut at = 0;
    for (start, end, why) in cuts {
        if start < at || start > end || end > raw.len() {
            continue;
        }
        kept.extend_from_slice(&raw[at..start]);
        kept.extend_from_slice(format!("[Not kept by Redress: {why}.]\r\n").as_bytes());
        at = end;
    }
    kept.extend_from_slice(&raw[at..]);
    kept
}

/// A message as staff see its original: the headers people read, and all of its text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Original {
    /// From, as written.
    pub from: String,
    /// To, as written.
    pub to: String,
    /// Date, as written.
    pub date: String,
    /// Subject.
    pub subject: String,
    /// The whole text (quotations and signature included).
    pub text: String,
}

/// The original of a raw message, for showing (`None` if it cannot be parsed at all).
pub fn original(raw: &[u8]) -> Option<Original> {
    let message = MessageParser::default().parse(raw)?;
    let addresses = |value: Option<&mail_parser::Address<'_>>| {
        value
            .map(|list| {
                list.iter()
                    .map(|a| match (a.name(), a.address()) {
                        (Some(name), Some(address)) => format!("{name} <{address}>"),
                        (None, Some(address)) => address.to_string(),
                        (Some(name), None) => name.to_string(),
                        (None, None) => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    Some(Original {
        from: addresses(message.from()),
        to: addresses(message.to()),
        date: message.date().map(|d| d.to_rfc822()).unwrap_or_default(),
        subject: message.subject().unwrap_or_default().to_string(),
        text: all_text(&message),
    })
}

/// Message ids from an `In-Reply-To` or `References` header.
fn ids(value: &HeaderValue) -> Vec<String> {
    let clean = |id: &str| id.trim().trim_matches(['<', '>']).to_string();
    match value {
        HeaderValue::Text(id) => vec![clean(id)],
        HeaderValue::TextList(list) => list.iter().map(|id| clean(id)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|id| !id.is_empty())
    .collect()
}

/// A file name fit to show and to offer as a download: no directories, no control
/// characters, at most 120 characters.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(120)
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_string()
}

/// Why a machine sent this message (RFC 3834 `Auto-Submitted`, `Precedence`, the common
/// auto-responder headers, delivery and read reports, mailer daemons), if it did.
fn automatic(message: &mail_parser::Message<'_>, from: &CustomerEmail) -> Option<String> {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    };
    if let Some(value) = message
        .header(HeaderName::AutoSubmitted)
        .and_then(|v| v.as_text())
        .map(|v| v.trim().to_ascii_lowercase())
        .or_else(|| header("Auto-Submitted"))
        && value != "no"
    {
        return Some(format!("an automatic message (Auto-Submitted: {value})"));
    }
    if let Some(value) = header("Precedence")
        && ["bulk", "junk", "list", "auto_reply"].contains(&value.as_str())
    {
        return Some(format!("a bulk or automatic message (Precedence: {value})"));
    }
    // (X-Auto-Response-Suppress asks *us* not to auto-reply; people's mail carries it too.)
    for name in ["X-Autoreply", "X-Autorespond"] {
        if let Some(value) = header(name) {
            return Some(format!("an automatic reply ({name}: {value})"));
        }
    }
    if header("X-Spam-Flag").is_some_and(|v| v == "yes")
        || header("X-Spam-Status").is_some_and(|v| v.starts_with("yes"))
    {
        return Some("marked as spam by the receiving mail server".into());
    }
    if message.is_content_type("multipart", "report") {
        let kind = message
            .content_type()
            .and_then(|c| c.attribute("report-type"))
            .unwrap_or("report")
            .to_ascii_lowercase();
        return Some(format!("a delivery or read report ({kind})"));
    }
    let local = from
        .as_str()
        .split('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if ["mailer-daemon", "postmaster"].contains(&local.as_str()) {
        return Some(format!("a message from a mail server ({})", from.as_str()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(raw: &str) -> Email {
        match read(raw.as_bytes(), 1 << 20) {
            Reading::Email(email) => *email,
            other => panic!("unreadable: {other:?}"),
        }
    }

    #[test]
    fn a_plain_message_gives_its_sender_subject_words_and_threading() {
        let e = email(
            "From: Ana Pop <ana@example.ro>\r\nTo: complaints@redress.example\r\n\
             Subject: Re: Your complaint RDR-7KX4-9PQM\r\nMessage-ID: <abc@mail.example>\r\n\
             In-Reply-To: <RDR-7KX4-9PQM.4.owner@redress.example>\r\n\
             References: <RDR-7KX4-9PQM.1.receipt@redress.example> <RDR-7KX4-9PQM.4.owner@redress.example>\r\n\
             \r\nThank you.\r\n",
        );
        assert_eq!(e.message_id, "abc@mail.example");
        assert_eq!(e.from.as_str(), "ana@example.ro");
        assert_eq!(e.from_name.as_deref(), Some("Ana Pop"));
        assert_eq!(e.subject, "Re: Your complaint RDR-7KX4-9PQM");
        assert_eq!(
            e.answers,
            vec![
                "RDR-7KX4-9PQM.4.owner@redress.example",
                "RDR-7KX4-9PQM.1.receipt@redress.example"
            ]
        );
        assert_eq!(e.text, "Thank you.");
        assert_eq!(e.automatic, None);
    }

    #[test]
    fn html_only_mail_is_turned_into_text() {
        let e = email(
            "From: a@example.com\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
             <html><body><p>My <b>parcel</b> never came.</p></body></html>\r\n",
        );
        assert!(e.text.contains("My parcel never came."), "{}", e.text);
        assert!(!e.text.contains('<'));
    }

    #[test]
    fn machines_are_recognised_by_their_headers_and_reports() {
        let cases = [
            ("Auto-Submitted: auto-replied\r\n", "Auto-Submitted"),
            ("Precedence: bulk\r\n", "Precedence"),
            ("X-Autoreply: yes\r\n", "X-Autoreply"),
        ];
        for (header, word) in cases {
            let e = email(&format!(
                "From: a@example.com\r\n{header}Subject: Out of office\r\n\r\nI am away.\r\n"
            ));
            assert!(e.automatic.as_deref().unwrap_or("").contains(word), "{e:?}");
        }
        let human = email("From: a@example.com\r\nAuto-Submitted: no\r\n\r\nHello\r\n");
        assert_eq!(human.automatic, None);
        let bounce = email(
            "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
             --b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n",
        );
        assert!(
            bounce
                .automatic
                .as_deref()
                .unwrap_or("")
                .contains("delivery-status"),
            "{bounce:?}"
        );
    }

    #[test]
    fn a_file_too_large_is_refused_unread_and_cut_from_the_kept_original() {
        let big = "QUFB".repeat(500);
        let raw = format!(
            "From: a@example.com\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nTwo files.\r\n\
             --b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"small.png\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n\
             --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"big.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{big}\r\n--b--\r\n"
        );
        let Reading::Email(e) = read(raw.as_bytes(), 100) else {
            panic!("unreadable")
        };
        assert_eq!(e.files.len(), 2);
        assert_eq!(
            (e.files[0].bytes.as_slice(), &e.files[0].refused),
            (&b"hello"[..], &None)
        );
        assert_eq!(e.files[1].size, 1500);
        assert!(e.files[1].bytes.is_empty());
        assert_eq!(
            e.files[1].refused.as_deref(),
            Some("larger than the 100 bytes limit for one file")
        );
        let kept = String::from_utf8(stored_original(raw.as_bytes(), 100)).unwrap();
        assert!(
            !kept.contains(&big),
            "the refused file's bytes are not kept"
        );
        assert!(kept.contains("aGVsbG8="), "the kept file is");
        assert!(kept.contains("[Not kept by Redress: larger than the 100 bytes limit"));
        assert!(matches!(read(kept.as_bytes(), 100), Reading::Email(_)));
    }

    #[test]
    fn a_damaged_file_is_refused_and_the_words_still_count() {
        let raw = "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
                   Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
                   Content-Type: text/plain\r\n\r\nThe words.\r\n--b\r\n\
                   Content-Type: application/pdf; name=\"x.pdf\"\r\nContent-Disposition: attachment; filename=\"x.pdf\"\r\n\
                   Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--b--\r\n";
        match read(raw.as_bytes(), 1 << 20) {
            Reading::Email(e) if e.files.iter().any(|f| f.refused.is_some()) => {
                assert_eq!(e.text, "The words.");
            }
            // mail-parser may decode leniently instead: then the file is simply kept.
            Reading::Email(e) => assert_eq!(e.text, "The words."),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_text_part_is_read_and_forged_or_spam_mail_is_told() {
        let e = email(
            "From: a@example.com\r\nSubject: x\r\n\
             Authentication-Results: mx.example; spf=fail smtp.mailfrom=example.com; dmarc=fail header.from=example.com\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nBefore the photo.\r\n\
             --b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\
             Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nAfter the photo.\r\n--b--\r\n",
        );
        assert!(e.text.contains("Before the photo.") && e.text.contains("After the photo."));
        assert!(e.forged.as_deref().unwrap_or("").contains("DMARC"));
        let spam = email("From: a@example.com\r\nX-Spam-Flag: YES\r\n\r\nWin!\r\n");
        assert!(spam.automatic.as_deref().unwrap_or("").contains("spam"));
        let polite = email("From: a@example.com\r\nX-Auto-Response-Suppress: All\r\n\r\nHi\r\n");
        assert_eq!(
            polite.automatic, None,
            "asking us not to auto-reply is not being a machine"
        );
    }

    #[test]
    fn a_very_long_message_id_is_known_by_its_digest() {
        let long = "x".repeat(3000);
        let e = email(&format!(
            "From: a@example.com\r\nMessage-ID: <{long}@example.com>\r\n\r\nHi\r\n"
        ));
        assert!(e.message_id.starts_with("sha256:") && e.message_id.len() < 80);
    }

    #[test]
    fn files_are_kept_with_safe_names() {
        let e = email(
            "From: a@example.com\r\nSubject: photo\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nSee the photo.\r\n\
             --b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"../../etc/pass:wd.png\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n",
        );
        assert_eq!(e.text, "See the photo.");
        assert_eq!(e.files.len(), 1);
        assert_eq!(e.files[0].name, "passwd.png");
        assert_eq!(e.files[0].content_type, "image/png");
        assert_eq!(e.files[0].bytes, b"hello");
    }

    #[test]
    fn mail_without_a_sender_or_without_anything_readable_is_unreadable() {
        for raw in [
            "Subject: no sender\r\n\r\nHello\r\n",
            "From: not an address\r\nSubject: x\r\n\r\nHello\r\n",
            "From: a@example.com\r\nSubject: empty\r\n\r\n\r\n",
            "",
            // A multipart whose boundary never comes.
            "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"never\"\r\n\r\nHello\r\n",
            // A part that is not the base64 it says it is.
            "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
             Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             !!!not base64!!!\r\n--b--\r\n",
        ] {
            assert!(
                matches!(read(raw.as_bytes(), 1 << 20), Reading::Unreadable { .. }),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_message_without_a_message_id_is_known_by_its_digest() {
        let raw = "From: a@example.com\r\nSubject: x\r\n\r\nHello\r\n";
        let first = email(raw);
        assert!(first.message_id.starts_with("sha256:"));
        assert_eq!(first.message_id, email(raw).message_id);
    }
}
