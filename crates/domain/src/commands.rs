//! The commands: what staff, customers and integrations ask a complaint to do. Values that
//! have a shape (email, language, reference) arrive parsed; texts are checked by the aggregate.

use chrono::NaiveDate;

use crate::points::PointDecision;
use crate::sla::SlaClock;
use crate::teams::{Routing, TeamRef};
use crate::values::{
    Actor, Channel, CustomerEmail, Direction, Language, Outcome, Priority, Reference, StaffMember,
    Tier,
};

/// A command, with who gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintCommand {
    /// Who asks.
    pub by: Actor,
    /// What they ask.
    pub action: ComplaintAction,
}

impl ComplaintCommand {
    /// A command given by `by`.
    pub fn new(by: Actor, action: ComplaintAction) -> Self {
        Self { by, action }
    }
}

/// The customer as they introduce themselves, before sealing.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomer {
    /// Their name.
    pub name: String,
    /// Their email address; none for a caller who has none (recorded, sent nothing).
    pub email: Option<CustomerEmail>,
    /// Their phone number, if given.
    pub phone: Option<String>,
    /// The language to write to them in.
    pub language: Language,
}

/// A complaint as it arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComplaint {
    /// The reference it will be known by.
    pub reference: Reference,
    /// Who complains.
    pub customer: NewCustomer,
    /// The company they belong to, if any.
    pub company: Option<String>,
    /// The company's tier when the complaint arrives (the store looks it up).
    pub tier: Tier,
    /// How it reached us.
    pub channel: Channel,
    /// What it is about.
    pub category: String,
    /// A one-line summary.
    pub summary: String,
    /// The customer's own words.
    pub description: String,
    /// What they would like us to do.
    pub remedy_requested: Option<String>,
    /// How urgent it is.
    pub priority: Priority,
    /// Its team and, when the team assigns automatically, its owner (the store's routing
    /// fills it in; `None`: recorded without a team).
    pub routing: Option<Routing>,
}

/// An email as the intake read it (its words travel beside it in the command).
#[derive(Debug, Clone, PartialEq)]
pub struct EmailDetails {
    /// The intake's id for the message: the same on every attempt to record it, so a
    /// complaint records one message once.
    pub id: uuid::Uuid,
    /// Its subject.
    pub subject: String,
    /// The files kept from it (stored by the intake under their ids).
    pub attachments: Vec<AttachmentMeta>,
    /// The files it carried that were not kept, and why.
    pub refused: Vec<RefusedAttachment>,
}

/// A file kept from an email, or sent with a reply or an upload.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentMeta {
    /// Where it is stored.
    pub id: uuid::Uuid,
    /// Its file name, as the sender gave it.
    pub name: String,
    /// Its media type, e.g. `application/pdf`.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A file an email carried that was not kept.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedAttachment {
    /// Its file name, as the sender gave it.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Why it was not kept, in words for staff ("larger than the 10 MB limit").
    pub reason: String,
}

/// What can be asked of a complaint.
#[derive(Debug, Clone, PartialEq)]
pub enum ComplaintAction {
    /// Receive a new complaint.
    Receive(Box<NewComplaint>),
    /// Step 1: apologise sincerely.
    Acknowledge {
        /// The apology.
        apology: String,
    },
    /// Record what the customer said on a contact (their own words when they give it, else
    /// staff's record of a call or visit).
    RecordCustomerStatement {
        /// The channel of the contact.
        channel: Channel,
        /// What they said.
        statement: String,
        /// Staff's record only: show it to the customer as "our summary of what you told us".
        shared: bool,
    },
    /// Step 2: record the points of complaint (replacing any recorded before).
    RecordPoints {
        /// One short statement a point.
        points: Vec<String>,
        /// Send them to the customer ("here is what we understood").
        send: bool,
    },
    /// Step 3: record an established fact.
    RecordFact {
        /// The fact.
        fact: String,
        /// Where it comes from.
        source: Option<String>,
    },
    /// Step 3: conclude the investigation.
    ConcludeInvestigation {
        /// What the facts show.
        findings: String,
    },
    /// Step 4: commit to an action by a date.
    CommitToAction {
        /// The action.
        action: String,
        /// Done by.
        due_on: NaiveDate,
        /// The last day the resolution target allows, when it is still ahead (the store fills
        /// it in from the complaint's SLA clocks; `None`: no limit).
        resolve_by: Option<NaiveDate>,
    },
    /// Step 5: name (or change) the owner.
    AssignOwner {
        /// The person responsible.
        owner: StaffMember,
    },
    /// Step 6: tell the customer how things stand.
    SendProgressUpdate {
        /// The update.
        message: String,
        /// When they will hear from us next.
        next_update_on: NaiveDate,
        /// As for [`ComplaintAction::CommitToAction`].
        resolve_by: Option<NaiveDate>,
    },
    /// Write to the customer in our own words (emailed in the complaint's thread).
    SendReply {
        /// The message.
        message: String,
        /// Files to send with it (stored by the caller under their ids).
        attachments: Vec<AttachmentMeta>,
        /// The saved reply it started from.
        saved_reply: Option<uuid::Uuid>,
    },
    /// A note for staff only.
    AddInternalNote {
        /// The note.
        note: String,
        /// The colleagues it mentions (the caller resolves each `@name`).
        mentions: Vec<StaffMember>,
    },
    /// The customer adds files (stored by the caller under their ids).
    AttachFiles {
        /// The files.
        files: Vec<AttachmentMeta>,
    },
    /// The customer adds information on their status page: words, files or both. The
    /// complaint decides what the words are, as for an email: their answer while we wait on
    /// them, what they said while it is open, an inbound communication once decided.
    AddInformation {
        /// What they wrote (blank: files only).
        text: Option<String>,
        /// Their files (stored by the caller under their ids).
        files: Vec<AttachmentMeta>,
        /// How it reached us.
        channel: Channel,
    },
    /// Receive a new complaint with the files the customer sent with it (the public form).
    ReceiveWithFiles {
        /// The complaint.
        new: Box<NewComplaint>,
        /// Its files (stored by the caller under their ids).
        files: Vec<AttachmentMeta>,
    },
    /// Ask the customer for something and wait for it.
    WaitOnCustomer {
        /// What we ask for.
        request: String,
    },
    /// The customer answered.
    RecordCustomerResponse {
        /// What they said.
        response: String,
    },
    /// Decide the complaint.
    Resolve {
        /// The decision: given for complaints without points of complaint (recorded before
        /// points existed); with points it follows from `decisions` and may be left out.
        outcome: Option<Outcome>,
        /// The decision on each point of complaint, one per point.
        decisions: Vec<PointDecision>,
        /// Why.
        reasons: String,
        /// What we do to put it right.
        remedy: Option<String>,
        /// Money paid, in minor units.
        redress_paid_cents: Option<i64>,
    },
    /// Close a resolved complaint.
    Close,
    /// Reopen a resolved or closed complaint.
    Reopen {
        /// Why.
        reason: String,
    },
    /// Record the customer's rating of the handling.
    RecordSatisfaction {
        /// 1 to 5.
        score: u8,
        /// Their comment.
        comment: Option<String>,
        /// "If you ran this company, what would you change?"
        would_change: Option<String>,
    },
    /// Change the priority.
    ChangePriority {
        /// The new priority.
        priority: Priority,
    },
    /// Change the category.
    ChangeCategory {
        /// The new category.
        category: String,
    },
    /// Record a communication with the customer.
    RecordCommunication {
        /// Which way.
        direction: Direction,
        /// By what means.
        channel: Channel,
        /// What was said.
        summary: String,
    },
    /// Record that the customer's key was deleted.
    ErasePersonalData {
        /// Why.
        reason: String,
    },
    /// Receive a new complaint that arrived by email: the complaint, and the email it came in
    /// (its subject and files), recorded together.
    ReceiveEmail {
        /// The complaint (its description is the email's words).
        new: Box<NewComplaint>,
        /// The email.
        email: EmailDetails,
    },
    /// Record an email about an existing complaint. The complaint decides what it is: the
    /// customer's answer while we wait on them, what the customer said (step 2) while the
    /// complaint is open, and otherwise an inbound communication; on a closed complaint,
    /// `reopen` reopens it first (a resolved one not yet closed is never reopened by mail).
    /// An email from another address than the customer's is always recorded as a
    /// communication, naming the sender.
    RecordEmail {
        /// The email.
        email: EmailDetails,
        /// Its words, with quoted earlier mail and signatures trimmed.
        text: String,
        /// The sender's address when it is not the customer's own.
        sender: Option<String>,
        /// Whether an email reopens a closed complaint (else it is attached; a resolved one
        /// not yet closed always keeps it as a communication).
        reopen: bool,
    },
    /// Move the complaint to another team (the caller resolves the team), saying why.
    ChangeTeam {
        /// The team.
        team: TeamRef,
        /// Why.
        reason: String,
    },
    /// Put a tag on the complaint.
    AddTag {
        /// The tag, as typed (made canonical by [`crate::tags::normalize`]).
        tag: String,
    },
    /// Take a tag off the complaint.
    RemoveTag {
        /// The tag.
        tag: String,
    },
    /// This complaint is a duplicate of `survivor`: close it as merged into that one. (The
    /// store says whether the survivor is still open, and records the merge on it too.)
    MergeInto {
        /// The complaint that carries on.
        survivor: Reference,
        /// Whether the survivor is open (not closed): only an open complaint takes in a
        /// duplicate. The store fills it in.
        survivor_open: bool,
    },
    /// Record on the surviving complaint that a duplicate was merged into it (the store does,
    /// after the duplicate's [`ComplaintAction::MergeInto`]).
    TakeInDuplicate {
        /// The duplicate.
        duplicate: Reference,
    },
    /// Link a related complaint (the store records the link on the other one too).
    Link {
        /// The other complaint.
        other: Reference,
    },
    /// Name the root causes of a resolved complaint (codes of the list admins keep; naming
    /// them again replaces them, as the analysis goes on).
    RecordRootCauses {
        /// The causes' codes, one or more.
        causes: Vec<String>,
    },
    /// Record why an SLA clock was breached (the store checks the breach exists).
    RecordBreachCause {
        /// Which clock.
        clock: SlaClock,
        /// Which run of it.
        cycle: u32,
        /// The cause, as found.
        cause: String,
    },
}
