//! The events: the record of everything that happened to a complaint. They are the schema;
//! a change of shape gets a new `event_version` and an upcaster ([`crate::upcast`]).
//!
//! Every text an event carries is either for the customer or for staff only; which one is
//! decided in [`crate::audience`], and customer surfaces ask it.

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::points::PointDecision;
use crate::sla_clock::SlaClock;
use crate::values::{
    Actor, Channel, CustomerId, Direction, Language, Outcome, Priority, Reference, Sealed,
    StaffMember, TeamRef, Tier,
};

/// The version events are written with when their shape never changed.
pub use crate::upcast::EVENT_VERSION;

/// One thing that happened to a complaint: what changed, who did it and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintEvent {
    /// When it happened (by the clock the command was handled with).
    pub occurred_at: DateTime<Utc>,
    /// Who did it.
    pub by: Actor,
    /// What happened.
    pub change: ComplaintChange,
}

/// The customer's personal details, sealed with their key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedCustomer {
    /// Whose key seals the fields below.
    pub id: CustomerId,
    /// Their name.
    pub name: Sealed,
    /// Their email address; none for a caller who gave none (nothing is emailed to them:
    /// the staff's recorded calls keep them informed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Sealed>,
    /// Their phone number, if given.
    pub phone: Option<Sealed>,
}

/// A file kept from an email, a reply or a customer's upload (its bytes are stored apart,
/// sealed with the same key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedFile {
    /// Where it is stored.
    pub id: uuid::Uuid,
    /// Its file name.
    pub name: Sealed,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A file an email carried that was not kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusedFile {
    /// Its file name.
    pub name: Sealed,
    /// Its size in bytes.
    pub size: u64,
    /// Why it was not kept.
    pub reason: String,
}

/// What happened. Personal data is [`Sealed`]; timings, steps, outcomes and categories stay in
/// the clear so reports survive erasure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ComplaintChange {
    /// A complaint arrived (from any channel).
    ComplaintReceived {
        /// The reference customers quote.
        reference: Reference,
        /// Who complained.
        customer: SealedCustomer,
        /// The language to write to them in.
        language: Language,
        /// The company they belong to, if any.
        company: Option<String>,
        /// The company's tier when the complaint arrived (absent in events written before
        /// tiers existed, which were all standard).
        #[serde(default)]
        tier: Tier,
        /// How it reached us.
        channel: Channel,
        /// What it is about.
        category: String,
        /// A one-line summary (staff-facing, kept in the clear).
        summary: String,
        /// The customer's own words.
        description: Sealed,
        /// What the customer asks us to do, in their words.
        remedy_requested: Option<Sealed>,
        /// How urgent it is.
        priority: Priority,
    },
    /// Step 1: we said sincerely that we are sorry.
    ComplaintAcknowledged {
        /// The apology, as sent to the customer.
        apology: String,
    },
    /// What the customer told us on one contact: their own words when they wrote it (the
    /// status page, an email), else staff's record of a call or a visit. Every contact is
    /// kept. (Version 2 added `shared`.)
    CustomerStatementRecorded {
        /// The channel of the contact.
        channel: Channel,
        /// What they said.
        statement: Sealed,
        /// Whether staff chose to show their record to the customer, as "our summary of what
        /// you told us" (a customer's own words are always theirs to see).
        shared: bool,
    },
    /// Step 2: what we understood the customer to complain about, one short statement a
    /// point; a later record replaces the points before it.
    PointsOfComplaintRecorded {
        /// The points, in order (point 1 first).
        points: Vec<Sealed>,
        /// Whether they were sent to the customer ("here is what we understood; reply if we
        /// missed something").
        sent: bool,
    },
    /// Step 3: one fact established.
    FactRecorded {
        /// The fact.
        fact: String,
        /// Where it comes from (order system, call recording, ...), if noted.
        source: Option<String>,
    },
    /// Step 3 done: what the facts show.
    InvestigationConcluded {
        /// The findings.
        findings: String,
    },
    /// Step 4: what we will do, and by when.
    ActionCommitted {
        /// The action.
        action: String,
        /// The date it will be done by.
        due_on: NaiveDate,
    },
    /// Step 5: who is responsible (also every change of owner).
    OwnerAssigned {
        /// The new owner.
        owner: StaffMember,
        /// The owner before, on a reassignment.
        previous: Option<StaffMember>,
    },
    /// Step 6: the customer was told how things stand.
    ProgressUpdateSent {
        /// The update.
        message: String,
        /// When they will hear from us next.
        next_update_on: NaiveDate,
    },
    /// We asked the customer for something and wait for it (SLA clocks pause).
    WaitingOnCustomer {
        /// What we asked for.
        request: String,
    },
    /// The customer answered what we asked (SLA clocks resume).
    CustomerResponded {
        /// What they said.
        response: Sealed,
    },
    /// The decision, with reasons. (Version 2 added `decisions`.)
    ComplaintResolved {
        /// Upheld, partly upheld or not upheld (with points: what their decisions add up to).
        outcome: Outcome,
        /// The decision on each point of complaint, in the points' order (empty for
        /// complaints recorded before points existed).
        decisions: Vec<PointDecision>,
        /// Why.
        reasons: String,
        /// What we give or do to put it right, if anything.
        remedy: Option<String>,
        /// Money paid in redress, in minor units, if any (for regulators' returns).
        redress_paid_cents: Option<i64>,
    },
    /// Nothing more to do.
    ComplaintClosed,
    /// Opened again, and why.
    ComplaintReopened {
        /// Why.
        reason: String,
    },
    /// How the customer rated the handling.
    SatisfactionRecorded {
        /// 1 (very poor) to 5 (excellent).
        score: u8,
        /// Their comment.
        comment: Option<Sealed>,
        /// Their answer to "If you ran this company, what would you change?".
        would_change: Option<Sealed>,
    },
    /// The priority changed.
    PriorityChanged {
        /// Before.
        from: Priority,
        /// After.
        to: Priority,
    },
    /// The category changed.
    CategoryChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// Any communication with the customer, recorded (the method: record every one).
    CommunicationRecorded {
        /// Which way.
        direction: Direction,
        /// By what means.
        channel: Channel,
        /// What was said.
        summary: Sealed,
    },
    /// The customer's key was deleted: every sealed field of this complaint is gone for good.
    PersonalDataErased {
        /// Why (a data-subject request, retention).
        reason: String,
    },
    /// An email about the complaint arrived (its words are in the event before it: the
    /// complaint's receipt, the customer's statement or answer, or a communication).
    EmailReceived {
        /// The intake's id for the message (the original is kept under it).
        id: uuid::Uuid,
        /// Its subject.
        subject: Sealed,
        /// The sender's address, when it is not the customer's own.
        sender: Option<Sealed>,
        /// The files kept from it.
        attachments: Vec<AttachedFile>,
        /// The files it carried that were not kept, and why.
        refused: Vec<RefusedFile>,
    },
    /// Staff wrote to the customer in their own words (sent by email in the complaint's
    /// thread, and shown on their status page).
    ReplySent {
        /// The message.
        message: Sealed,
        /// The files sent with it.
        attachments: Vec<AttachedFile>,
        /// The saved reply it started from, if any.
        saved_reply: Option<uuid::Uuid>,
    },
    /// A note for staff only: never emailed, never on the customer's pages.
    InternalNoteAdded {
        /// The note.
        note: Sealed,
        /// The colleagues it mentions (`@name`), who are told.
        mentions: Vec<StaffMember>,
    },
    /// The customer added files (on the complaint form or their status page).
    FilesAttached {
        /// The files.
        files: Vec<AttachedFile>,
    },
    /// Why an SLA clock was breached ("apologise and find the cause of the failure").
    BreachCauseRecorded {
        /// Which clock.
        clock: SlaClock,
        /// Which run of it.
        cycle: u32,
        /// The cause.
        cause: String,
    },
    /// The complaint now belongs to this team (from its receipt, by the routing rules; later,
    /// moved by staff).
    TeamChanged {
        /// The team.
        team: TeamRef,
        /// The team before, on a move.
        previous: Option<TeamRef>,
        /// Why: the routing rule that chose it, or staff's reason for the move.
        reason: String,
    },
    /// A tag was put on the complaint (lower case, as [`crate::tags::normalize`] makes it).
    TagAdded {
        /// The tag.
        tag: String,
    },
    /// A tag was taken off.
    TagRemoved {
        /// The tag.
        tag: String,
    },
    /// This complaint was a duplicate of another: it closes as merged (no outcome of its own),
    /// and the customer is told it is handled with the other.
    MergedInto {
        /// The complaint it was merged into.
        survivor: Reference,
    },
    /// A duplicate was merged into this complaint (its messages, files and contact show here).
    DuplicateMerged {
        /// The duplicate.
        duplicate: Reference,
    },
    /// A related complaint, linked (recorded on both).
    ComplaintLinked {
        /// The other complaint.
        other: Reference,
    },
    /// The root causes of the complaint, as found (they replace any named before).
    RootCausesRecorded {
        /// The causes' codes, sorted, without repeats.
        causes: Vec<String>,
    },
}

impl ComplaintChange {
    /// The event's name, as stored in the `event_type` column.
    pub fn name(&self) -> &'static str {
        match self {
            ComplaintChange::ComplaintReceived { .. } => "ComplaintReceived",
            ComplaintChange::ComplaintAcknowledged { .. } => "ComplaintAcknowledged",
            ComplaintChange::CustomerStatementRecorded { .. } => "CustomerStatementRecorded",
            ComplaintChange::FactRecorded { .. } => "FactRecorded",
            ComplaintChange::InvestigationConcluded { .. } => "InvestigationConcluded",
            ComplaintChange::ActionCommitted { .. } => "ActionCommitted",
            ComplaintChange::OwnerAssigned { .. } => "OwnerAssigned",
            ComplaintChange::ProgressUpdateSent { .. } => "ProgressUpdateSent",
            ComplaintChange::WaitingOnCustomer { .. } => "WaitingOnCustomer",
            ComplaintChange::CustomerResponded { .. } => "CustomerResponded",
            ComplaintChange::ComplaintResolved { .. } => "ComplaintResolved",
            ComplaintChange::ComplaintClosed => "ComplaintClosed",
            ComplaintChange::ComplaintReopened { .. } => "ComplaintReopened",
            ComplaintChange::SatisfactionRecorded { .. } => "SatisfactionRecorded",
            ComplaintChange::PriorityChanged { .. } => "PriorityChanged",
            ComplaintChange::CategoryChanged { .. } => "CategoryChanged",
            ComplaintChange::CommunicationRecorded { .. } => "CommunicationRecorded",
            ComplaintChange::PersonalDataErased { .. } => "PersonalDataErased",
            ComplaintChange::EmailReceived { .. } => "EmailReceived",
            ComplaintChange::BreachCauseRecorded { .. } => "BreachCauseRecorded",
            ComplaintChange::PointsOfComplaintRecorded { .. } => "PointsOfComplaintRecorded",
            ComplaintChange::ReplySent { .. } => "ReplySent",
            ComplaintChange::InternalNoteAdded { .. } => "InternalNoteAdded",
            ComplaintChange::FilesAttached { .. } => "FilesAttached",
            ComplaintChange::TeamChanged { .. } => "TeamChanged",
            ComplaintChange::TagAdded { .. } => "TagAdded",
            ComplaintChange::TagRemoved { .. } => "TagRemoved",
            ComplaintChange::MergedInto { .. } => "MergedInto",
            ComplaintChange::DuplicateMerged { .. } => "DuplicateMerged",
            ComplaintChange::ComplaintLinked { .. } => "ComplaintLinked",
            ComplaintChange::RootCausesRecorded { .. } => "RootCausesRecorded",
        }
    }

    /// The version of this event's shape (see [`crate::upcast`] for how older ones are read).
    pub fn version(&self) -> &'static str {
        crate::upcast::current_version(self.name())
    }
}

impl DomainEvent for ComplaintEvent {
    fn event_type(&self) -> String {
        self.change.name().to_string()
    }

    fn event_version(&self) -> String {
        self.change.version().to_string()
    }
}
