//! The command side: complaints loaded from and committed to the event store (cqrs-es,
//! `new_event_store` only: its snapshot and aggregate-store modes apply events twice in 0.5.0).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{AggregateError, CqrsFramework};
use postgres_es::PostgresEventRepository;
use rand::thread_rng;
use redress_domain::{
    Actor, Clock, Complaint, ComplaintAction, ComplaintCommand, ComplaintError, ComplaintEvent,
    ComplaintServices, CustomerId, NewComplaint, Reference, Tier,
};
use sqlite_es::SqliteEventRepository;

use crate::StoreError;
use crate::companies::Companies;
use crate::db::Database;
use crate::projection::EventSignal;
use crate::sla::Sla;
use crate::vault::KeyVault;

type SqliteCqrs = CqrsFramework<Complaint, PersistedEventStore<SqliteEventRepository, Complaint>>;
type PostgresCqrs =
    CqrsFramework<Complaint, PersistedEventStore<PostgresEventRepository, Complaint>>;

enum Framework {
    Sqlite(SqliteCqrs),
    Postgres(PostgresCqrs),
}

/// Why a command did not go through.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// No complaint has this reference.
    #[error("No complaint has the reference {0}.")]
    NotFound(Reference),
    /// The complaint refused the command (a rule of the method, or bad input).
    #[error(transparent)]
    Rejected(ComplaintError),
    /// Someone else changed the complaint at the same moment, twice in a row.
    #[error("Someone else changed this complaint at the same moment; reload it and try again.")]
    Conflict,
    /// The database failed; nothing was written.
    #[error("The complaint could not be saved")]
    Storage(#[source] crate::Cause),
    /// The database cannot be reached just now; nothing was written, and the same command
    /// may succeed later.
    #[error("The database is unavailable; nothing was saved")]
    Unavailable(#[source] crate::Cause),
}

impl CommandError {
    /// A storage failure outside the aggregate (a lookup a command needs): unavailable when
    /// the database cannot be reached, else a storage error.
    pub fn from_store(error: StoreError) -> Self {
        if error.is_unavailable() {
            CommandError::Unavailable(error.into())
        } else {
            CommandError::Storage(error.into())
        }
    }

    fn from_aggregate(reference: &Reference, error: AggregateError<ComplaintError>) -> Self {
        match error {
            AggregateError::UserError(ComplaintError::UnknownComplaint) => {
                CommandError::NotFound(reference.clone())
            }
            // The vault could not reach its storage (the key table): not the customer's fault,
            // and worth trying again.
            AggregateError::UserError(error @ ComplaintError::Sealing(_)) => {
                CommandError::Unavailable(error.into())
            }
            AggregateError::UserError(rejection) => CommandError::Rejected(rejection),
            AggregateError::AggregateConflict => CommandError::Conflict,
            AggregateError::DatabaseConnectionError(e) => CommandError::Unavailable(e),
            AggregateError::UnexpectedError(e)
                if e.downcast_ref::<sqlx::Error>()
                    .is_some_and(crate::unreachable_database) =>
            {
                CommandError::Unavailable(e)
            }
            AggregateError::DeserializationError(e) | AggregateError::UnexpectedError(e) => {
                CommandError::Storage(e)
            }
        }
    }
}

/// The changes of events' shape, for cqrs-es's loads.
fn upcasters() -> Vec<Box<dyn cqrs_es::persist::EventUpcaster>> {
    vec![Box::new(redress_domain::upcast::Upcaster)]
}

/// Handles commands on complaints.
#[derive(Clone)]
pub struct Complaints {
    framework: Arc<Framework>,
    pub(crate) db: Database,
    pub(crate) vault: KeyVault,
    signal: EventSignal,
    announcer: Option<Announcer>,
    pub(crate) companies: Companies,
    categories: crate::categories::Categories,
    teams: crate::teams::Teams,
    sla: Sla,
    stats: Arc<CommandStats>,
}

/// Tells the other instances on a PostgreSQL database that events were written: `NOTIFY
/// redress_events`, sent by a task of its own after commands commit, never inside a
/// command's transaction.
///
/// PostgreSQL serialises the commits of every transaction that sent a notification (they take
/// one lock, held while the commit is flushed to disk), so a NOTIFY inside each command, as a
/// trigger on the events table did, lets only one command commit per disk flush: 4,500
/// instead of 17,900 single-row inserts per second at 32 clients on the development machine
/// (pgbench). Here commands only wake the task; it sends one notification for everything
/// committed since its last, outside any writing transaction, so nothing waits on that lock
/// and a burst of commands costs one notification. A notification is only a hint (projectors
/// also poll), so one lost to a failure or an exit only delays the other instances.
#[derive(Clone)]
struct Announcer(tokio::sync::mpsc::Sender<()>);

impl Announcer {
    /// Starts the task (on the current tokio runtime); it ends when the last clone is dropped.
    fn start(pool: sqlx::PgPool) -> Self {
        let (sender, mut wanted) = tokio::sync::mpsc::channel::<()>(1);
        tokio::spawn(async move {
            while wanted.recv().await.is_some() {
                if let Err(error) = sqlx::query("SELECT pg_notify('redress_events', '')")
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(%error, "could not notify other instances of new events");
                }
            }
        });
        Self(sender)
    }

    /// Asks for a notification after everything committed so far. One already waiting to be
    /// sent covers this too.
    fn announce(&self) {
        let _ = self.0.try_send(());
    }
}

/// Commands run by this process since it started, by outcome (for `/metrics`). Every attempt
/// counts: a conflict retried from a fresh load counts once as a conflict and once more as
/// whatever the retry ended in.
#[derive(Debug, Default)]
pub struct CommandStats {
    /// Written.
    pub accepted: AtomicU64,
    /// Refused by the complaint (a rule of the method, or bad input).
    pub rejected: AtomicU64,
    /// For a complaint that does not exist.
    pub not_found: AtomicU64,
    /// Lost a race with another writer of the same complaint.
    pub conflicts: AtomicU64,
    /// The database failed.
    pub failed: AtomicU64,
}

impl CommandStats {
    fn count(&self, result: &Result<(), CommandError>) {
        let counter = match result {
            Ok(()) => &self.accepted,
            Err(CommandError::Rejected(_)) => &self.rejected,
            Err(CommandError::NotFound(_)) => &self.not_found,
            Err(CommandError::Conflict) => &self.conflicts,
            Err(CommandError::Storage(_) | CommandError::Unavailable(_)) => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Complaints {
    /// The command side over `db`, deciding with `clock`, and telling `signal` of new events.
    /// On PostgreSQL it starts the task that tells other instances (so it must be called
    /// within a tokio runtime).
    /// `sla` tells the last day a complaint's resolution target allows, which dates promised
    /// to the customer must not pass.
    pub fn new(
        db: Database,
        vault: KeyVault,
        clock: Arc<dyn Clock>,
        signal: EventSignal,
        sla: Sla,
    ) -> Self {
        let services = ComplaintServices::new(clock, Arc::new(vault.clone()));
        let framework = match &db {
            Database::Sqlite(pool) => Framework::Sqlite(CqrsFramework::new(
                PersistedEventStore::new_event_store(SqliteEventRepository::new(pool.clone()))
                    .with_upcasters(upcasters()),
                vec![],
                services,
            )),
            Database::Postgres(pool) => Framework::Postgres(CqrsFramework::new(
                PersistedEventStore::new_event_store(PostgresEventRepository::new(pool.clone()))
                    .with_upcasters(upcasters()),
                vec![],
                services,
            )),
        };
        let announcer = match &db {
            Database::Sqlite(_) => None,
            Database::Postgres(pool) => Some(Announcer::start(pool.clone())),
        };
        Self {
            framework: Arc::new(framework),
            companies: Companies::new(db.clone()),
            categories: crate::categories::Categories::new(db.clone()),
            teams: crate::teams::Teams::new(db.clone()),
            sla,
            db,
            vault,
            signal,
            announcer,
            stats: Arc::default(),
        }
    }

    /// Wakes this process's projectors and, on PostgreSQL, the other instances'.
    fn written(&self) {
        self.signal.notify();
        if let Some(announcer) = &self.announcer {
            announcer.announce();
        }
    }

    /// Commands run by this process, by outcome.
    pub fn stats(&self) -> &CommandStats {
        &self.stats
    }

    async fn execute_once(
        &self,
        reference: &Reference,
        command: ComplaintCommand,
    ) -> Result<(), CommandError> {
        let metadata = HashMap::new();
        let result = match self.framework.as_ref() {
            Framework::Sqlite(cqrs) => {
                cqrs.execute_with_metadata(reference.as_str(), command, metadata)
                    .await
            }
            Framework::Postgres(cqrs) => {
                cqrs.execute_with_metadata(reference.as_str(), command, metadata)
                    .await
            }
        };
        let result = result.map_err(|e| CommandError::from_aggregate(reference, e));
        self.stats.count(&result);
        result
    }

    /// A date promised to the customer (a commitment's, the next update's) is checked against
    /// the complaint's resolution target: the command is given the last day it allows, read
    /// from the complaint's SLA clocks (unless the caller gave one).
    async fn stamp_resolve_by(
        &self,
        reference: &Reference,
        command: &mut ComplaintCommand,
    ) -> Result<(), CommandError> {
        if let ComplaintAction::CommitToAction { resolve_by, .. }
        | ComplaintAction::SendProgressUpdate { resolve_by, .. } = &mut command.action
            && resolve_by.is_none()
        {
            *resolve_by = self
                .sla
                .resolve_by(reference.as_str())
                .await
                .map_err(CommandError::from_store)?;
        }
        Ok(())
    }

    /// Runs a command on an existing complaint. A conflict with a concurrent writer is retried
    /// once from a fresh load, then reported as [`CommandError::Conflict`]. A merge or a link
    /// is recorded on the other complaint too, after this one.
    pub async fn execute(
        &self,
        reference: &Reference,
        mut command: ComplaintCommand,
    ) -> Result<(), CommandError> {
        self.stamp_resolve_by(reference, &mut command).await?;
        self.stamp_other(&mut command).await?;
        // A complaint that arrives by email is received here, not by `receive`: it gets its
        // category, tier and team as every other does.
        if let ComplaintAction::ReceiveEmail { new, .. } = &mut command.action {
            self.stamp_tier(new).await?;
        }
        if let ComplaintAction::ChangeCategory { category } = &mut command.action {
            *category = self
                .category_map()
                .await?
                .accept(category)
                .map_err(CommandError::Rejected)?;
        }
        let result = self.execute_retrying(reference, command.clone()).await;
        if result.is_ok() {
            self.written();
            self.record_on_the_other(reference, &command).await?;
        }
        result
    }

    async fn execute_retrying(
        &self,
        reference: &Reference,
        command: ComplaintCommand,
    ) -> Result<(), CommandError> {
        match self.execute_once(reference, command.clone()).await {
            Err(CommandError::Conflict) => {
                tracing::debug!(%reference, "conflict; retrying once from a fresh load");
                self.execute_once(reference, command).await
            }
            other => other,
        }
    }

    /// A merge or a link names another complaint: it must exist, and a merge needs to know
    /// whether it is still open (only an open complaint takes in a duplicate).
    async fn stamp_other(&self, command: &mut ComplaintCommand) -> Result<(), CommandError> {
        let other = match &command.action {
            ComplaintAction::MergeInto { survivor, .. } => survivor.clone(),
            ComplaintAction::Link { other } => other.clone(),
            _ => return Ok(()),
        };
        let Some(found) = self.load(&other).await? else {
            return Err(CommandError::Rejected(ComplaintError::NoSuchComplaint {
                reference: other.to_string(),
            }));
        };
        if let ComplaintAction::MergeInto { survivor_open, .. } = &mut command.action {
            *survivor_open = !found.progress().closed;
        }
        Ok(())
    }

    /// After a merge, the survivor records the duplicate it took in; after a link, the other
    /// complaint records the link (done already counts as done).
    async fn record_on_the_other(
        &self,
        reference: &Reference,
        command: &ComplaintCommand,
    ) -> Result<(), CommandError> {
        let (other, action) = match &command.action {
            ComplaintAction::MergeInto { survivor, .. } => (
                survivor,
                ComplaintAction::TakeInDuplicate {
                    duplicate: reference.clone(),
                },
            ),
            ComplaintAction::Link { other } => (
                other,
                ComplaintAction::Link {
                    other: reference.clone(),
                },
            ),
            _ => return Ok(()),
        };
        let result = self
            .execute_retrying(other, ComplaintCommand::new(command.by.clone(), action))
            .await;
        match result {
            Ok(()) => {
                self.written();
                Ok(())
            }
            Err(CommandError::Rejected(
                ComplaintError::AlreadyMerged { .. } | ComplaintError::AlreadyLinked { .. },
            )) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// The managed categories, now.
    async fn category_map(&self) -> Result<crate::categories::CategoryMap, CommandError> {
        self.categories
            .map()
            .await
            .map_err(CommandError::from_store)
    }

    /// A complaint records its category's code (a name or a mapped value is taken as its
    /// code; anything else is refused with the codes offered), its company's tier (a key account stays one
    /// when the caller already knows it), and the team the routing rules give it (with its
    /// owner, when the team gives out work itself), unless the caller routed it.
    async fn stamp_tier(&self, new: &mut NewComplaint) -> Result<(), CommandError> {
        let categories = self.category_map().await?;
        new.category = categories
            .accept(&new.category)
            .map_err(CommandError::Rejected)?;
        if let (Tier::Standard, Some(company)) = (new.tier, new.company.as_deref()) {
            new.tier = self
                .companies
                .tier_of(company)
                .await
                .map_err(CommandError::from_store)?;
        }
        if new.routing.is_none() {
            new.routing = self
                .teams
                .route(new, &categories)
                .await
                .map_err(CommandError::from_store)?;
        }
        Ok(())
    }

    /// Receives a new complaint under a fresh reference, and returns the reference.
    /// (`new.reference` is ignored and replaced.)
    pub async fn receive(
        &self,
        by: Actor,
        mut new: NewComplaint,
    ) -> Result<Reference, CommandError> {
        self.stamp_tier(&mut new).await?;
        // A reference is 40 random bits; a clash shows as a conflict or "already received".
        for _ in 0..5 {
            let reference = Reference::generate(&mut thread_rng());
            new.reference = reference.clone();
            let command =
                ComplaintCommand::new(by.clone(), ComplaintAction::Receive(Box::new(new.clone())));
            match self.execute_once(&reference, command).await {
                Ok(()) => {
                    self.written();
                    return Ok(reference);
                }
                Err(CommandError::Conflict)
                | Err(CommandError::Rejected(ComplaintError::AlreadyReceived)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(CommandError::Conflict)
    }

    /// Receives a new complaint with the files its customer sent (the public form): the files
    /// are stored, sealed with the customer's key, under the complaint's reference, then the
    /// complaint is received with them in one command. Nothing is left behind when it is
    /// refused. Returns the reference.
    pub async fn receive_with_files(
        &self,
        by: Actor,
        mut new: NewComplaint,
        files: Vec<(String, String, Vec<u8>)>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Reference, CommandError> {
        use redress_domain::PersonalDataVault;
        if files.is_empty() {
            return self.receive(by, new).await;
        }
        self.stamp_tier(&mut new).await?;
        // Files are sealed with the customer's key before the complaint is received: the
        // customer is found by their address (the ways in that take files all require one).
        let Some(email) = new.customer.email.clone() else {
            return Err(CommandError::Storage(
                "files can be kept only for a customer with an email address".into(),
            ));
        };
        let customer = self
            .vault
            .customer_for(&email)
            .await
            .map_err(|e| CommandError::Unavailable(e.into()))?;
        let attachments = crate::attachments::Attachments::new(self.db.clone(), self.vault.clone());
        for _ in 0..5 {
            let reference = Reference::generate(&mut thread_rng());
            new.reference = reference.clone();
            let mut metas = Vec::with_capacity(files.len());
            for (name, content_type, bytes) in &files {
                let id = uuid::Uuid::new_v4();
                attachments
                    .store(id, reference.as_str(), customer, bytes, now)
                    .await
                    .map_err(CommandError::from_store)?;
                metas.push(redress_domain::AttachmentMeta {
                    id,
                    name: name.clone(),
                    content_type: content_type.clone(),
                    size: bytes.len() as u64,
                });
            }
            let ids: Vec<uuid::Uuid> = metas.iter().map(|m| m.id).collect();
            let command = ComplaintCommand::new(
                by.clone(),
                ComplaintAction::ReceiveWithFiles {
                    new: Box::new(new.clone()),
                    files: metas,
                },
            );
            let result = self.execute_once(&reference, command).await;
            if result.is_err() {
                attachments
                    .discard(&ids)
                    .await
                    .map_err(CommandError::from_store)?;
            }
            match result {
                Ok(()) => {
                    self.written();
                    return Ok(reference);
                }
                Err(CommandError::Conflict)
                | Err(CommandError::Rejected(ComplaintError::AlreadyReceived)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(CommandError::Conflict)
    }

    /// Receives a complaint under the reference it carries (imports, demo data, tests).
    pub async fn receive_as(&self, by: Actor, mut new: NewComplaint) -> Result<(), CommandError> {
        self.stamp_tier(&mut new).await?;
        let reference = new.reference.clone();
        self.execute(
            &reference,
            ComplaintCommand::new(by, ComplaintAction::Receive(Box::new(new))),
        )
        .await
    }

    /// Loads a complaint's current state from its events.
    pub async fn load(&self, reference: &Reference) -> Result<Option<Complaint>, CommandError> {
        use cqrs_es::EventStore;
        let context = match self.framework.as_ref() {
            Framework::Sqlite(_) => {
                let Database::Sqlite(pool) = &self.db else {
                    unreachable!("the framework matches the database")
                };
                PersistedEventStore::<_, Complaint>::new_event_store(SqliteEventRepository::new(
                    pool.clone(),
                ))
                .with_upcasters(upcasters())
                .load_aggregate(reference.as_str())
                .await
                .map(|c| c.aggregate)
            }
            Framework::Postgres(_) => {
                let Database::Postgres(pool) = &self.db else {
                    unreachable!("the framework matches the database")
                };
                PersistedEventStore::<_, Complaint>::new_event_store(PostgresEventRepository::new(
                    pool.clone(),
                ))
                .with_upcasters(upcasters())
                .load_aggregate(reference.as_str())
                .await
                .map(|c| c.aggregate)
            }
        };
        let complaint = context.map_err(|e| CommandError::from_aggregate(reference, e))?;
        Ok(complaint.reference().is_some().then_some(complaint))
    }

    /// Every event of one complaint, in order (empty if there is no such complaint).
    pub async fn events_of(
        &self,
        reference: &Reference,
    ) -> Result<Vec<ComplaintEvent>, StoreError> {
        crate::event_log::of_complaint(&self.db, reference).await
    }

    /// The events of several complaints, each in order.
    pub async fn events_of_many(
        &self,
        references: &[String],
    ) -> Result<HashMap<String, Vec<ComplaintEvent>>, StoreError> {
        crate::event_log::of_complaints(&self.db, references).await
    }

    /// The references of every complaint received from `customer`, read from the event
    /// stream itself (not from a read model that might lag).
    pub async fn references_of(&self, customer: CustomerId) -> Result<Vec<Reference>, StoreError> {
        crate::event_log::complaints_from(&self.db, customer).await
    }
}
