//! The intake's worker: one instance at a time reads the mailbox (its lock held in the
//! store), in passes of batches, waiting with IDLE between them, and reports how it stands.

use super::*;

impl Intake {
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

    pub(crate) async fn session(
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
    pub(crate) async fn too_large(
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
}
