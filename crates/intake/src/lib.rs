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

    /// Reads the mailbox until `shutdown` turns true: one instance at a time (the others
    /// wait to take over), reconnecting with backoff after failures (the backoff starts again
    /// after every pass that went through), waiting for new mail with IDLE between passes.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut failures = 0u32;
        while !*shutdown.borrow() {
            let pause = match SoleWorker::try_take(&self.store.db, "intake").await {
                Ok(Some(lock)) => {
                    self.status.update(|s| s.reading = true);
                    let result = self.session(lock, &mut shutdown, &mut failures).await;
                    self.status.update(|s| s.reading = false);
                    match result {
                        Ok(()) => Duration::from_secs(1),
                        Err(error) => {
                            failures = failures.saturating_add(1);
                            tracing::warn!(error = %redress_store::chain(&error), failures, "email intake failed; retrying");
                            let now = self.store.clock.now();
                            self.status
                                .update(|s| s.last_error = Some((now, error.to_string())));
                            Duration::from_secs(2u64.saturating_pow(failures.min(8)).min(300))
                        }
                    }
                }
                // Another instance reads the mailbox.
                Ok(None) => Duration::from_secs(5),
                Err(error) => {
                    tracing::debug!(%error, "cannot take the email intake's lock");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn session(
        &self,
        mut lock: SoleWorker,
        shutdown: &mut watch::Receiver<bool>,
        failures: &mut u32,
    ) -> Result<(), IntakeError> {
        let mut mailbox = Mailbox::connect(&self.settings.mailbox).await?;
        let idle = mailbox.has_idle();
        self.status.update(|s| s.idle = idle);
        mailbox
            .ensure_folder(&self.settings.processed_folder)
            .await?;
        mailbox
            .ensure_folder(&self.settings.quarantine_folder)
            .await?;
        tracing::info!(
            folder = self.settings.folder,
            idle,
            "reading the complaints mailbox"
        );
        loop {
            self.pass(&mut mailbox).await?;
            *failures = 0;
            if *shutdown.borrow() {
                mailbox.logout().await;
                return Ok(());
            }
            if !lock.holds().await {
                return Err(IntakeError::Unavailable(
                    "lost the database connection holding the intake's lock".into(),
                ));
            }
            mailbox = mailbox.wait(self.settings.poll, shutdown).await?;
            if *shutdown.borrow() {
                mailbox.logout().await;
                return Ok(());
            }
        }
    }

    /// One pass over the inbox: every message in it handled and moved out (but those another
    /// instance holds, and those whose attempt failed: they are tried again next pass, and
    /// set aside after [`MAX_ATTEMPTS`]). Ends early, with the error, when the mailbox or the
    /// database cannot be reached.
    pub async fn pass(&self, mailbox: &mut Mailbox) -> Result<PassReport, IntakeError> {
        let folder = &self.settings.folder;
        let uid_validity = mailbox.select(folder).await?;
        let uids = mailbox.uids().await?;
        let mut report = PassReport::default();
        for chunk in uids.chunks(FETCH_BATCH) {
            let place = |uid| MailboxPlace {
                folder: folder.clone(),
                uid_validity,
                uid,
            };
            let mut outcomes: Vec<(u32, Result<Outcome, IntakeError>)> = Vec::new();
            // Too large to download: set aside from its header alone.
            let mut batch: Vec<u32> = Vec::new();
            let mut batch_bytes = 0u64;
            for (uid, size) in mailbox.sizes(chunk).await? {
                if size > self.settings.max_message_bytes {
                    let header = mailbox.header(uid).await?.unwrap_or_default();
                    outcomes.push((uid, self.too_large(&place(uid), &header, size).await));
                } else {
                    batch.push(uid);
                    batch_bytes += size;
                }
                // Downloads of at most FETCH_BYTES at a time (one message may be larger).
                if batch_bytes >= FETCH_BYTES {
                    for (uid, raw) in mailbox.fetch(&batch, batch_bytes).await? {
                        outcomes.push((uid, self.ingest(&place(uid), &raw).await));
                    }
                    batch.clear();
                    batch_bytes = 0;
                }
            }
            for (uid, raw) in mailbox.fetch(&batch, batch_bytes).await? {
                outcomes.push((uid, self.ingest(&place(uid), &raw).await));
            }
            // Moved out once the whole chunk is recorded: one MOVE per folder and chunk. A
            // message left behind by a failure is read again, found done, and moved then.
            let mut moves: Vec<(&str, Vec<u32>)> = Vec::new();
            for (uid, outcome) in outcomes {
                let outcome = match outcome {
                    Ok(outcome) => outcome,
                    Err(error @ (IntakeError::Unavailable(_) | IntakeError::Imap(_))) => {
                        return Err(error);
                    }
                    Err(error) => {
                        // This message only: the others go on, it is tried again next pass.
                        tracing::warn!(uid, error = %redress_store::chain(&error), "an email could not be recorded; it will be tried again");
                        report.failed += 1;
                        continue;
                    }
                };
                match &outcome {
                    Outcome::Created(reference) | Outcome::Added(reference) => {
                        tracing::info!(uid, reference, ?outcome, "email recorded");
                    }
                    Outcome::Ignored(reason) | Outcome::Quarantined(reason) => {
                        tracing::info!(uid, reason, ?outcome, "email set aside");
                    }
                    Outcome::AlreadyDone(_) | Outcome::Busy => {}
                }
                if let Some(destination) = outcome.destination(&self.settings) {
                    match moves.iter_mut().find(|(folder, _)| *folder == destination) {
                        Some((_, uids)) => uids.push(uid),
                        None => moves.push((destination, vec![uid])),
                    }
                }
                report.count(&outcome);
            }
            for (folder, uids) in moves {
                mailbox.move_to(&uids, folder).await?;
            }
        }
        let now = self.store.clock.now();
        self.status.update(|s| {
            s.last_pass_at = Some(now);
            s.totals.created += report.created;
            s.totals.added += report.added;
            s.totals.ignored += report.ignored;
            s.totals.quarantined += report.quarantined;
            s.totals.already_done += report.already_done;
            s.totals.busy += report.busy;
            s.totals.failed += report.failed;
        });
        Ok(report)
    }

    /// Sets aside a message too large to download, from its header alone.
    async fn too_large(
        &self,
        place: &MailboxPlace,
        header: &[u8],
        size: u64,
    ) -> Result<Outcome, IntakeError> {
        let (message_id, sender, subject) = message::header_summary(header);
        let message_id = message_id.unwrap_or_else(|| format!("too-large:{}", place_key(place)));
        let now = self.store.clock.now();
        let id = match self
            .store
            .inbound
            .claim(place, &message_id, &message_id, now, CLAIM_LEASE)
            .await?
        {
            Claim::Fresh(id) | Claim::Resumed { id, .. } => id,
            Claim::Done { state, .. } => return Ok(Outcome::AlreadyDone(state)),
            Claim::Busy => return Ok(Outcome::Busy),
        };
        self.set_aside(
            id,
            InboundState::Quarantined,
            format!(
                "it is larger than the {} limit for one email ({})",
                human_size(self.settings.max_message_bytes),
                human_size(size)
            ),
            sender.as_deref(),
            subject.as_deref(),
            None,
        )
        .await
    }

    /// Handles one raw message read at `place`: claims it, records it (or sets it aside) and
    /// finishes the claim. On an error the claim is given back with the error noted, so it is
    /// tried again; after [`MAX_ATTEMPTS`] failed attempts the message is quarantined with
    /// the last error, so one message can never hold up the mail behind it.
    pub async fn ingest(&self, place: &MailboxPlace, raw: &[u8]) -> Result<Outcome, IntakeError> {
        let reading = message::read(raw, self.settings.max_file_bytes);
        let (message_id, digest) = match &reading {
            Reading::Email(email) => (email.message_id.clone(), email.digest.clone()),
            Reading::Unreadable { message_id, .. } => (message_id.clone(), message_id.clone()),
        };
        let now = self.store.clock.now();
        let mut claim = self
            .store
            .inbound
            .claim(place, &message_id, &digest, now, CLAIM_LEASE)
            .await?;
        if let Claim::Done {
            digest: Some(done), ..
        } = &claim
            && *done != digest
            && message_id != digest
        {
            // Another message under a Message-ID already seen (some mailers reuse them): this
            // one is known by its own digest instead.
            claim = self
                .store
                .inbound
                .claim(place, &digest, &digest, now, CLAIM_LEASE)
                .await?;
        }
        let (id, chosen) = match claim {
            Claim::Fresh(id) => (id, None),
            Claim::Resumed {
                id,
                attempts,
                last_error,
                ..
            } if attempts >= MAX_ATTEMPTS => {
                let (sender, subject) = match &reading {
                    Reading::Email(email) => (
                        Some(email.from.as_str().to_string()),
                        Some(email.subject.clone()),
                    ),
                    Reading::Unreadable {
                        sender, subject, ..
                    } => (sender.clone(), subject.clone()),
                };
                return self
                    .set_aside(
                        id,
                        InboundState::Quarantined,
                        format!(
                            "it could not be recorded in {attempts} attempts; the last error: {}",
                            last_error.unwrap_or_default()
                        ),
                        sender.as_deref(),
                        subject.as_deref(),
                        None,
                    )
                    .await;
            }
            Claim::Resumed { id, reference, .. } => (id, reference),
            Claim::Done { state, .. } => return Ok(Outcome::AlreadyDone(state)),
            Claim::Busy => return Ok(Outcome::Busy),
        };
        match self.handle(id, chosen, reading, raw).await {
            Ok(outcome) => Ok(outcome),
            Err(error) => {
                // Best effort: if the database is away, the lease runs out instead.
                let _ = self.store.inbound.release(id, &error.to_string()).await;
                Err(error)
            }
        }
    }

    async fn handle(
        &self,
        id: Uuid,
        chosen: Option<String>,
        reading: Reading,
        raw: &[u8],
    ) -> Result<Outcome, IntakeError> {
        let email = match reading {
            Reading::Email(email) => email,
            Reading::Unreadable {
                reason,
                sender,
                subject,
                ..
            } => {
                return self
                    .set_aside(
                        id,
                        InboundState::Quarantined,
                        reason,
                        sender.as_deref(),
                        subject.as_deref(),
                        None,
                    )
                    .await;
            }
        };
        let sender = match &email.from_name {
            Some(name) => format!("{name} <{}>", email.from.as_str()),
            None => email.from.as_str().to_string(),
        };
        let sender_digest = self.store.vault.digest_of(&email.from);
        let aside = |state, reason| (state, reason);
        let set_aside = if let Some(reason) = self.machine_or_loop(&email) {
            Some(aside(InboundState::Ignored, reason))
        } else {
            // A forged sender must not speak for a customer, nor make us write to a stranger.
            email
                .forged
                .clone()
                .map(|reason| aside(InboundState::Quarantined, reason))
        };
        if let Some((state, reason)) = set_aside {
            return self
                .set_aside(
                    id,
                    state,
                    reason,
                    Some(&sender),
                    Some(&email.subject),
                    Some(&sender_digest),
                )
                .await;
        }
        if let Some((reference, complaint)) = self.answered(&email).await? {
            return self
                .add_to(
                    id,
                    reference,
                    complaint,
                    &email,
                    raw,
                    &sender,
                    &sender_digest,
                )
                .await;
        }
        self.create(id, chosen, &email, raw, &sender, &sender_digest)
            .await
    }

    /// Why the message must not become a complaint, if it must not: a machine sent it, or it
    /// is our own mail come back.
    fn machine_or_loop(&self, email: &Email) -> Option<String> {
        if let Some(reason) = &email.automatic {
            return Some(reason.clone());
        }
        // Only our own Message-IDs' shape: colleagues' mail from the company's domain (a
        // forwarded complaint) is not a loop.
        if our_reference(&email.message_id, &self.settings.our_domain).is_some() {
            return Some("one of our own emails came back (its Message-ID is ours)".into());
        }
        if email
            .from
            .as_str()
            .eq_ignore_ascii_case(&self.settings.our_address)
        {
            return Some("it was sent from our own address (a mail loop)".into());
        }
        None
    }

    /// The complaint this message answers, if any: by the Message-IDs it answers (ours have
    /// the shape `REFERENCE.SEQUENCE.KIND@domain`), else by a reference in its subject; only
    /// complaints that exist.
    async fn answered(
        &self,
        email: &Email,
    ) -> Result<Option<(Reference, redress_domain::Complaint)>, IntakeError> {
        let mut candidates: Vec<Reference> = email
            .answers
            .iter()
            .filter_map(|id| our_reference(id, &self.settings.our_domain))
            .collect();
        candidates.extend(references_in(&email.subject));
        for reference in candidates {
            if let Some(complaint) = self
                .store
                .complaints
                .load(&reference)
                .await
                .map_err(command_error)?
                .filter(|c| c.reference().is_some())
            {
                return Ok(Some((reference, complaint)));
            }
        }
        Ok(None)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "each argument is a different thing the caller holds; a struct for one call would only rename them"
    )]
    async fn add_to(
        &self,
        id: Uuid,
        reference: Reference,
        complaint: redress_domain::Complaint,
        email: &Email,
        raw: &[u8],
        sender: &str,
        sender_digest: &[u8],
    ) -> Result<Outcome, IntakeError> {
        let Some(customer) = complaint.customer() else {
            return Err(IntakeError::Store(
                format!("complaint {reference} has no customer").into(),
            ));
        };
        if complaint.personal_data_erased() {
            return self
                .set_aside(
                    id,
                    InboundState::Ignored,
                    format!(
                        "it answers {reference}, whose customer's personal data was erased; \
                         nothing was recorded"
                    ),
                    Some(sender),
                    Some(&email.subject),
                    Some(sender_digest),
                )
                .await;
        }
        let from_customer = self.store.vault.find_customer(&email.from).await? == Some(customer);
        let details = self.keep_files(id, customer, email).await?;
        let action = ComplaintAction::RecordEmail {
            email: details,
            text: words_of(email, true),
            sender: (!from_customer).then(|| email.from.as_str().to_string()),
            reopen: self.settings.closed_rule == ClosedRule::Reopen,
        };
        match self
            .store
            .complaints
            .execute(&reference, ComplaintCommand::new(Actor::Customer, action))
            .await
        {
            Ok(()) | Err(CommandError::Rejected(ComplaintError::EmailAlreadyRecorded)) => {}
            Err(CommandError::Rejected(refusal)) => {
                return self
                    .set_aside(
                        id,
                        InboundState::Quarantined,
                        format!("{reference} refused it: {refusal}"),
                        Some(sender),
                        Some(&email.subject),
                        Some(sender_digest),
                    )
                    .await;
            }
            Err(other) => return Err(command_error(other)),
        }
        self.record(id, &reference, customer, raw, false, sender_digest)
            .await
    }

    async fn create(
        &self,
        id: Uuid,
        chosen: Option<String>,
        email: &Email,
        raw: &[u8],
        sender: &str,
        sender_digest: &[u8],
    ) -> Result<Outcome, IntakeError> {
        // A flood from one address (a misbehaving robot, or spam under a real name) makes a
        // few complaints, not thousands, and no flood of receipts in answer.
        let hour_ago = self.store.clock.now() - chrono::Duration::hours(1);
        if chosen.is_none()
            && self
                .store
                .inbound
                .created_since(sender_digest, hour_ago)
                .await?
                >= self.settings.max_new_per_hour
        {
            return self
                .set_aside(
                    id,
                    InboundState::Ignored,
                    format!(
                        "more than {} new complaints from this address within an hour",
                        self.settings.max_new_per_hour
                    ),
                    Some(sender),
                    Some(&email.subject),
                    Some(sender_digest),
                )
                .await;
        }
        // The reference is chosen, and noted on the claim, before the complaint is written:
        // an attempt that resumes this claim writes the same complaint, or finds it written.
        let reference = match chosen.as_deref().map(Reference::parse) {
            Some(Ok(reference)) => reference,
            _ => {
                let fresh = Reference::generate(&mut rand::thread_rng());
                let chosen = self
                    .store
                    .inbound
                    .choose_reference(id, fresh.as_str())
                    .await?;
                Reference::parse(&chosen)
                    .map_err(|e| IntakeError::Store(format!("a stored reference: {e}").into()))?
            }
        };
        let customer = self
            .store
            .vault
            .customer_for(&email.from)
            .await
            .map_err(|e| IntakeError::Store(e.into()))?;
        let details = self.keep_files(id, customer, email).await?;
        let words = words_of(email, false);
        let language = if words == NO_TEXT {
            None
        } else {
            language::guess(&words)
        }
        .unwrap_or(self.settings.language);
        let name = email.from_name.clone().unwrap_or_else(|| {
            email
                .from
                .as_str()
                .split('@')
                .next()
                .unwrap_or("")
                .to_string()
        });
        let summary = clip(
            &one_line(if email.subject.trim().is_empty() {
                words.lines().next().unwrap_or(NO_TEXT)
            } else {
                &email.subject
            }),
            redress_domain::aggregate::MAX_LINE,
        );
        let new = NewComplaint {
            reference: reference.clone(),
            customer: NewCustomer {
                name: clip(&one_line(&name), redress_domain::aggregate::MAX_NAME),
                email: Some(email.from.clone()),
                phone: None,
                language,
            },
            company: None,
            tier: Tier::Standard,
            channel: Channel::Email,
            category: self.settings.category.clone(),
            summary,
            description: words,
            remedy_requested: None,
            priority: Priority::Normal,
        };
        let action = ComplaintAction::ReceiveEmail {
            new: Box::new(new),
            email: details,
        };
        match self
            .store
            .complaints
            .execute(&reference, ComplaintCommand::new(Actor::Customer, action))
            .await
        {
            Ok(()) => {}
            Err(CommandError::Rejected(ComplaintError::AlreadyReceived)) => {
                // Written by an earlier attempt at this claim, unless (one in 2^40) the fresh
                // reference was taken: then it must not be mistaken for ours, and the next
                // attempt chooses another.
                let ours = self
                    .store
                    .complaints
                    .load(&reference)
                    .await
                    .map_err(command_error)?
                    .is_some_and(|c| c.has_email(id));
                if !ours {
                    self.store.inbound.forget_reference(id).await?;
                    return Err(IntakeError::Store(
                        format!(
                            "reference {reference} was taken meanwhile; the email will be tried again"
                        )
                        .into(),
                    ));
                }
            }
            Err(CommandError::Rejected(refusal)) => {
                return self
                    .set_aside(
                        id,
                        InboundState::Quarantined,
                        format!("it could not become a complaint: {refusal}"),
                        Some(sender),
                        Some(&email.subject),
                        Some(sender_digest),
                    )
                    .await;
            }
            Err(other) => return Err(command_error(other)),
        }
        self.record(id, &reference, customer, raw, true, sender_digest)
            .await
    }

    /// Stores the files of `email` (sealed with `customer`'s key) within the limits, and
    /// says which were refused and why.
    async fn keep_files(
        &self,
        id: Uuid,
        customer: CustomerId,
        email: &Email,
    ) -> Result<EmailDetails, IntakeError> {
        let now = self.store.clock.now();
        let mut attachments = Vec::new();
        let mut refused = Vec::new();
        for (i, file) in email.files.iter().enumerate() {
            let reason = file.refused.clone().or_else(|| {
                (attachments.len() >= self.settings.max_files)
                    .then(|| format!("more than {} files in one email", self.settings.max_files))
            });
            if let Some(reason) = reason {
                refused.push(RefusedAttachment {
                    name: file.name.clone(),
                    size: file.size,
                    reason,
                });
                continue;
            }
            // The same id on every attempt at this message: a retry replaces, never adds.
            let file_id = Uuid::new_v5(&id, format!("file-{i}").as_bytes());
            self.store
                .inbound
                .store_file(file_id, id, customer, &file.bytes, now)
                .await?;
            attachments.push(AttachmentMeta {
                id: file_id,
                name: file.name.clone(),
                content_type: file.content_type.clone(),
                size: file.size,
            });
        }
        Ok(EmailDetails {
            id,
            subject: clip(
                one_line(&email.subject).as_str(),
                redress_domain::aggregate::MAX_LINE,
            ),
            attachments,
            refused,
        })
    }

    /// Records `id` as done on `reference` (a new complaint when `created`, else an addition
    /// to it), keeping the original with its large files left out; unless another pass or
    /// instance recorded it first.
    async fn record(
        &self,
        id: Uuid,
        reference: &Reference,
        customer: CustomerId,
        raw: &[u8],
        created: bool,
        sender_digest: &[u8],
    ) -> Result<Outcome, IntakeError> {
        let original = message::stored_original(raw, self.settings.max_file_bytes);
        let inbound = &self.store.inbound;
        if !inbound
            .recorded(
                id,
                reference.as_str(),
                customer,
                &original,
                created,
                sender_digest,
            )
            .await?
        {
            return Ok(Outcome::AlreadyDone(InboundState::Recorded));
        }
        let reference = reference.to_string();
        Ok(if created {
            Outcome::Created(reference)
        } else {
            Outcome::Added(reference)
        })
    }

    async fn set_aside(
        &self,
        id: Uuid,
        state: InboundState,
        reason: String,
        sender: Option<&str>,
        subject: Option<&str>,
        sender_digest: Option<&[u8]>,
    ) -> Result<Outcome, IntakeError> {
        // Known by its sender's digest wherever an address can be read, even from the header
        // of an unreadable message: erasing that customer later blanks it too.
        let derived = match sender_digest {
            Some(_) => None,
            None => sender
                .map(|s| {
                    s.rsplit_once('<')
                        .map_or(s, |(_, rest)| rest.trim_end_matches('>'))
                })
                .and_then(|address| CustomerEmail::parse(address).ok())
                .map(|email| self.store.vault.digest_of(&email)),
        };
        let sender_digest = sender_digest.or(derived.as_deref());
        if !self
            .store
            .inbound
            .set_aside(id, state, &reason, sender, subject, sender_digest)
            .await?
        {
            return Ok(Outcome::AlreadyDone(state));
        }
        Ok(match state {
            InboundState::Quarantined => Outcome::Quarantined(reason),
            _ => Outcome::Ignored(reason),
        })
    }
}

/// A command's failure as the intake's: the database away, or this message's trouble.
fn command_error(error: CommandError) -> IntakeError {
    match error {
        CommandError::Unavailable(_) => IntakeError::Unavailable(error.into()),
        other => IntakeError::Store(other.into()),
    }
}

/// The complaint named by one of our Message-IDs (`REFERENCE.SEQUENCE.KIND@domain`).
fn our_reference(message_id: &str, our_domain: &str) -> Option<Reference> {
    let (local, domain) = message_id.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(our_domain) {
        return None;
    }
    let (reference, _, _) = redress_store::outbox::parse_outbox_id(local)?;
    Reference::parse(reference).ok()
}

/// A stand-in Message-ID for a message whose header could not be read.
fn place_key(place: &MailboxPlace) -> String {
    format!("{}/{}/{}", place.folder, place.uid_validity, place.uid)
}

/// The email's own words (a reply's without what it quotes; a new message's whole, as it
/// may forward the story), without the signature, cut to what a complaint holds (the
/// original stays one click away), or a note when there are none.
fn words_of(email: &Email, reply: bool) -> String {
    let text = printable(&email.text);
    let words = if reply {
        trim::own_words(&text)
    } else {
        trim::new_message_words(&text)
    };
    if words.trim().is_empty() {
        return NO_TEXT.to_string();
    }
    let max = redress_domain::aggregate::MAX_TEXT - 100;
    if words.chars().count() > max {
        format!(
            "{}\n\n(Cut here: the email is longer; its original is kept in full.)",
            clip(&words, max)
        )
    } else {
        words
    }
}

/// Complaint references written in `text` (e.g. a subject: "Re: RDR-7KX4-9PQM").
fn references_in(text: &str) -> Vec<Reference> {
    let upper = text.to_ascii_uppercase();
    upper
        .match_indices("RDR-")
        .filter_map(|(at, _)| upper.get(at..at + 13))
        .filter_map(|candidate| Reference::parse(candidate).ok())
        .collect()
}

/// `text` on one line, spaces collapsed, control characters dropped.
fn one_line(text: &str) -> String {
    printable(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` without control characters other than line breaks and tabs (a complaint refuses
/// them; mail may carry them).
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

/// At most `max` characters of `text`.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// "10 MB", "512 KB", "64 bytes".
pub(crate) fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MB", bytes / (1024 * 1024))
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_message_ids_name_a_complaint() {
        let id = redress_store::outbox::message_id(
            &redress_store::outbox::outbox_id(
                "RDR-7KX4-9PQM",
                3,
                redress_store::outbox::EmailKind::Owner,
            ),
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
