//! One message in: claimed by its place and Message-ID, read, and turned into a complaint,
//! landed on the complaint it answers, ignored (machines, loops) or set aside, exactly once.

use super::*;

impl Intake {
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

    pub(crate) async fn handle(
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
    pub(crate) fn machine_or_loop(&self, email: &Email) -> Option<String> {
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
    pub(crate) async fn answered(
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
    pub(crate) async fn add_to(
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

    pub(crate) async fn create(
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
            routing: None,
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
    pub(crate) async fn keep_files(
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
    pub(crate) async fn record(
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

    pub(crate) async fn set_aside(
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
pub(crate) fn command_error(error: CommandError) -> IntakeError {
    match error {
        CommandError::Unavailable(_) => IntakeError::Unavailable(error.into()),
        other => IntakeError::Store(other.into()),
    }
}

/// The complaint named by one of our Message-IDs (`REFERENCE.SEQUENCE.KIND@domain`).
pub(crate) fn our_reference(message_id: &str, our_domain: &str) -> Option<Reference> {
    let (local, domain) = message_id.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(our_domain) {
        return None;
    }
    let (reference, _, _) = redress_notify::policy::parse_outbox_id(local)?;
    Reference::parse(reference).ok()
}

/// A stand-in Message-ID for a message whose header could not be read.
pub(crate) fn place_key(place: &MailboxPlace) -> String {
    format!("{}/{}/{}", place.folder, place.uid_validity, place.uid)
}

/// The email's own words (a reply's without what it quotes; a new message's whole, as it
/// may forward the story), without the signature, cut to what a complaint holds (the
/// original stays one click away), or a note when there are none.
pub(crate) fn words_of(email: &Email, reply: bool) -> String {
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
pub(crate) fn references_in(text: &str) -> Vec<Reference> {
    let upper = text.to_ascii_uppercase();
    upper
        .match_indices("RDR-")
        .filter_map(|(at, _)| upper.get(at..at + 13))
        .filter_map(|candidate| Reference::parse(candidate).ok())
        .collect()
}

/// `text` on one line, spaces collapsed, control characters dropped.
pub(crate) fn one_line(text: &str) -> String {
    printable(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` without control characters other than line breaks and tabs (a complaint refuses
/// them; mail may carry them).
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

/// At most `max` characters of `text`.
pub(crate) fn clip(text: &str, max: usize) -> String {
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
