//! Email intake for Redress: a mailbox read over IMAP, each message turned into a new
//! complaint or landed on the complaint it answers, exactly once.
//!
//! - A new message becomes a complaint on the email channel: the sender's name and address,
//!   the subject as summary, the words (HTML turned into text, quotations and signature
//!   trimmed) as the customer's own, the language guessed from them, the files kept (within
//!   limits; what is refused is noted on the complaint).
//! - A reply lands on its complaint: matched by `In-Reply-To`/`References` against the
//!   Message-IDs of our own emails (`REFERENCE.SEQUENCE.KIND@domain`), failing that by a
//!   reference quoted in the subject. The complaint decides what it is (the customer's
//!   answer, what they said, or a communication; a closed complaint reopens or takes it as a
//!   communication, by setting).
//! - Auto-replies, bounces, read reports, list mail, mail loops and our own mail coming back
//!   are ignored: no complaint, no email in answer.
//! - A message that cannot be read is moved to the quarantine folder and listed for admins.
//! - Exactly once: each message is claimed in the store by its place (folder, UIDVALIDITY,
//!   UID) and by its Message-ID before anything is written, finished after, then moved out
//!   of the inbox (see `redress_store::inbound`). A restart or a second instance records
//!   nothing twice; one instance at a time reads the mailbox.
//!
//! It owns IMAP and MIME; it writes only through the store's commands and records.

#![forbid(unsafe_code)]

pub mod language;
pub mod mailbox;
pub mod message;
pub mod trim;

mod ingest;
mod worker;

use ingest::{human_size, place_key};
#[cfg(test)]
use ingest::{our_reference, references_in};

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use redress_domain::{
    Actor, AttachmentMeta, Channel, ComplaintAction, ComplaintCommand, ComplaintError,
    CustomerEmail, CustomerId, EmailDetails, Language, NewComplaint, NewCustomer,
    PersonalDataVault, Priority, Reference, RefusedAttachment, Tier,
};
use redress_store::{Claim, CommandError, InboundState, MailboxPlace, SoleWorker, Store};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

pub use mailbox::{Mailbox, MailboxSettings};
pub use message::{Email, Reading};

/// Why the intake could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// A setting is wrong.
    #[error("{0}")]
    Settings(String),
    /// The IMAP server refused something, or could not be reached.
    #[error("IMAP: {0}")]
    Imap(String),
    /// The database failed on this message.
    #[error("storage")]
    Store(#[source] redress_store::Cause),
    /// The database cannot be reached: nothing can be recorded until it is back.
    #[error("the database is unavailable")]
    Unavailable(#[source] redress_store::Cause),
}

impl From<redress_store::StoreError> for IntakeError {
    fn from(error: redress_store::StoreError) -> Self {
        if error.is_unavailable() {
            IntakeError::Unavailable(error.into())
        } else {
            IntakeError::Store(error.into())
        }
    }
}

/// What a closed complaint does with a new email from its customer (a resolved one that is
/// not closed yet always keeps it as a communication: staff decide whether to reopen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedRule {
    /// It reopens, and the email is what the customer said.
    Reopen,
    /// It stays as it is; the email is recorded as a communication.
    Attach,
}

impl ClosedRule {
    /// From the setting's words.
    pub fn parse(text: &str) -> Result<Self, IntakeError> {
        match text.trim() {
            "reopen" => Ok(ClosedRule::Reopen),
            "attach" => Ok(ClosedRule::Attach),
            other => Err(IntakeError::Settings(format!(
                "\"{other}\" is not a rule for replies to closed complaints; choose reopen or attach"
            ))),
        }
    }
}

/// How the intake works.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// The mailbox.
    pub mailbox: MailboxSettings,
    /// The folder new mail arrives in.
    pub folder: String,
    /// Where handled messages go.
    pub processed_folder: String,
    /// Where unreadable messages go.
    pub quarantine_folder: String,
    /// How long to wait for new mail before looking again (IDLE is renewed as often).
    pub poll: Duration,
    /// The largest file kept, in bytes.
    pub max_file_bytes: u64,
    /// The most files kept from one email.
    pub max_files: usize,
    /// The largest email read, in bytes; a larger one is quarantined from its header alone.
    pub max_message_bytes: u64,
    /// The most new complaints one sender's mail makes in an hour; the rest is set aside.
    pub max_new_per_hour: i64,
    /// What a closed complaint does with a new email.
    pub closed_rule: ClosedRule,
    /// The category of complaints that arrive by email.
    pub category: String,
    /// The language when it cannot be told from the words.
    pub language: Language,
    /// The domain our Message-IDs end in (`@domain`).
    pub our_domain: String,
    /// Our own From address: mail from it is a loop.
    pub our_address: String,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new complaint.
    Created(String),
    /// Recorded on an existing complaint.
    Added(String),
    /// Not for a complaint, and why.
    Ignored(String),
    /// Could not be read, and why.
    Quarantined(String),
    /// Handled before (a restart, a second copy).
    AlreadyDone(InboundState),
    /// Another instance is handling it.
    Busy,
}

impl Outcome {
    /// The folder a message goes to after this, if it moves.
    fn destination<'a>(&self, settings: &'a IntakeSettings) -> Option<&'a str> {
        match self {
            Outcome::Busy => None,
            Outcome::Quarantined(_) | Outcome::AlreadyDone(InboundState::Quarantined) => {
                Some(&settings.quarantine_folder)
            }
            _ => Some(&settings.processed_folder),
        }
    }
}

/// What one pass over the inbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    /// New complaints.
    pub created: usize,
    /// Emails added to complaints.
    pub added: usize,
    /// Ignored.
    pub ignored: usize,
    /// Quarantined.
    pub quarantined: usize,
    /// Handled before; only moved out of the inbox.
    pub already_done: usize,
    /// Left for another instance.
    pub busy: usize,
    /// Failed this time; tried again next pass.
    pub failed: usize,
}

impl PassReport {
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Created(_) => self.created += 1,
            Outcome::Added(_) => self.added += 1,
            Outcome::Ignored(_) => self.ignored += 1,
            Outcome::Quarantined(_) => self.quarantined += 1,
            Outcome::AlreadyDone(_) => self.already_done += 1,
            Outcome::Busy => self.busy += 1,
        }
    }

    /// Messages handled in this pass.
    pub fn handled(&self) -> usize {
        self.created + self.added + self.ignored + self.quarantined + self.already_done
    }
}

/// How this instance's intake stands, for the admin page and `/metrics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IntakeStatus {
    /// Whether this instance reads the mailbox now (one instance does at a time).
    pub reading: bool,
    /// Whether the server has IDLE (else the mailbox is polled).
    pub idle: bool,
    /// When the last pass over the inbox ended.
    pub last_pass_at: Option<DateTime<Utc>>,
    /// The last failure, and when.
    pub last_error: Option<(DateTime<Utc>, String)>,
    /// Messages handled since this instance started, by outcome.
    pub totals: PassReport,
}

/// [`IntakeStatus`], shared between the intake and the pages that show it.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard(Arc<Mutex<IntakeStatus>>);

impl StatusBoard {
    /// A copy of the status now.
    pub fn get(&self) -> IntakeStatus {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn update(&self, change: impl FnOnce(&mut IntakeStatus)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// How long a claim on a message holds before another attempt may take it over.
const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Messages looked at per round of sizes, downloads and moves.
const FETCH_BATCH: usize = 25;

/// Bytes downloaded at most per round trip (beyond one message larger than this).
const FETCH_BYTES: u64 = 8 * 1024 * 1024;

/// Failed attempts after which a message is quarantined with its last error.
pub const MAX_ATTEMPTS: i64 = 3;

/// Words recorded for an email with no text of its own (only files, or only quotation).
pub const NO_TEXT: &str = "(The email has no text of its own; see its files and the original.)";

/// The email intake.
#[derive(Clone)]
pub struct Intake {
    store: Store,
    settings: IntakeSettings,
    status: StatusBoard,
}

impl Intake {
    /// The intake over `store`, reporting to `status`.
    pub fn new(store: Store, settings: IntakeSettings, status: StatusBoard) -> Self {
        Self {
            store,
            settings,
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_message_ids_name_a_complaint() {
        use redress_notify::policy::{message_id, outbox_id};
        let id = message_id(
            &outbox_id("RDR-7KX4-9PQM", 3, redress_store::EmailKind::Owner),
            "redress.example",
        );
        assert_eq!(
            our_reference(&id, "Redress.Example").map(|r| r.as_str().to_string()),
            Some("RDR-7KX4-9PQM".to_string())
        );
        for other in [
            // A colleague's mail from the company's own server: not ours, not a loop.
            "CAF1x.2y@redress.example",
            "20260302.abc123@redress.example",
            "RDR-7KX4-9PQM.3.owner.x@redress.example",
            "RDR-7KX4-9PQM.3.greeting@redress.example",
            "RDR-7KX4-9PQM.+3.owner@redress.example",
            "RDR-7KX4-9PQM.3.owner@elsewhere.example",
            "not-a-reference.3.owner@redress.example",
        ] {
            assert_eq!(our_reference(other, "redress.example"), None, "{other}");
        }
    }

    #[test]
    fn references_are_found_in_subjects_whatever_the_case() {
        let found = references_in("Re: [rdr-7kx4-9pqm] and RDR-AAAA-BBBB, not RDR-1");
        let texts: Vec<&str> = found.iter().map(Reference::as_str).collect();
        assert_eq!(texts, vec!["RDR-7KX4-9PQM", "RDR-AAAA-BBBB"]);
        assert!(references_in("no reference here").is_empty());
    }

    #[test]
    fn the_closed_rule_is_read_from_its_words() {
        assert_eq!(ClosedRule::parse("reopen").unwrap(), ClosedRule::Reopen);
        assert_eq!(ClosedRule::parse(" attach ").unwrap(), ClosedRule::Attach);
        assert!(
            ClosedRule::parse("ignore")
                .unwrap_err()
                .to_string()
                .contains("reopen or attach")
        );
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(human_size(1500), "2 KB");
        assert_eq!(human_size(64), "64 bytes");
    }
}
