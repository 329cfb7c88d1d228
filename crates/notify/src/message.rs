//! A rendered email made into a message: headers (threading, Auto-Submitted, Reply-To), the
//! text and HTML parts, the files; the copy kept of what was sent; staff alerts.

use crate::policy::message_id;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use redress_store::SentCopy;

use crate::render::{Rendered, one_line};
use crate::settings::MailSettings;

/// A file to attach: its name, media type and bytes.
pub type FileToSend = (String, String, Vec<u8>);

/// `Auto-Submitted: auto-generated` (RFC 3834): our mail is not a person writing, so
/// well-behaved auto-responders do not answer it.
#[derive(Debug, Clone)]
pub(crate) struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// Builds the message: multipart text and HTML (and the files, if any), threaded under the
/// message with outbox id `thread` (the complaint's first email; `None`: this one starts it).
pub fn build_message(
    settings: &MailSettings,
    id: &str,
    thread: Option<&str>,
    mail: &Rendered,
    files: &[FileToSend],
    date: DateTime<Utc>,
) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("the From address {:?} is not usable: {e}", settings.from))?;
    let address = mail
        .to_email
        .parse()
        .map_err(|e| format!("the customer's address is not usable: {e}"))?;
    let to = Mailbox::new(Some(one_line(&mail.to_name)), address);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&mail.subject))
        .date(date.into())
        .message_id(Some(format!("<{}>", message_id(id, &settings.domain))))
        .header(AutoSubmitted);
    if let Some(thread) = thread.filter(|t| *t != id) {
        let thread = format!("<{}>", message_id(thread, &settings.domain));
        builder = builder.in_reply_to(thread.clone()).references(thread);
    }
    // Replies go to the mailbox that is read, when there is one.
    if let Some(reply_to) = &settings.sender.reply_to {
        let reply_to: Mailbox = reply_to
            .parse()
            .map_err(|e| format!("the Reply-To address {reply_to:?} is not usable: {e}"))?;
        builder = builder.reply_to(reply_to);
    }
    let body = MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone());
    let body = if files.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (name, content_type, bytes) in files {
            let content_type = ContentType::parse(content_type).unwrap_or_else(|_| {
                ContentType::parse("application/octet-stream").expect("a valid media type")
            });
            mixed =
                mixed.singlepart(Attachment::new(one_line(name)).body(bytes.clone(), content_type));
        }
        mixed
    };
    builder
        .multipart(body)
        .map_err(|e| format!("the message cannot be built: {e}"))
}

/// The headers a copy of a sent message keeps, as they were sent.
pub(crate) const KEPT_HEADERS: [&str; 8] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
];

/// What staff open of a message once it is sent.
pub fn copy_of(message: &Message, mail: &Rendered, files: &[FileToSend]) -> SentCopy {
    SentCopy {
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                message
                    .headers()
                    .get_raw(name)
                    .map(|value| (name.to_string(), value.to_string()))
            })
            .collect(),
        text: mail.text.clone(),
        html: mail.html.clone(),
        files: files
            .iter()
            .map(|(name, content_type, bytes)| {
                (name.clone(), content_type.clone(), bytes.len() as u64)
            })
            .collect(),
    }
}

/// Builds a staff alert: text and HTML, to every recipient.
pub fn build_alert(
    settings: &MailSettings,
    id: &str,
    mail: &Rendered,
    to: &[(String, String)],
    date: DateTime<Utc>,
) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("the From address {:?} is not usable: {e}", settings.from))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(one_line(&mail.subject))
        .date(date.into())
        .message_id(Some(format!("<{}>", message_id(id, &settings.domain))))
        .header(AutoSubmitted);
    for (name, email) in to {
        let address = email
            .parse()
            .map_err(|e| format!("the staff address {email:?} is not usable: {e}"))?;
        builder = builder.to(Mailbox::new(Some(one_line(name)), address));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| format!("the message cannot be built: {e}"))
}
