//! Storage for Redress: connection pools (SQLite or PostgreSQL, picked by the URL's scheme),
//! the cqrs-es event store, the personal-data vault, the catch-up projector runtime and the
//! read models with their queries. It owns every SQL statement; it renders nothing and sends
//! no mail.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod api_tokens;
pub mod attachments;
pub mod categories;
pub mod companies;
pub mod complaint_list;
pub mod complaints;
pub mod db;
pub mod erasure;
pub mod event_log;
pub mod forms;
pub mod idempotency;
pub mod imports;
pub mod inbound;
pub mod key_accounts;
pub mod links;
pub mod notifications;
pub mod outbox;
pub mod passkeys;
pub mod password_resets;
pub mod projection;
pub mod recovery;
pub mod reports;
pub mod retention;
pub mod root_causes;
pub mod saved_replies;
pub mod security;
pub mod sessions;
pub mod sla;
pub mod surveys;
pub mod teams;
pub mod two_factor;
pub mod vault;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use redress_domain::Clock;

pub use accounts::{AccountError, Accounts, Role, StaffAccount};
pub use api_tokens::{ApiToken, ApiTokens, Scope};
pub use attachments::Attachments;
pub use categories::{
    Categories, Category, CategoryDraft, CategoryError, CategoryMap, RecordedValue,
};
pub use companies::{Companies, CompanyFile, ContactNotes, ContactSummary, FileError};
pub use complaint_list::{
    ComplaintList, ComplaintListProjector, ComplaintListRow, QueueCursor, QueueFilter, QueuePage,
    QueueSort, SlaState,
};
pub use complaints::{CommandError, CommandStats, Complaints};
pub use db::{Backend, ConnectOptions, Database, Tx};
pub use erasure::ErasureReport;
pub use event_log::{Checkpoint, StoredEvent};
pub use forms::{FormTokens, PublicIntake};
pub use idempotency::{Idempotency, KeptAnswer, KeyClaim};
pub use imports::{ImportedComplaint, Imports};
pub use inbound::{Claim, Inbound, InboundCounts, InboundState, MailboxPlace, SetAside};
pub use links::{LinkError, StatusLinks};
pub use notifications::{
    Delivery, Notification, NotificationKind, Notifications, NotificationsProjector,
};
pub use outbox::{
    Attempt, EmailKind, MailPolicy, Outbox, OutboxCounts, OutboxProjector, OutboxRow, SentCopy,
};
pub use passkeys::{Passkeys, StoredPasskey};
pub use password_resets::PasswordResets;
pub use projection::{
    CheckReport, EventSignal, Leadership, Projections, Projector, ProjectorPosition, RebuildReport,
    SoleWorker, TableCheck, Wake,
};
pub use reports::{Reports, ReportsProjector};
pub use retention::{Retention, RetentionReport};
pub use saved_replies::{SavedReplies, SavedReply, SavedReplyDraft, SavedReplyError};
pub use security::{AuditAction, AuditActor, AuditEntry, AuditTrail, RateLimits};
pub use sessions::{LiveSession, SessionInfo, StaffSessions, session_id};
pub use sla::{Sla, SlaPolicies, SlaProjector};
pub use teams::{Assignment, RoutingRule, RuleField, Team, TeamError, TeamMember, Teams};
pub use two_factor::{TwoFactor, Verified};
pub use vault::{KeyVault, OpenError};
pub use webhooks::{WebhookProjector, Webhooks};

/// The cause of a failure, kept whole (its own sources included) so that where the failure
/// is finally reported the whole chain can be told ([`chain`]).
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error and each of its sources, in one line: `outer: cause: root cause`. Where a failure
/// ends (a request answered with an error, a worker giving up) this is what is logged, once.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // A wrapper that already repeats its cause (`{0}` in its message) is not said twice.
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database answered with an error, or not at all.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The configuration is wrong.
    #[error("{0}")]
    Config(String),
    /// A projector could not catch up: events are held back by a transaction left open.
    #[error(
        "projection {0} is held back: a database transaction older than its next events has been open for over 30 s"
    )]
    HeldBack(String),
    /// Stored data is not what it should be.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

/// Whether a database error means the database is unreachable (rather than refusing
/// something): the request may succeed later, so it gets a 503.
pub fn unreachable_database(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        // PostgreSQL: connection exceptions (08), insufficient resources (53), operator
        // intervention such as a shutdown (57), and a database that is gone (3D000).
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57")
                || code == "3D000"
        }),
        _ => false,
    }
}

impl StoreError {
    /// Whether the database is unreachable (rather than refusing something): the request
    /// may succeed later, so it gets a 503.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error) => unreachable_database(error),
            _ => false,
        }
    }

    /// Whether the database refused a text it cannot store (PostgreSQL and a NUL character,
    /// 22021): the input's fault, not the server's.
    pub fn is_unstorable_text(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(error))
            if error.code().as_deref() == Some("22021"))
    }
}

/// Everything storage offers, wired together.
#[derive(Clone)]
pub struct Store {
    /// The pool.
    pub db: Database,
    /// The personal-data vault.
    pub vault: KeyVault,
    /// The command side.
    pub complaints: Complaints,
    /// The projectors.
    pub projections: Projections,
    /// Queries over the complaint list.
    pub complaint_list: ComplaintList,
    /// Wakes projectors.
    pub signal: EventSignal,
    /// Staff accounts.
    pub accounts: Accounts,
    /// One-time tokens of submitted forms.
    pub forms: FormTokens,
    /// Company and contact files.
    pub companies: Companies,
    /// Key accounts' owners, meetings and risks.
    pub key_accounts: key_accounts::KeyAccounts,
    /// The managed categories and the mapping of free-text ones.
    pub categories: Categories,
    /// Two-factor sign-in.
    pub two_factor: TwoFactor,
    /// People's passkeys.
    pub passkeys: Passkeys,
    /// The root causes admins keep, and the corrective actions against them.
    pub root_causes: root_causes::RootCauses,
    /// The emails customers are owed.
    pub outbox: Outbox,
    /// Use of the public complaint form, per client address.
    pub public_intake: PublicIntake,
    /// Signed links to customers' status pages.
    pub links: StatusLinks,
    /// Tokens of the JSON API.
    pub api_tokens: ApiTokens,
    /// The API's answers to requests sent with an `Idempotency-Key`.
    pub idempotency: Idempotency,
    /// Webhook endpoints and their deliveries.
    pub webhooks: Webhooks,
    /// Complaints imported from other help desks.
    pub imports: Imports,
    /// SLA policies, clocks and the dashboard.
    pub sla: Sla,
    /// The managers' reports.
    pub reports: Reports,
    /// Service recovery: the follow-ups of low scores.
    pub recovery: recovery::Recovery,
    /// Periodic surveys of every contact.
    pub surveys: surveys::Surveys,
    /// Email intake's records of messages read and files kept.
    pub inbound: Inbound,
    /// Staff sessions, kept on the server.
    pub sessions: StaffSessions,
    /// Who did what (sign-ins, account changes, exports, erasures...).
    pub audit: AuditTrail,
    /// Request counts for rate limits.
    pub rate_limits: RateLimits,
    /// Erasure of personal data past its retention period.
    pub retention: Retention,
    /// Files on complaints (replies, uploads, email).
    pub attachments: Attachments,
    /// The saved replies admins keep.
    pub saved_replies: SavedReplies,
    /// Notifications to staff, and their choices.
    pub notifications: Notifications,
    /// Forgotten passwords: requests and their links.
    pub password_resets: PasswordResets,
    /// Teams and routing.
    pub teams: Teams,
    /// The clock every time-dependent rule reads.
    pub clock: Arc<dyn Clock>,
}

impl Store {
    /// Connects, applies migrations and wires everything up; the outbox asks `mail` which
    /// email each event owes.
    pub async fn open(
        url: &str,
        options: &ConnectOptions,
        clock: Arc<dyn Clock>,
        mail: Arc<dyn MailPolicy>,
    ) -> Result<Self, StoreError> {
        let db = Database::connect(url, options).await?;
        db.migrate().await?;
        Self::from_database(db, clock, mail).await
    }

    /// Wires everything up over an already migrated database.
    pub async fn from_database(
        db: Database,
        clock: Arc<dyn Clock>,
        mail: Arc<dyn MailPolicy>,
    ) -> Result<Self, StoreError> {
        let vault = KeyVault::open(db.clone()).await?;
        let signal = EventSignal::default();
        let policies = SlaPolicies::new(db.clone(), clock.clone());
        policies.ensure_initial().await?;
        let teams = Teams::new(db.clone());
        teams.ensure_default(clock.now()).await?;
        let sla = Sla::new(db.clone(), policies.clone(), clock.clone());
        let complaints = Complaints::new(
            db.clone(),
            vault.clone(),
            clock.clone(),
            signal.clone(),
            sla.clone(),
        );
        let projections = Projections::new(
            db.clone(),
            default_projectors(policies.clone(), clock.clone(), mail),
        );
        let links = StatusLinks::new(instance_secret(&db, "status_links", 32).await?);
        let surveys = surveys::Surveys::new(
            db.clone(),
            vault.clone(),
            instance_secret(&db, "survey_links", 32).await?,
        );
        let password_resets = PasswordResets::new(
            db.clone(),
            instance_secret(&db, "password_resets", 32).await?,
        );
        Ok(Self {
            links,
            accounts: Accounts::new(db.clone()),
            forms: FormTokens::new(db.clone()),
            companies: Companies::new(db.clone()),
            key_accounts: key_accounts::KeyAccounts::new(db.clone()),
            categories: Categories::new(db.clone()),
            two_factor: TwoFactor::new(db.clone()),
            passkeys: Passkeys::new(db.clone()),
            root_causes: root_causes::RootCauses::new(db.clone()),
            outbox: Outbox::new(db.clone()),
            public_intake: PublicIntake::new(db.clone()),
            api_tokens: ApiTokens::new(db.clone()),
            idempotency: Idempotency::new(db.clone()),
            webhooks: Webhooks::new(db.clone()),
            imports: Imports::new(db.clone()),
            complaint_list: ComplaintList::new(db.clone()),
            sla,
            attachments: Attachments::new(db.clone(), vault.clone()),
            saved_replies: SavedReplies::new(db.clone()),
            notifications: Notifications::new(db.clone()),
            password_resets,
            teams,
            reports: Reports::new(db.clone()),
            surveys,
            recovery: recovery::Recovery::new(
                db.clone(),
                complaints.clone(),
                vault.clone(),
                clock.clone(),
                recovery::DEFAULT_LIMIT,
            ),
            inbound: Inbound::new(db.clone(), vault.clone()),
            sessions: StaffSessions::new(db.clone()),
            audit: AuditTrail::new(db.clone()),
            rate_limits: RateLimits::new(db.clone()),
            retention: Retention::new(
                db.clone(),
                complaints.clone(),
                vault.clone(),
                AuditTrail::new(db.clone()),
                clock.clone(),
            ),
            clock,
            db,
            vault,
            complaints,
            projections,
            signal,
        })
    }

    /// A secret this installation generated for itself (e.g. the session key), created on
    /// first use and shared by every instance on the same database.
    pub async fn instance_secret(&self, name: &str, length: usize) -> Result<Vec<u8>, StoreError> {
        instance_secret(&self.db, name, length).await
    }

    /// On PostgreSQL, forwards `NOTIFY redress_events` (sent after commands commit, from
    /// any instance) to the signal, reconnecting after failures. Returns at once on SQLite,
    /// whose only writer is this process.
    pub async fn forward_notifications(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let Database::Postgres(pool) = &self.db else {
            return;
        };
        while !*shutdown.borrow() {
            let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for event notifications; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        _ = shutdown.changed() => return,
                    }
                }
            };
            if let Err(error) = listener.listen("redress_events").await {
                tracing::warn!(%error, "LISTEN failed; retrying");
                continue;
            }
            loop {
                tokio::select! {
                    received = listener.recv() => match received {
                        Ok(_) => self.signal.notify(),
                        Err(error) => {
                            tracing::warn!(%error, "notification connection lost");
                            break;
                        }
                    },
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

/// A secret this installation generated for itself, created on first use and shared by every
/// instance on the same database.
async fn instance_secret(db: &Database, name: &str, length: usize) -> Result<Vec<u8>, StoreError> {
    use rand::RngCore;
    let mut fresh = vec![0u8; length];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    on_pool!(db, |pool| {
        sqlx::query(
        "INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
    )
    .bind(name)
    .bind(fresh)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    let stored: Vec<u8> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT value FROM instance_secrets WHERE name = $1"
    )
    .bind(name)
    .fetch_one(pool)
    .await)?;
    if stored.len() != length {
        return Err(StoreError::Corrupt(format!(
            "the secret {name} is not {length} bytes"
        )));
    }
    Ok(stored)
}

/// Every projector Redress runs (time-dependent rules read `clock`; the outbox asks `mail`).
pub fn default_projectors(
    policies: SlaPolicies,
    clock: Arc<dyn Clock>,
    mail: Arc<dyn MailPolicy>,
) -> Vec<Arc<dyn Projector>> {
    vec![
        Arc::new(ComplaintListProjector),
        Arc::new(OutboxProjector::new(clock.clone(), mail)),
        Arc::new(SlaProjector::new(policies.clone(), clock.clone())),
        Arc::new(ReportsProjector::new(policies)),
        Arc::new(NotificationsProjector::new(clock.clone())),
        Arc::new(recovery::RecoveryProjector::new(clock.clone())),
        Arc::new(WebhookProjector::new(clock)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_tells_every_cause_once_from_the_outermost() {
        let root = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let store = StoreError::Database(sqlx::Error::Io(root));
        // StoreError's own message repeats its cause: said once.
        assert_eq!(
            chain(&store),
            "database error: error communicating with database: connection refused"
        );
        let command = CommandError::Unavailable(store.into());
        assert_eq!(
            chain(&command),
            "The database is unavailable; nothing was saved: database error: \
             error communicating with database: connection refused"
        );
        assert_eq!(
            command.to_string(),
            "The database is unavailable; nothing was saved",
            "what a person is shown carries no internals"
        );
    }
}
