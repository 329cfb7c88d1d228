//! Email intake's records: every message read from the mailbox, once, and the files kept
//! from them.
//!
//! A message is known by where it was read (folder, UIDVALIDITY, UID) *and* by its
//! `Message-ID`: a restart, a second instance or the same message delivered twice finds the
//! row and records nothing again. The intake claims a message (a row in state `claimed`,
//! with a lease), records it on a complaint, then finishes the row (`recorded`, `ignored` or
//! `quarantined`); a claim whose instance died is taken over once its lease has passed, and
//! finishing again is harmless (the complaint refuses an email it already has).
//!
//! Originals and files are personal data: they are stored sealed with the customer's key, so
//! erasing the customer erases them (and [`Inbound::forget_customer`] deletes the bytes).
//! Ignored and quarantined messages belong to no customer; the sender and subject noted for
//! the admins' list are the only personal data kept in the clear, and
//! [`Inbound::dismiss`] removes them.

use chrono::{DateTime, Utc};
use redress_domain::CustomerId;
use serde::Serialize;
use uuid::Uuid;

use crate::db::Database;
use crate::vault::{KeyVault, OpenError};
use crate::{StoreError, on_pool};

/// The intake's records.
#[derive(Clone, Debug)]
pub struct Inbound {
    db: Database,
    vault: KeyVault,
}

/// Where a message was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxPlace {
    /// The folder.
    pub folder: String,
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
    /// The message's UID in it.
    pub uid: u32,
}

/// What claiming a message found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Nobody has handled it: it is ours to record, under this id.
    Fresh(Uuid),
    /// A claim whose instance stopped, or whose attempt failed, before finishing: ours to
    /// finish, under its id and the reference it had chosen, if any.
    Resumed {
        /// The message's id.
        id: Uuid,
        /// The complaint chosen for it.
        reference: Option<String>,
        /// Attempts that failed before.
        attempts: i64,
        /// Why the last one failed.
        last_error: Option<String>,
    },
    /// Finished already (here, or as another copy with the same `Message-ID`): nothing to do
    /// but file the message away.
    Done {
        /// How it ended.
        state: InboundState,
        /// The digest of the message finished, to tell another message under a reused
        /// `Message-ID`.
        digest: Option<String>,
    },
    /// Another instance holds it now.
    Busy,
}

/// How a message's handling ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundState {
    /// Being handled.
    Claimed,
    /// On a complaint.
    Recorded,
    /// Not for a complaint (an auto-reply, a bounce, our own mail).
    Ignored,
    /// Could not be read; moved aside for people to look at.
    Quarantined,
}

impl InboundState {
    fn code(self) -> &'static str {
        match self {
            InboundState::Claimed => "claimed",
            InboundState::Recorded => "recorded",
            InboundState::Ignored => "ignored",
            InboundState::Quarantined => "quarantined",
        }
    }

    fn from_code(code: &str) -> Self {
        match code {
            "recorded" => InboundState::Recorded,
            "ignored" => InboundState::Ignored,
            "quarantined" => InboundState::Quarantined,
            _ => InboundState::Claimed,
        }
    }
}

/// A message that reached no complaint, for the admins' list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetAside {
    /// The message's id.
    pub id: Uuid,
    /// Ignored or quarantined.
    pub state: InboundState,
    /// Why, in words for staff.
    pub reason: String,
    /// The sender, as far as it could be read.
    pub sender: Option<String>,
    /// The subject, as far as it could be read.
    pub subject: Option<String>,
    /// Its `Message-ID` (or the digest standing in for one).
    pub message_id: String,
    /// The folder and UID it was read from.
    pub place: String,
    /// When it was read.
    pub read_at: DateTime<Utc>,
}

/// Counts by state, for the admin page and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InboundCounts {
    /// On complaints.
    pub recorded: i64,
    /// Ignored.
    pub ignored: i64,
    /// Quarantined.
    pub quarantined: i64,
    /// Being handled (or left by an instance that stopped).
    pub claimed: i64,
}

/// A stored file, opened.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedFile {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The complaint it belongs to.
    pub reference: String,
}

/// What a second claim finds: id, state, reference, lease end, attempts, last error, digest.
type ClaimRow = (
    Uuid,
    String,
    Option<String>,
    DateTime<Utc>,
    i32,
    Option<String>,
    Option<String>,
);

/// (reference, customer, sealed original) of a recorded message.
type StoredOriginal = (Option<String>, Option<Uuid>, Option<Vec<u8>>);

/// A row of the set-aside list: id, state, reason, sender, subject, Message-ID, folder, UID,
/// read at.
type SetAsideRow = (
    Uuid,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    DateTime<Utc>,
);

impl Inbound {
    /// The records over `db`, sealing with `vault`.
    pub fn new(db: Database, vault: KeyVault) -> Self {
        Self { db, vault }
    }

    /// Claims the message read at `place` with this `Message-ID` for `lease` (see the
    /// module's documentation).
    pub async fn claim(
        &self,
        place: &MailboxPlace,
        message_id: &str,
        raw_digest: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Claim, StoreError> {
        let id = Uuid::new_v4();
        let inserted = on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO inbound_messages
                    (id, folder, uid_validity, uid, message_id, state, read_at, claimed_until,
                     raw_digest)
             VALUES ($1, $2, $3, $4, $5, 'claimed', $6, $7, $8)
             ON CONFLICT DO NOTHING"
        )
        .bind(id)
        .bind(&place.folder)
        .bind(i64::from(place.uid_validity))
        .bind(i64::from(place.uid))
        .bind(message_id)
        .bind(now)
        .bind(now + lease)
        .bind(raw_digest)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if inserted == 1 {
            return Ok(Claim::Fresh(id));
        }
        // Seen before, at this place or under this Message-ID.
        let row: Option<ClaimRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, state, reference, claimed_until, attempts, reason, raw_digest
                   FROM inbound_messages
                  WHERE message_id = $1
                     OR (folder = $2 AND uid_validity = $3 AND uid = $4)
                  ORDER BY read_at LIMIT 1"
        )
        .bind(message_id)
        .bind(&place.folder)
        .bind(i64::from(place.uid_validity))
        .bind(i64::from(place.uid))
        .fetch_optional(pool)
        .await)?;
        let Some((id, state, reference, claimed_until, attempts, last_error, digest)) = row else {
            // Deleted in between (dismissed): nothing to resume; read it again next time.
            return Ok(Claim::Busy);
        };
        let state = InboundState::from_code(&state);
        if state != InboundState::Claimed {
            return Ok(Claim::Done { state, digest });
        }
        if claimed_until > now {
            return Ok(Claim::Busy);
        }
        // Take over the stale claim, unless another instance just did.
        let taken = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE inbound_messages SET claimed_until = $1
              WHERE id = $2 AND state = 'claimed' AND claimed_until = $3"
        )
        .bind(now + lease)
        .bind(id)
        .bind(claimed_until)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(if taken == 1 {
            Claim::Resumed {
                id,
                reference,
                attempts: i64::from(attempts),
                last_error,
            }
        } else {
            Claim::Busy
        })
    }

    /// Notes the complaint a claimed message goes to, before the complaint is written: a
    /// resumed claim then writes to the same one. Returns the reference now on the row (an
    /// earlier choice wins).
    pub async fn choose_reference(&self, id: Uuid, reference: &str) -> Result<String, StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE inbound_messages SET reference = $1 WHERE id = $2 AND reference IS NULL"
        )
        .bind(reference)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        let chosen: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT reference FROM inbound_messages WHERE id = $1"
        )
        .bind(id)
        .fetch_one(pool)
        .await)?;
        chosen.ok_or_else(|| StoreError::Corrupt(format!("inbound message {id} has no reference")))
    }

    /// Forgets the reference a claim had chosen (it was taken by another complaint), so the
    /// next attempt chooses another.
    pub async fn forget_reference(&self, id: Uuid) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE inbound_messages SET reference = NULL WHERE id = $1 AND state = 'claimed'"
        )
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Stores a file of message `id`, sealed with `customer`'s key (again under the same id
    /// when a resumed claim stores it twice). Fails if the customer's key is gone.
    pub async fn store_file(
        &self,
        file: Uuid,
        id: Uuid,
        customer: CustomerId,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key =
            self.vault.key(customer).await?.ok_or_else(|| {
                StoreError::Config("the customer's personal data was erased".into())
            })?;
        let sealed = key.seal_bytes(customer, bytes);
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO email_attachments (id, message, customer_id, content, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET content = excluded.content"
        )
        .bind(file)
        .bind(id)
        .bind(customer.0)
        .bind(sealed)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Gives a claim back after a failed attempt, noting the failure, so the next attempt may
    /// take it at once (and one that keeps failing can be set aside).
    pub async fn release(&self, id: Uuid, error: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE inbound_messages
                SET claimed_until = read_at, attempts = attempts + 1, reason = $2
              WHERE id = $1 AND state = 'claimed'"
        )
        .bind(id)
        .bind(error.chars().take(500).collect::<String>())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Finishes a message that landed on `reference` (`created`: as a new complaint),
    /// keeping its original sealed with `customer`'s key. Returns false when the claim was
    /// no longer this attempt's to finish (another instance took it over and finished it).
    pub async fn recorded(
        &self,
        id: Uuid,
        reference: &str,
        customer: CustomerId,
        original: &[u8],
        created: bool,
        sender_digest: &[u8],
    ) -> Result<bool, StoreError> {
        let sealed = self
            .vault
            .key(customer)
            .await?
            .map(|key| key.seal_bytes(customer, original));
        let finished = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE inbound_messages
                SET state = 'recorded', reference = $1, customer_id = $2, original = $3,
                    reason = NULL, claimed_until = read_at, created = $5, sender_digest = $6
              WHERE id = $4 AND state = 'claimed'"
        )
        .bind(reference)
        .bind(customer.0)
        .bind(sealed)
        .bind(id)
        .bind(created)
        .bind(sender_digest)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(finished == 1)
    }

    /// New complaints this sender's mail created since `since` (the intake limits them).
    pub async fn created_since(
        &self,
        sender_digest: &[u8],
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbound_messages
              WHERE sender_digest = $1 AND read_at >= $2 AND created"
        )
        .bind(sender_digest)
        .bind(since)
        .fetch_one(pool)
        .await)?)
    }

    /// Finishes a message set aside (`Ignored` or `Quarantined`), with the reason and what
    /// could be read of its sender (and the sender's digest, so erasing that customer forgets
    /// it too) and subject. Files stored for it before it was refused are deleted. Returns
    /// false when the claim was no longer this attempt's to finish.
    pub async fn set_aside(
        &self,
        id: Uuid,
        state: InboundState,
        reason: &str,
        sender: Option<&str>,
        subject: Option<&str>,
        sender_digest: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let finished = crate::on_db!(&mut tx, |q| sqlx::query(
            "UPDATE inbound_messages
                SET state = $1, reason = $2, sender = $3, subject = $4, claimed_until = read_at,
                    sender_digest = $6
              WHERE id = $5 AND state = 'claimed'"
        )
        .bind(state.code())
        .bind(reason)
        .bind(sender)
        .bind(subject)
        .bind(id)
        .bind(sender_digest)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        // Only this attempt's: when another one finished the message first (recorded it,
        // say), its files are that message's.
        if finished == 1 {
            crate::on_db!(&mut tx, |q| sqlx::query(
                "DELETE FROM email_attachments WHERE message = $1"
            )
            .bind(id)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(finished == 1)
    }

    /// The original of a recorded message, opened (`Err(Erased)` once the customer is
    /// forgotten), with its complaint.
    pub async fn original(
        &self,
        id: Uuid,
    ) -> Result<Option<Result<OpenedFile, OpenError>>, StoreError> {
        let row: Option<StoredOriginal> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT reference, customer_id, original FROM inbound_messages
                  WHERE id = $1 AND state = 'recorded'"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        let Some((Some(reference), Some(customer), original)) = row else {
            return Ok(None);
        };
        self.open(CustomerId(customer), original, reference).await
    }

    /// A stored file, opened, with the complaint of its message.
    pub async fn file(
        &self,
        file: Uuid,
    ) -> Result<Option<Result<OpenedFile, OpenError>>, StoreError> {
        let row: Option<(Option<String>, Uuid, Vec<u8>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT m.reference, a.customer_id, a.content
                   FROM email_attachments a JOIN inbound_messages m ON m.id = a.message
                  WHERE a.id = $1",
            )
            .bind(file)
            .fetch_optional(pool)
            .await
        })?;
        let Some((Some(reference), customer, content)) = row else {
            return Ok(None);
        };
        self.open(CustomerId(customer), Some(content), reference)
            .await
    }

    async fn open(
        &self,
        customer: CustomerId,
        sealed: Option<Vec<u8>>,
        reference: String,
    ) -> Result<Option<Result<OpenedFile, OpenError>>, StoreError> {
        let Some(sealed) = sealed else {
            return Ok(Some(Err(OpenError::Erased)));
        };
        Ok(Some(match self.vault.key(customer).await? {
            Some(key) => key
                .open_bytes(customer, &sealed)
                .map(|bytes| OpenedFile { bytes, reference }),
            None => Err(OpenError::Erased),
        }))
    }

    /// Messages set aside, newest first.
    pub async fn set_aside_list(&self, limit: i64) -> Result<Vec<SetAside>, StoreError> {
        let rows: Vec<SetAsideRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, state, reason, sender, subject, message_id, folder, uid, read_at
               FROM inbound_messages WHERE state IN ('ignored', 'quarantined')
              ORDER BY read_at DESC LIMIT $1"
        )
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, state, reason, sender, subject, message_id, folder, uid, read_at)| SetAside {
                    id,
                    state: InboundState::from_code(&state),
                    reason: reason.unwrap_or_default(),
                    sender,
                    subject,
                    message_id,
                    place: format!("{folder} UID {uid}"),
                    read_at,
                },
            )
            .collect())
    }

    /// Forgets what the admins' list shows of a message set aside (its sender and subject);
    /// the row stays, so the message is never read again.
    pub async fn dismiss(&self, id: Uuid) -> Result<bool, StoreError> {
        let changed = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE inbound_messages SET sender = NULL, subject = NULL, state = 'ignored',
                    reason = 'dismissed by an admin'
              WHERE id = $1 AND state IN ('ignored', 'quarantined')"
        )
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(changed > 0)
    }

    /// Counts by state.
    pub async fn counts(&self) -> Result<InboundCounts, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT state, COUNT(*) FROM inbound_messages GROUP BY state"
        )
        .fetch_all(pool)
        .await)?;
        let mut counts = InboundCounts::default();
        for (state, n) in rows {
            match InboundState::from_code(&state) {
                InboundState::Recorded => counts.recorded = n,
                InboundState::Ignored => counts.ignored = n,
                InboundState::Quarantined => counts.quarantined = n,
                InboundState::Claimed => counts.claimed = n,
            }
        }
        Ok(counts)
    }

    /// Forgets what the intake holds of a customer being erased: deletes their sealed
    /// originals and files (their key goes too, so these could not be opened anyway; this
    /// frees the space), and blanks the sender and subject of their messages set aside. Runs
    /// before the key is deleted: the customer's address digest is read with it.
    pub async fn forget_customer(&self, customer: CustomerId) -> Result<(), StoreError> {
        let digest: Option<Vec<u8>> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT email_digest FROM customer_keys WHERE customer_id = $1"
        )
        .bind(customer.0)
        .fetch_optional(pool)
        .await)?;
        if let Some(digest) = digest {
            on_pool!(&self.db, |pool| sqlx::query(
                "UPDATE inbound_messages SET sender = NULL, subject = NULL
                  WHERE sender_digest = $1 AND state IN ('ignored', 'quarantined')"
            )
            .bind(digest)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        }
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM email_attachments WHERE customer_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE inbound_messages SET original = NULL WHERE customer_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
