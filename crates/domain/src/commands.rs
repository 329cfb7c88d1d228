//! The commands: what staff, customers and integrations ask a complaint to do. Values that
//! have a shape (email, language, reference) arrive parsed; texts are checked by the aggregate.

use chrono::NaiveDate;

use crate::sla::SlaClock;
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
    /// Their email address.
    pub email: CustomerEmail,
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

/// A file kept from an email.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentMeta {
    /// Where the intake stored it.
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
    /// Step 2: record what the customer said on a contact.
    RecordCustomerStatement {
        /// The channel of the contact.
        channel: Channel,
        /// What they said.
        statement: String,
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
        /// The decision.
        outcome: Outcome,
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
