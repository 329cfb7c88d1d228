//! The `Complaint` aggregate: decides which commands are allowed now and what they record.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::commands::{
    AttachmentMeta, ComplaintAction, ComplaintCommand, EmailDetails, NewComplaint,
};
use crate::error::ComplaintError;
use crate::events::{AttachedFile, ComplaintChange, ComplaintEvent, RefusedFile, SealedCustomer};
use crate::points::{MAX_POINT, MAX_POINTS, PointDecision, overall_outcome};
use crate::services::{ComplaintServices, VaultError};
use crate::teams::{Routing, TeamRef};
use crate::values::{
    Channel, CustomerId, Direction, Outcome, Priority, Reference, StaffMember, Tier,
};

/// Longest one-line summary or category.
pub const MAX_LINE: usize = 200;
/// Longest name or company.
pub const MAX_NAME: usize = 200;
/// Longest free text (the customer's words, facts, findings, updates).
pub const MAX_TEXT: usize = 20_000;
/// Most files one reply or upload carries.
pub const MAX_FILES: usize = 20;

/// Where a complaint stands in the six-step method: the next thing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Step 1: apologise.
    Acknowledge,
    /// Step 2: listen, and record the points of complaint.
    Listen,
    /// Step 3: establish the facts.
    EstablishFacts,
    /// Step 4: commit to an action.
    CommitToAction,
    /// Step 5: name the owner.
    NameOwner,
    /// Step 6: keep the customer informed until resolved.
    KeepInformed,
    /// Decided; waiting to be closed.
    Resolved,
    /// Done.
    Closed,
}

impl Step {
    /// Every step, in the order of the method.
    pub const ALL: [Step; 8] = [
        Step::Acknowledge,
        Step::Listen,
        Step::EstablishFacts,
        Step::CommitToAction,
        Step::NameOwner,
        Step::KeepInformed,
        Step::Resolved,
        Step::Closed,
    ];

    /// The step with this code.
    pub fn from_code(code: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The stable code used in URLs and columns.
    pub fn code(self) -> &'static str {
        match self {
            Step::Acknowledge => "acknowledge",
            Step::Listen => "listen",
            Step::EstablishFacts => "establish_facts",
            Step::CommitToAction => "commit_to_action",
            Step::NameOwner => "name_owner",
            Step::KeepInformed => "keep_informed",
            Step::Resolved => "resolved",
            Step::Closed => "closed",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Step::Acknowledge => "1 · Acknowledge",
            Step::Listen => "2 · Listen",
            Step::EstablishFacts => "3 · Establish the facts",
            Step::CommitToAction => "4 · Commit to action",
            Step::NameOwner => "5 · Name the owner",
            Step::KeepInformed => "6 · Keep informed",
            Step::Resolved => "Resolved",
            Step::Closed => "Closed",
        }
    }
}

/// Which steps are done: enough to say where a complaint stands. Projections keep these flags
/// in their rows and ask [`Progress::step`], so the list and the aggregate always agree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Step 1 done.
    pub acknowledged: bool,
    /// Step 2 done: the points of complaint are recorded.
    #[serde(default)]
    pub listened: bool,
    /// Step 3 done.
    pub investigation_concluded: bool,
    /// Step 4 done.
    pub action_committed: bool,
    /// Step 5 done.
    pub owner_named: bool,
    /// An outcome was decided.
    pub resolved: bool,
    /// Closed.
    pub closed: bool,
}

impl Progress {
    /// The next step.
    pub fn step(self) -> Step {
        if self.closed {
            Step::Closed
        } else if self.resolved {
            Step::Resolved
        } else if !self.acknowledged {
            Step::Acknowledge
        } else if !self.listened && !self.investigation_concluded {
            // A complaint concluded before points existed has passed step 2 its own way.
            Step::Listen
        } else if !self.investigation_concluded {
            Step::EstablishFacts
        } else if !self.action_committed {
            Step::CommitToAction
        } else if !self.owner_named {
            Step::NameOwner
        } else {
            Step::KeepInformed
        }
    }
}

/// The status shown in lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being worked.
    Open,
    /// Waiting on the customer (SLA clocks paused).
    WaitingOnCustomer,
    /// Decided, not yet closed.
    Resolved,
    /// Done.
    Closed,
}

impl Status {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::WaitingOnCustomer => "waiting_on_customer",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }
}

/// What an agent can ask of a received complaint: one kind per [`ComplaintAction`] but
/// receiving. The staff UI offers the kinds [`Complaint::allowed_actions`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Step 1: apologise.
    Acknowledge,
    /// Record what the customer said.
    RecordCustomerStatement,
    /// Step 2: record the points of complaint.
    RecordPoints,
    /// Step 3: record a fact.
    RecordFact,
    /// Step 3: conclude the investigation.
    ConcludeInvestigation,
    /// Step 4: commit to an action.
    CommitToAction,
    /// Step 5: name (or change) the owner.
    AssignOwner,
    /// Step 6: send a progress update.
    SendProgressUpdate,
    /// Ask the customer for something and wait.
    WaitOnCustomer,
    /// Record the customer's answer.
    RecordCustomerResponse,
    /// Decide the complaint.
    Resolve,
    /// Close a resolved complaint.
    Close,
    /// Reopen a resolved or closed complaint.
    Reopen,
    /// Record the customer's rating of the handling.
    RecordSatisfaction,
    /// Change the priority.
    ChangePriority,
    /// Change the category.
    ChangeCategory,
    /// Record a communication with the customer.
    RecordCommunication,
    /// Record that the customer's personal data was erased.
    ErasePersonalData,
    /// Write to the customer.
    SendReply,
    /// A note for staff only.
    AddInternalNote,
    /// The customer adds files.
    AttachFiles,
    /// Move the complaint to another team.
    ChangeTeam,
    /// Put a tag on the complaint.
    AddTag,
    /// Take a tag off the complaint.
    RemoveTag,
    /// Close it as a duplicate of another complaint.
    MergeInto,
    /// Link a related complaint.
    Link,
    /// Name the root causes of a resolved complaint.
    RecordRootCauses,
}

impl ActionKind {
    /// Every kind, in the order of [`ComplaintAction`] (and of the method).
    pub const ALL: [ActionKind; 27] = [
        ActionKind::Acknowledge,
        ActionKind::RecordCustomerStatement,
        ActionKind::RecordPoints,
        ActionKind::RecordFact,
        ActionKind::ConcludeInvestigation,
        ActionKind::CommitToAction,
        ActionKind::AssignOwner,
        ActionKind::SendProgressUpdate,
        ActionKind::WaitOnCustomer,
        ActionKind::RecordCustomerResponse,
        ActionKind::Resolve,
        ActionKind::Close,
        ActionKind::Reopen,
        ActionKind::RecordSatisfaction,
        ActionKind::ChangePriority,
        ActionKind::ChangeCategory,
        ActionKind::RecordCommunication,
        ActionKind::ErasePersonalData,
        ActionKind::SendReply,
        ActionKind::AddInternalNote,
        ActionKind::AttachFiles,
        ActionKind::ChangeTeam,
        ActionKind::AddTag,
        ActionKind::RemoveTag,
        ActionKind::MergeInto,
        ActionKind::Link,
        ActionKind::RecordRootCauses,
    ];

    /// The kind with this code.
    pub fn from_code(code: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The stable code used in URLs (`/complaints/RDR-…/acknowledge`).
    pub fn code(self) -> &'static str {
        match self {
            ActionKind::Acknowledge => "acknowledge",
            ActionKind::RecordCustomerStatement => "record_customer_statement",
            ActionKind::RecordPoints => "record_points",
            ActionKind::RecordFact => "record_fact",
            ActionKind::ConcludeInvestigation => "conclude_investigation",
            ActionKind::CommitToAction => "commit_to_action",
            ActionKind::AssignOwner => "assign_owner",
            ActionKind::SendProgressUpdate => "send_progress_update",
            ActionKind::WaitOnCustomer => "wait_on_customer",
            ActionKind::RecordCustomerResponse => "record_customer_response",
            ActionKind::Resolve => "resolve",
            ActionKind::Close => "close",
            ActionKind::Reopen => "reopen",
            ActionKind::RecordSatisfaction => "record_satisfaction",
            ActionKind::ChangePriority => "change_priority",
            ActionKind::ChangeCategory => "change_category",
            ActionKind::RecordCommunication => "record_communication",
            ActionKind::ErasePersonalData => "erase_personal_data",
            ActionKind::SendReply => "send_reply",
            ActionKind::AddInternalNote => "add_internal_note",
            ActionKind::AttachFiles => "attach_files",
            ActionKind::ChangeTeam => "change_team",
            ActionKind::AddTag => "add_tag",
            ActionKind::RemoveTag => "remove_tag",
            ActionKind::MergeInto => "merge_into",
            ActionKind::Link => "link",
            ActionKind::RecordRootCauses => "record_root_causes",
        }
    }

    /// The button text for agents.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Acknowledge => "Acknowledge with an apology",
            ActionKind::RecordCustomerStatement => "Record what the customer said",
            ActionKind::RecordPoints => "Record the points of complaint",
            ActionKind::RecordFact => "Record a fact",
            ActionKind::ConcludeInvestigation => "Conclude the investigation",
            ActionKind::CommitToAction => "Commit to an action",
            ActionKind::AssignOwner => "Name the owner",
            ActionKind::SendProgressUpdate => "Send a progress update",
            ActionKind::WaitOnCustomer => "Ask the customer for something",
            ActionKind::RecordCustomerResponse => "Record the customer's response",
            ActionKind::Resolve => "Resolve with an outcome",
            ActionKind::Close => "Close",
            ActionKind::Reopen => "Reopen",
            ActionKind::RecordSatisfaction => "Record the customer's satisfaction",
            ActionKind::ChangePriority => "Change the priority",
            ActionKind::ChangeCategory => "Change the category",
            ActionKind::RecordCommunication => "Record a communication",
            ActionKind::ErasePersonalData => "Erase the customer's personal data",
            ActionKind::SendReply => "Reply to the customer",
            ActionKind::AddInternalNote => "Add an internal note",
            ActionKind::AttachFiles => "Add files",
            ActionKind::ChangeTeam => "Move to another team",
            ActionKind::AddTag => "Add a tag",
            ActionKind::RemoveTag => "Remove a tag",
            ActionKind::MergeInto => "Merge into another complaint (a duplicate)",
            ActionKind::Link => "Link a related complaint",
            ActionKind::RecordRootCauses => "Record the root causes",
        }
    }
}

impl ComplaintAction {
    /// Its kind; `None` for receiving, which is not asked of an existing complaint.
    pub fn kind(&self) -> Option<ActionKind> {
        Some(match self {
            ComplaintAction::Receive(_)
            | ComplaintAction::ReceiveEmail { .. }
            | ComplaintAction::ReceiveWithFiles { .. }
            | ComplaintAction::RecordEmail { .. }
            | ComplaintAction::AddInformation { .. }
            | ComplaintAction::RecordBreachCause { .. }
            | ComplaintAction::TakeInDuplicate { .. } => {
                return None;
            }
            ComplaintAction::Acknowledge { .. } => ActionKind::Acknowledge,
            ComplaintAction::RecordCustomerStatement { .. } => ActionKind::RecordCustomerStatement,
            ComplaintAction::RecordPoints { .. } => ActionKind::RecordPoints,
            ComplaintAction::RecordFact { .. } => ActionKind::RecordFact,
            ComplaintAction::ConcludeInvestigation { .. } => ActionKind::ConcludeInvestigation,
            ComplaintAction::CommitToAction { .. } => ActionKind::CommitToAction,
            ComplaintAction::AssignOwner { .. } => ActionKind::AssignOwner,
            ComplaintAction::SendProgressUpdate { .. } => ActionKind::SendProgressUpdate,
            ComplaintAction::WaitOnCustomer { .. } => ActionKind::WaitOnCustomer,
            ComplaintAction::RecordCustomerResponse { .. } => ActionKind::RecordCustomerResponse,
            ComplaintAction::Resolve { .. } => ActionKind::Resolve,
            ComplaintAction::Close => ActionKind::Close,
            ComplaintAction::Reopen { .. } => ActionKind::Reopen,
            ComplaintAction::RecordSatisfaction { .. } => ActionKind::RecordSatisfaction,
            ComplaintAction::ChangePriority { .. } => ActionKind::ChangePriority,
            ComplaintAction::ChangeCategory { .. } => ActionKind::ChangeCategory,
            ComplaintAction::RecordCommunication { .. } => ActionKind::RecordCommunication,
            ComplaintAction::ErasePersonalData { .. } => ActionKind::ErasePersonalData,
            ComplaintAction::SendReply { .. } => ActionKind::SendReply,
            ComplaintAction::AddInternalNote { .. } => ActionKind::AddInternalNote,
            ComplaintAction::AttachFiles { .. } => ActionKind::AttachFiles,
            ComplaintAction::ChangeTeam { .. } => ActionKind::ChangeTeam,
            ComplaintAction::AddTag { .. } => ActionKind::AddTag,
            ComplaintAction::RemoveTag { .. } => ActionKind::RemoveTag,
            ComplaintAction::MergeInto { .. } => ActionKind::MergeInto,
            ComplaintAction::Link { .. } => ActionKind::Link,
            ComplaintAction::RecordRootCauses { .. } => ActionKind::RecordRootCauses,
        })
    }
}

/// What we committed to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// The action.
    pub action: String,
    /// By when.
    pub due_on: NaiveDate,
}

/// A complaint, as far as deciding commands needs to know it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Complaint {
    reference: Option<Reference>,
    customer: Option<CustomerId>,
    received_at: Option<DateTime<Utc>>,
    priority: Option<Priority>,
    tier: Tier,
    category: String,
    progress: Progress,
    facts_since_opened: u32,
    /// How many points of complaint the latest record holds.
    #[serde(default)]
    points: u32,
    commitment: Option<Commitment>,
    owner: Option<StaffMember>,
    waiting_on_customer: bool,
    outcome: Option<Outcome>,
    satisfaction_recorded: bool,
    personal_data_erased: bool,
    /// The emails recorded (a retried intake records each once).
    #[serde(default)]
    emails: BTreeSet<Uuid>,
    /// The team it belongs to (none for complaints received before teams existed).
    #[serde(default)]
    team: Option<TeamRef>,
    /// Its tags.
    #[serde(default)]
    tags: BTreeSet<String>,
    /// The complaint it was merged into, as a duplicate.
    #[serde(default)]
    merged_into: Option<Reference>,
    /// The duplicates merged into it.
    #[serde(default)]
    duplicates: BTreeSet<String>,
    /// The related complaints linked with it.
    #[serde(default)]
    links: BTreeSet<String>,
}

impl Complaint {
    /// The complaint its events make, applied in order: what a page or the API shows of it.
    /// Events of the complaint only, as `store::Complaints::events_of` returns them.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a ComplaintEvent>) -> Self {
        let mut complaint = Self::default();
        for event in events {
            complaint.apply(event.clone());
        }
        complaint
    }

    /// The complaint as it stood at `at`: only its events up to that moment applied (time
    /// travel). `None` when it had not been received yet.
    pub fn as_of(events: &[ComplaintEvent], at: DateTime<Utc>) -> Option<Self> {
        let complaint = Self::from_events(events.iter().take_while(|e| e.occurred_at <= at));
        complaint.reference.is_some().then_some(complaint)
    }

    /// Whether the email with this intake id has been recorded on it.
    pub fn has_email(&self, id: Uuid) -> bool {
        self.emails.contains(&id)
    }

    /// Its reference, once received.
    pub fn reference(&self) -> Option<&Reference> {
        self.reference.as_ref()
    }

    /// The customer whose key seals its personal data.
    pub fn customer(&self) -> Option<CustomerId> {
        self.customer
    }

    /// Which steps are done.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The current status.
    pub fn status(&self) -> Status {
        if self.progress.closed {
            Status::Closed
        } else if self.progress.resolved {
            Status::Resolved
        } else if self.waiting_on_customer {
            Status::WaitingOnCustomer
        } else {
            Status::Open
        }
    }

    /// The owner, if named.
    pub fn owner(&self) -> Option<&StaffMember> {
        self.owner.as_ref()
    }

    /// How many points of complaint it has (0 until step 2).
    pub fn points(&self) -> u32 {
        self.points
    }

    /// The current commitment, if any.
    pub fn commitment(&self) -> Option<&Commitment> {
        self.commitment.as_ref()
    }

    /// The outcome, once resolved.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Whether the customer's personal data has been erased.
    pub fn personal_data_erased(&self) -> bool {
        self.personal_data_erased
    }

    /// How urgent it is (normal until received).
    pub fn priority(&self) -> Priority {
        self.priority.unwrap_or(Priority::Normal)
    }

    /// The company's tier when the complaint arrived.
    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// What it is about (empty until received).
    /// The team it belongs to.
    pub fn team(&self) -> Option<&TeamRef> {
        self.team.as_ref()
    }

    /// Its tags, in order.
    pub fn tags(&self) -> &BTreeSet<String> {
        &self.tags
    }

    /// The complaint it was merged into, if it was a duplicate.
    pub fn merged_into(&self) -> Option<&Reference> {
        self.merged_into.as_ref()
    }

    /// The references of the duplicates merged into it.
    pub fn duplicates(&self) -> &BTreeSet<String> {
        &self.duplicates
    }

    /// The references of the complaints linked with it.
    pub fn links(&self) -> &BTreeSet<String> {
        &self.links
    }

    /// Its category.
    pub fn category(&self) -> &str {
        &self.category
    }

    fn require_received(&self) -> Result<(), ComplaintError> {
        if self.reference.is_none() {
            Err(ComplaintError::UnknownComplaint)
        } else {
            Ok(())
        }
    }

    fn require_open(&self, action: &'static str) -> Result<(), ComplaintError> {
        if self.progress.closed {
            Err(ComplaintError::Closed { action })
        } else {
            Ok(())
        }
    }

    fn require_unresolved(&self, action: &'static str) -> Result<(), ComplaintError> {
        self.require_open(action)?;
        if self.progress.resolved {
            Err(ComplaintError::AlreadyResolved { action })
        } else {
            Ok(())
        }
    }

    fn require_acknowledged(&self, action: &'static str) -> Result<(), ComplaintError> {
        if self.progress.acknowledged {
            Ok(())
        } else {
            Err(ComplaintError::NotAcknowledged { action })
        }
    }

    fn require_personal_data(&self) -> Result<CustomerId, ComplaintError> {
        match self.customer {
            Some(customer) if !self.personal_data_erased => Ok(customer),
            _ => Err(ComplaintError::PersonalDataErased),
        }
    }

    /// The actions this complaint would accept now, given valid inputs (non-empty texts,
    /// dates today or later, a different owner, priority or category, a score from 1 to 5),
    /// in the order of [`ActionKind::ALL`]. Empty until the complaint is received.
    pub fn allowed_actions(&self) -> Vec<ActionKind> {
        ActionKind::ALL
            .into_iter()
            .filter(|&kind| self.check_allowed(kind).is_ok())
            .collect()
    }

    /// Whether the complaint, as it stands, allows this kind of action, or why not. These are
    /// the checks on the complaint's state; [`Aggregate::handle`] makes them first, then checks
    /// the command's own values, so [`Complaint::allowed_actions`] and handling cannot disagree.
    pub fn check_allowed(&self, kind: ActionKind) -> Result<(), ComplaintError> {
        self.require_received()?;
        match kind {
            ActionKind::Acknowledge => {
                self.require_open("acknowledge it")?;
                if self.progress.acknowledged {
                    return Err(ComplaintError::AlreadyAcknowledged);
                }
            }
            ActionKind::RecordCustomerStatement => {
                self.require_unresolved("record what the customer said")?;
                self.require_personal_data()?;
            }
            ActionKind::RecordPoints => {
                self.require_unresolved("record the points of complaint")?;
                self.require_personal_data()?;
            }
            ActionKind::RecordFact => {
                self.require_unresolved("record a fact")?;
                self.require_acknowledged("record facts")?;
                if self.progress.investigation_concluded {
                    return Err(ComplaintError::InvestigationAlreadyConcluded);
                }
            }
            ActionKind::ConcludeInvestigation => {
                self.require_unresolved("conclude the investigation")?;
                self.require_acknowledged("conclude the investigation")?;
                if self.progress.investigation_concluded {
                    return Err(ComplaintError::InvestigationAlreadyConcluded);
                }
                if !self.progress.listened {
                    return Err(ComplaintError::NoPoints);
                }
                if self.facts_since_opened == 0 {
                    return Err(ComplaintError::NoFactsRecorded);
                }
            }
            ActionKind::CommitToAction => {
                self.require_unresolved("commit to an action")?;
                self.require_acknowledged("commit to an action")?;
                if !self.progress.investigation_concluded {
                    return Err(ComplaintError::InvestigationNotConcluded);
                }
            }
            // Naming the current owner again is refused by `decide`: it depends on the input.
            ActionKind::AssignOwner => self.require_unresolved("change the owner")?,
            ActionKind::SendProgressUpdate => {
                self.require_unresolved("send a progress update")?;
                self.require_acknowledged("send a progress update")?;
            }
            ActionKind::WaitOnCustomer => {
                self.require_unresolved("wait on the customer")?;
                self.require_acknowledged("ask the customer for something")?;
                if self.waiting_on_customer {
                    return Err(ComplaintError::AlreadyWaiting);
                }
            }
            ActionKind::RecordCustomerResponse => {
                // Resolving ends the wait, so a resolved complaint is "not waiting".
                self.require_open("record the customer's response")?;
                if !self.waiting_on_customer {
                    return Err(ComplaintError::NotWaiting);
                }
                self.require_personal_data()?;
            }
            ActionKind::Resolve => {
                self.require_unresolved("resolve it again")?;
                self.require_acknowledged("resolve it")?;
                if !self.progress.investigation_concluded {
                    return Err(ComplaintError::InvestigationNotConcluded);
                }
                if self.commitment.is_none() {
                    return Err(ComplaintError::NoCommitment);
                }
                if self.owner.is_none() {
                    return Err(ComplaintError::NoOwner);
                }
            }
            ActionKind::Close => {
                self.require_open("close it again")?;
                if !self.progress.resolved {
                    return Err(ComplaintError::NotResolved);
                }
            }
            ActionKind::Reopen => {
                if let Some(survivor) = &self.merged_into {
                    return Err(ComplaintError::Merged {
                        survivor: survivor.to_string(),
                    });
                }
                if !self.progress.resolved && !self.progress.closed {
                    return Err(ComplaintError::NotReopenable);
                }
            }
            // A score alone needs no personal data, so erasure does not rule satisfaction out;
            // comments after erasure are refused by `decide`.
            ActionKind::RecordSatisfaction => {
                if !self.progress.resolved {
                    return Err(ComplaintError::SatisfactionTooEarly);
                }
                if self.satisfaction_recorded {
                    return Err(ComplaintError::SatisfactionAlreadyRecorded);
                }
            }
            // Setting the current value again is refused by `decide`: it depends on the input.
            ActionKind::ChangePriority => self.require_unresolved("change the priority")?,
            ActionKind::ChangeCategory => self.require_unresolved("change the category")?,
            ActionKind::RecordCommunication => {
                self.require_personal_data()?;
            }
            ActionKind::ErasePersonalData => {
                if self.personal_data_erased {
                    return Err(ComplaintError::AlreadyErased);
                }
            }
            ActionKind::SendReply => {
                self.require_open("reply to the customer")?;
                self.require_personal_data()?;
            }
            // Staff's own notes: any time, closed or not.
            ActionKind::AddInternalNote => {
                self.require_personal_data()?;
            }
            ActionKind::AttachFiles => {
                self.require_open("add files")?;
                self.require_personal_data()?;
            }
            ActionKind::ChangeTeam => self.require_open("move it to another team")?,
            // Tags help find and count complaints: any time, closed or not.
            ActionKind::AddTag => {}
            ActionKind::RemoveTag => {
                if self.tags.is_empty() {
                    return Err(ComplaintError::NoTags);
                }
            }
            ActionKind::MergeInto => self.require_open("merge it into another complaint")?,
            // Related complaints: any time.
            ActionKind::Link => {}
            // Why it happened: once it is decided (and again, as the analysis goes on), but
            // not on a duplicate merged into another (whose causes are the other's).
            ActionKind::RecordRootCauses => {
                if !self.progress.resolved || self.merged_into.is_some() {
                    return Err(ComplaintError::RootCausesBeforeResolution);
                }
            }
        }
        Ok(())
    }

    /// Runs a command in memory: decides it, applies its events to this complaint and returns
    /// them, stamped with the services' clock. Nothing is written: an import uses it to build
    /// a complaint's history with the same rules as every command, then writes it in bulk.
    pub async fn run(
        &mut self,
        command: ComplaintCommand,
        services: &ComplaintServices,
    ) -> Result<Vec<ComplaintEvent>, ComplaintError> {
        let changes = self.decide(command.action, services).await?;
        let occurred_at = services.clock.now();
        let events: Vec<ComplaintEvent> = changes
            .into_iter()
            .map(|change| ComplaintEvent {
                occurred_at,
                by: command.by.clone(),
                change,
            })
            .collect();
        for event in &events {
            <Self as Aggregate>::apply(self, event.clone());
        }
        Ok(events)
    }

    /// Decides a command: the changes it makes (one, but for emails), or why it is refused.
    /// The complaint's state is checked first, by [`Complaint::check_allowed`]; the arms below
    /// check only the command's own values. Every change is decided before any is written, so
    /// a refused command writes nothing.
    async fn decide(
        &self,
        action: ComplaintAction,
        services: &ComplaintServices,
    ) -> Result<Vec<ComplaintChange>, ComplaintError> {
        let today = services.clock.now().date_naive();
        if let Some(kind) = action.kind() {
            self.check_allowed(kind)?;
        }
        let change = match action {
            ComplaintAction::ReceiveEmail { new, email } => {
                return self.receive_email(*new, email, services).await;
            }
            ComplaintAction::RecordEmail {
                email,
                text,
                sender,
                reopen,
            } => {
                return self
                    .record_email(email, text, sender, reopen, services)
                    .await;
            }
            ComplaintAction::ReceiveWithFiles { mut new, files } => {
                let routing = new.routing.take().map(Routing::changes).unwrap_or_default();
                let received = self.receive(*new, services).await?;
                let ComplaintChange::ComplaintReceived { customer, .. } = &received else {
                    return Err(ComplaintError::UnknownComplaint);
                };
                let mut changes = vec![received.clone()];
                if !files.is_empty() {
                    let files = attached(customer.id, files, services).await?;
                    changes.push(ComplaintChange::FilesAttached { files });
                }
                changes.extend(routing);
                return Ok(changes);
            }
            ComplaintAction::AddInformation {
                text,
                files,
                channel,
            } => return self.add_information(text, files, channel, services).await,
            ComplaintAction::Receive(mut new) => {
                let routing = new.routing.take();
                let received = self.receive(*new, services).await?;
                let mut changes = vec![received];
                changes.extend(routing.map(Routing::changes).unwrap_or_default());
                return Ok(changes);
            }
            ComplaintAction::Acknowledge { apology } => {
                Ok(ComplaintChange::ComplaintAcknowledged {
                    apology: text("The apology", apology, MAX_TEXT)?,
                })
            }
            ComplaintAction::RecordCustomerStatement {
                channel,
                statement,
                shared,
            } => {
                let customer = self.require_personal_data()?;
                let statement = text("What the customer said", statement, MAX_TEXT)?;
                Ok(ComplaintChange::CustomerStatementRecorded {
                    channel,
                    statement: seal(services, customer, &statement).await?,
                    shared,
                })
            }
            ComplaintAction::RecordPoints { points, send } => {
                let customer = self.require_personal_data()?;
                let points: Vec<String> = points
                    .into_iter()
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| text("A point of complaint", p, MAX_POINT))
                    .collect::<Result<_, _>>()?;
                if points.is_empty() {
                    return Err(ComplaintError::Empty {
                        field: "The points of complaint",
                    });
                }
                if points.len() > MAX_POINTS {
                    return Err(ComplaintError::TooManyPoints { max: MAX_POINTS });
                }
                if points.iter().any(|p| p.contains(['\n', '\r'])) {
                    return Err(ComplaintError::MultiLine {
                        field: "A point of complaint",
                    });
                }
                let mut sealed = Vec::with_capacity(points.len());
                for point in &points {
                    sealed.push(seal(services, customer, point).await?);
                }
                Ok(ComplaintChange::PointsOfComplaintRecorded {
                    points: sealed,
                    sent: send,
                })
            }
            ComplaintAction::RecordFact { fact, source } => Ok(ComplaintChange::FactRecorded {
                fact: text("The fact", fact, MAX_TEXT)?,
                source: optional_text("The source", source, MAX_LINE)?,
            }),
            ComplaintAction::ConcludeInvestigation { findings } => {
                Ok(ComplaintChange::InvestigationConcluded {
                    findings: text("The findings", findings, MAX_TEXT)?,
                })
            }
            ComplaintAction::CommitToAction {
                action,
                due_on,
                resolve_by,
            } => {
                let action = text("The action", action, MAX_TEXT)?;
                let field = "The date the action will be done by";
                not_in_past(field, due_on, today)?;
                within_resolution(field, due_on, resolve_by)?;
                Ok(ComplaintChange::ActionCommitted { action, due_on })
            }
            ComplaintAction::AssignOwner { owner } => {
                let name = text("The owner's name", owner.name, MAX_NAME)?;
                let owner = StaffMember { id: owner.id, name };
                if let Some(current) = &self.owner
                    && current.id == owner.id
                {
                    return Err(ComplaintError::SameOwner { name: owner.name });
                }
                Ok(ComplaintChange::OwnerAssigned {
                    owner,
                    previous: self.owner.clone(),
                })
            }
            ComplaintAction::SendProgressUpdate {
                message,
                next_update_on,
                resolve_by,
            } => {
                let message = text("The update", message, MAX_TEXT)?;
                let field = "The date of the next update";
                not_in_past(field, next_update_on, today)?;
                within_resolution(field, next_update_on, resolve_by)?;
                Ok(ComplaintChange::ProgressUpdateSent {
                    message,
                    next_update_on,
                })
            }
            ComplaintAction::WaitOnCustomer { request } => Ok(ComplaintChange::WaitingOnCustomer {
                request: text("What we ask the customer for", request, MAX_TEXT)?,
            }),
            ComplaintAction::RecordCustomerResponse { response } => {
                let customer = self.require_personal_data()?;
                let response = text("The customer's response", response, MAX_TEXT)?;
                Ok(ComplaintChange::CustomerResponded {
                    response: seal(services, customer, &response).await?,
                })
            }
            ComplaintAction::Resolve {
                outcome,
                decisions,
                reasons,
                remedy,
                redress_paid_cents,
            } => {
                let (outcome, decisions) = self.decide_points(outcome, decisions)?;
                let reasons = text("The reasons", reasons, MAX_TEXT)?;
                let remedy = optional_text("The remedy", remedy, MAX_TEXT)?;
                if let Some(cents) = redress_paid_cents
                    && cents < 0
                {
                    return Err(ComplaintError::NegativeRedress);
                }
                Ok(ComplaintChange::ComplaintResolved {
                    outcome,
                    decisions,
                    reasons,
                    remedy,
                    redress_paid_cents,
                })
            }
            ComplaintAction::Close => Ok(ComplaintChange::ComplaintClosed),
            ComplaintAction::Reopen { reason } => Ok(ComplaintChange::ComplaintReopened {
                reason: text("The reason for reopening", reason, MAX_TEXT)?,
            }),
            ComplaintAction::RecordSatisfaction {
                score,
                comment,
                would_change,
            } => {
                if !(1..=5).contains(&score) {
                    return Err(ComplaintError::ScoreOutOfRange(score));
                }
                let comment = optional_text("The comment", comment, MAX_TEXT)?;
                let would_change =
                    optional_text("What the customer would change", would_change, MAX_TEXT)?;
                let needs_sealing = comment.is_some() || would_change.is_some();
                let customer = if needs_sealing {
                    Some(self.require_personal_data()?)
                } else {
                    None
                };
                let mut sealed = [None, None];
                for (slot, value) in sealed.iter_mut().zip([comment, would_change]) {
                    if let (Some(value), Some(customer)) = (value, customer) {
                        *slot = Some(seal(services, customer, &value).await?);
                    }
                }
                let [comment, would_change] = sealed;
                Ok(ComplaintChange::SatisfactionRecorded {
                    score,
                    comment,
                    would_change,
                })
            }
            ComplaintAction::ChangePriority { priority } => {
                let from = self.priority();
                if from == priority {
                    return Err(ComplaintError::Unchanged {
                        field: "priority",
                        value: priority.label().to_lowercase(),
                    });
                }
                Ok(ComplaintChange::PriorityChanged { from, to: priority })
            }
            ComplaintAction::ChangeCategory { category } => {
                let category = text("The category", category, MAX_LINE)?;
                if category == self.category {
                    return Err(ComplaintError::Unchanged {
                        field: "category",
                        value: category,
                    });
                }
                Ok(ComplaintChange::CategoryChanged {
                    from: self.category.clone(),
                    to: category,
                })
            }
            ComplaintAction::RecordCommunication {
                direction,
                channel,
                summary,
            } => {
                let customer = self.require_personal_data()?;
                let summary = text("The summary of the communication", summary, MAX_TEXT)?;
                Ok(ComplaintChange::CommunicationRecorded {
                    direction,
                    channel,
                    summary: seal(services, customer, &summary).await?,
                })
            }
            ComplaintAction::ErasePersonalData { reason } => {
                Ok(ComplaintChange::PersonalDataErased {
                    reason: text("The reason for erasure", reason, MAX_LINE)?,
                })
            }
            ComplaintAction::SendReply {
                message,
                attachments,
                saved_reply,
            } => {
                let customer = self.require_personal_data()?;
                let message = text("The reply", message, MAX_TEXT)?;
                Ok(ComplaintChange::ReplySent {
                    message: seal(services, customer, &message).await?,
                    attachments: attached(customer, attachments, services).await?,
                    saved_reply,
                })
            }
            ComplaintAction::AddInternalNote { note, mentions } => {
                let customer = self.require_personal_data()?;
                let note = text("The note", note, MAX_TEXT)?;
                let mut named: Vec<StaffMember> = Vec::with_capacity(mentions.len());
                for member in mentions {
                    if !named.iter().any(|m| m.id == member.id) {
                        named.push(member);
                    }
                }
                Ok(ComplaintChange::InternalNoteAdded {
                    note: seal(services, customer, &note).await?,
                    mentions: named,
                })
            }
            ComplaintAction::AttachFiles { files } => {
                let customer = self.require_personal_data()?;
                if files.is_empty() {
                    return Err(ComplaintError::Empty { field: "The files" });
                }
                Ok(ComplaintChange::FilesAttached {
                    files: attached(customer, files, services).await?,
                })
            }
            ComplaintAction::ChangeTeam { team, reason } => {
                let field = "The reason for the change of team";
                let reason = one_line(field, reason, crate::teams::MAX_REASON)?;
                crate::teams::change_team(self.team.as_ref(), team, reason)
            }
            ComplaintAction::AddTag { tag } => crate::tags::add(&self.tags, &tag),
            ComplaintAction::MergeInto {
                survivor,
                survivor_open,
            } => crate::relations::merge_into(self.reference.as_ref(), survivor, survivor_open),
            ComplaintAction::TakeInDuplicate { duplicate } => {
                self.require_open("take in a duplicate")?;
                crate::relations::take_in(self.reference.as_ref(), &self.duplicates, duplicate)
            }
            ComplaintAction::Link { other } => {
                crate::relations::link(self.reference.as_ref(), &self.links, other)
            }
            ComplaintAction::RemoveTag { tag } => crate::tags::remove(&self.tags, &tag),
            ComplaintAction::RecordRootCauses { causes } => {
                Ok(ComplaintChange::RootCausesRecorded {
                    causes: crate::root_causes::normalize(&causes)?,
                })
            }
            // Allowed in any state, even closed: finding the cause often comes afterwards.
            ComplaintAction::RecordBreachCause {
                clock,
                cycle,
                cause,
            } => {
                self.require_received()?;
                Ok(ComplaintChange::BreachCauseRecorded {
                    clock,
                    cycle,
                    cause: text("The cause of the breach", cause, MAX_TEXT)?,
                })
            }
        };
        change.map(|change| vec![change])
    }

    /// The outcome of a resolution and the decisions it records. With points of complaint,
    /// every point is decided once and the outcome follows from the decisions (one given
    /// must agree); without (complaints recorded before points existed), the outcome is
    /// given and there are no decisions.
    fn decide_points(
        &self,
        outcome: Option<Outcome>,
        mut decisions: Vec<PointDecision>,
    ) -> Result<(Outcome, Vec<PointDecision>), ComplaintError> {
        if self.points == 0 {
            if !decisions.is_empty() {
                return Err(ComplaintError::NoPointsToDecide);
            }
            return outcome
                .map(|o| (o, decisions))
                .ok_or(ComplaintError::OutcomeMissing);
        }
        let mut seen = BTreeSet::new();
        for decision in &mut decisions {
            if decision.point == 0 || decision.point > self.points {
                return Err(ComplaintError::UnknownPoint(decision.point));
            }
            if !seen.insert(decision.point) {
                return Err(ComplaintError::PointDecidedTwice(decision.point));
            }
            decision.reasons = text(
                "The reasons for a point's decision",
                std::mem::take(&mut decision.reasons),
                MAX_TEXT,
            )?;
        }
        let undecided: Vec<u32> = (1..=self.points).filter(|p| !seen.contains(p)).collect();
        if !undecided.is_empty() {
            return Err(ComplaintError::PointsUndecided(undecided));
        }
        decisions.sort_by_key(|d| d.point);
        let follows = overall_outcome(&decisions).ok_or(ComplaintError::OutcomeMissing)?;
        if let Some(given) = outcome
            && given != follows
        {
            return Err(ComplaintError::OutcomeDisagrees {
                given: given.label().to_lowercase(),
                follows: follows.label().to_lowercase(),
            });
        }
        Ok((follows, decisions))
    }

    /// What a customer adds on their status page: their words as the complaint's state calls
    /// for (see [`ComplaintAction::AddInformation`]), then their files.
    async fn add_information(
        &self,
        text: Option<String>,
        files: Vec<AttachmentMeta>,
        channel: Channel,
        services: &ComplaintServices,
    ) -> Result<Vec<ComplaintChange>, ComplaintError> {
        self.require_received()?;
        self.require_open("add information")?;
        let customer = self.require_personal_data()?;
        let text = optional_text("What the customer said", text, MAX_TEXT)?;
        if text.is_none() && files.is_empty() {
            return Err(ComplaintError::Empty {
                field: "What the customer said",
            });
        }
        let mut changes = Vec::new();
        if let Some(text) = text {
            let words = seal(services, customer, &text).await?;
            changes.push(if self.waiting_on_customer && !self.progress.resolved {
                ComplaintChange::CustomerResponded { response: words }
            } else if !self.progress.resolved {
                ComplaintChange::CustomerStatementRecorded {
                    channel,
                    statement: words,
                    shared: false,
                }
            } else {
                ComplaintChange::CommunicationRecorded {
                    direction: Direction::Inbound,
                    channel,
                    summary: words,
                }
            });
        }
        if !files.is_empty() {
            changes.push(ComplaintChange::FilesAttached {
                files: attached(customer, files, services).await?,
            });
        }
        Ok(changes)
    }

    /// A complaint that arrived by email: its receipt, then the email.
    async fn receive_email(
        &self,
        mut new: NewComplaint,
        email: EmailDetails,
        services: &ComplaintServices,
    ) -> Result<Vec<ComplaintChange>, ComplaintError> {
        let routing = new.routing.take().map(Routing::changes).unwrap_or_default();
        let received = self.receive(new, services).await?;
        let ComplaintChange::ComplaintReceived { customer, .. } = &received else {
            return Err(ComplaintError::UnknownComplaint);
        };
        let email = email_received(customer.id, email, None, services).await?;
        let mut changes = vec![received, email];
        changes.extend(routing);
        Ok(changes)
    }

    /// An email about this complaint: what it says, recorded as the complaint's state calls
    /// for (see [`ComplaintAction::RecordEmail`]), then the email itself.
    async fn record_email(
        &self,
        email: EmailDetails,
        words: String,
        sender: Option<String>,
        reopen: bool,
        services: &ComplaintServices,
    ) -> Result<Vec<ComplaintChange>, ComplaintError> {
        self.require_received()?;
        if self.emails.contains(&email.id) {
            return Err(ComplaintError::EmailAlreadyRecorded);
        }
        let customer = self.require_personal_data()?;
        let words = text("What the email says", words, MAX_TEXT)?;
        let sealed = seal(services, customer, &words).await?;
        let communication = |summary| ComplaintChange::CommunicationRecorded {
            direction: Direction::Inbound,
            channel: Channel::Email,
            summary,
        };
        let statement = |statement| ComplaintChange::CustomerStatementRecorded {
            channel: Channel::Email,
            statement,
            shared: false,
        };
        let mut changes = Vec::new();
        if sender.is_some() {
            changes.push(communication(sealed));
        } else if self.progress.resolved && !self.progress.closed {
            // Decided, not closed: often the customer's reaction to the outcome. Staff see it
            // and reopen if it calls for that; a "thank you" must not undo the decision.
            changes.push(communication(sealed));
        } else if self.progress.closed {
            if reopen {
                changes.push(ComplaintChange::ComplaintReopened {
                    reason: "The customer wrote again by email.".into(),
                });
                changes.push(statement(sealed));
            } else {
                changes.push(communication(sealed));
            }
        } else if self.waiting_on_customer {
            changes.push(ComplaintChange::CustomerResponded { response: sealed });
        } else {
            changes.push(statement(sealed));
        }
        changes.push(email_received(customer, email, sender, services).await?);
        Ok(changes)
    }

    async fn receive(
        &self,
        new: NewComplaint,
        services: &ComplaintServices,
    ) -> Result<ComplaintChange, ComplaintError> {
        if self.reference.is_some() {
            return Err(ComplaintError::AlreadyReceived);
        }
        let name = text("The customer's name", new.customer.name, MAX_NAME)?;
        let phone = optional_text("The phone number", new.customer.phone, 40)?;
        let company = optional_text("The company", new.company, MAX_NAME)?;
        let category = text("The category", new.category, MAX_LINE)?;
        let summary = text("The summary", new.summary, MAX_LINE)?;
        if summary.contains(['\n', '\r']) {
            return Err(ComplaintError::MultiLine {
                field: "The summary",
            });
        }
        let description = text("What happened", new.description, MAX_TEXT)?;
        let remedy_requested = optional_text(
            "What the customer would like",
            new.remedy_requested,
            MAX_TEXT,
        )?;

        let customer = match &new.customer.email {
            Some(email) => services.vault.customer_for(email).await,
            // Without an address there is nobody to recognise: a customer of their own.
            None => services.vault.new_customer().await,
        }
        .map_err(vault_error)?;
        let sealed_customer = SealedCustomer {
            id: customer,
            name: seal(services, customer, &name).await?,
            email: match &new.customer.email {
                Some(email) => Some(seal(services, customer, email.as_str()).await?),
                None => None,
            },
            phone: match phone {
                Some(phone) => Some(seal(services, customer, &phone).await?),
                None => None,
            },
        };
        Ok(ComplaintChange::ComplaintReceived {
            reference: new.reference,
            customer: sealed_customer,
            language: new.customer.language,
            company,
            tier: new.tier,
            channel: new.channel,
            category,
            summary,
            description: seal(services, customer, &description).await?,
            remedy_requested: match remedy_requested {
                Some(remedy) => Some(seal(services, customer, &remedy).await?),
                None => None,
            },
            priority: new.priority,
        })
    }
}

/// The `EmailReceived` change: the email's subject, files and (when not the customer's own)
/// sender, sealed with the customer's key.
async fn email_received(
    customer: CustomerId,
    email: EmailDetails,
    sender: Option<String>,
    services: &ComplaintServices,
) -> Result<ComplaintChange, ComplaintError> {
    let subject = email.subject.trim();
    if subject.chars().count() > MAX_LINE {
        return Err(ComplaintError::TooLong {
            field: "The subject",
            max: MAX_LINE,
        });
    }
    let mut attachments = Vec::with_capacity(email.attachments.len());
    for file in email.attachments {
        attachments.push(AttachedFile {
            id: file.id,
            name: seal(services, customer, &file.name).await?,
            content_type: file.content_type,
            size: file.size,
        });
    }
    let mut refused = Vec::with_capacity(email.refused.len());
    for file in email.refused {
        refused.push(RefusedFile {
            name: seal(services, customer, &file.name).await?,
            size: file.size,
            reason: file.reason,
        });
    }
    Ok(ComplaintChange::EmailReceived {
        id: email.id,
        subject: seal(services, customer, subject).await?,
        sender: match sender {
            Some(sender) => Some(seal(services, customer, &sender).await?),
            None => None,
        },
        attachments,
        refused,
    })
}

/// Files a reply or an upload carries, their names sealed.
async fn attached(
    customer: CustomerId,
    files: Vec<AttachmentMeta>,
    services: &ComplaintServices,
) -> Result<Vec<AttachedFile>, ComplaintError> {
    if files.len() > MAX_FILES {
        return Err(ComplaintError::TooManyFiles { max: MAX_FILES });
    }
    let mut attached = Vec::with_capacity(files.len());
    for file in files {
        let name = text("A file's name", file.name, MAX_LINE)?;
        attached.push(AttachedFile {
            id: file.id,
            name: seal(services, customer, &name).await?,
            content_type: file.content_type,
            size: file.size,
        });
    }
    Ok(attached)
}

fn vault_error(error: VaultError) -> ComplaintError {
    match error {
        VaultError::Erased => ComplaintError::PersonalDataErased,
        VaultError::Storage(message) => ComplaintError::Sealing(message),
    }
}

async fn seal(
    services: &ComplaintServices,
    customer: CustomerId,
    plaintext: &str,
) -> Result<crate::values::Sealed, ComplaintError> {
    services
        .vault
        .seal(customer, plaintext)
        .await
        .map_err(vault_error)
}

/// A required text: trimmed, not empty, not longer than `max` characters, and without
/// control characters other than line breaks and tabs (a NUL, an escape sequence or a
/// backspace is never someone's words, and some databases cannot store a NUL).
fn text(field: &'static str, value: String, max: usize) -> Result<String, ComplaintError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ComplaintError::Empty { field });
    }
    if trimmed.chars().count() > max {
        return Err(ComplaintError::TooLong { field, max });
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ComplaintError::ControlCharacter { field });
    }
    Ok(trimmed.to_string())
}

/// An optional text: blank becomes `None`.
/// A required text that must fit on one line.
fn one_line(field: &'static str, value: String, max: usize) -> Result<String, ComplaintError> {
    let value = text(field, value, max)?;
    if value.contains(['\n', '\r']) {
        return Err(ComplaintError::MultiLine { field });
    }
    Ok(value)
}

fn optional_text(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ComplaintError> {
    match value {
        Some(value) if !value.trim().is_empty() => text(field, value, max).map(Some),
        _ => Ok(None),
    }
}

/// A date promised to the customer must not fall after the complaint is due to be resolved.
fn within_resolution(
    field: &'static str,
    date: NaiveDate,
    resolve_by: Option<NaiveDate>,
) -> Result<(), ComplaintError> {
    match resolve_by {
        Some(resolve_by) if date > resolve_by => Err(ComplaintError::DatePastResolution {
            field,
            date,
            resolve_by,
        }),
        _ => Ok(()),
    }
}

fn not_in_past(
    field: &'static str,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), ComplaintError> {
    if date < today {
        Err(ComplaintError::DateInPast { field, date, today })
    } else {
        Ok(())
    }
}

impl Aggregate for Complaint {
    const TYPE: &'static str = "Complaint";
    type Command = ComplaintCommand;
    type Event = ComplaintEvent;
    type Error = ComplaintError;
    type Services = ComplaintServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let changes = self.decide(command.action, services).await?;
        let occurred_at = services.clock.now();
        for change in changes {
            let event = ComplaintEvent {
                occurred_at,
                by: command.by.clone(),
                change,
            };
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event.change {
            ComplaintChange::ComplaintReceived {
                reference,
                customer,
                category,
                priority,
                tier,
                ..
            } => {
                self.tier = tier;
                self.reference = Some(reference);
                self.customer = Some(customer.id);
                self.received_at = Some(event.occurred_at);
                self.category = category;
                self.priority = Some(priority);
            }
            ComplaintChange::ComplaintAcknowledged { .. } => self.progress.acknowledged = true,
            ComplaintChange::CustomerStatementRecorded { .. }
            | ComplaintChange::CommunicationRecorded { .. }
            | ComplaintChange::ProgressUpdateSent { .. }
            | ComplaintChange::ReplySent { .. }
            | ComplaintChange::InternalNoteAdded { .. }
            | ComplaintChange::FilesAttached { .. } => {}
            ComplaintChange::PointsOfComplaintRecorded { points, .. } => {
                self.points = u32::try_from(points.len()).unwrap_or(u32::MAX);
                self.progress.listened = true;
            }
            ComplaintChange::FactRecorded { .. } => self.facts_since_opened += 1,
            ComplaintChange::InvestigationConcluded { .. } => {
                self.progress.investigation_concluded = true;
            }
            ComplaintChange::ActionCommitted { action, due_on } => {
                self.commitment = Some(Commitment { action, due_on });
                self.progress.action_committed = true;
            }
            ComplaintChange::OwnerAssigned { owner, .. } => {
                self.owner = Some(owner);
                self.progress.owner_named = true;
            }
            ComplaintChange::WaitingOnCustomer { .. } => self.waiting_on_customer = true,
            ComplaintChange::CustomerResponded { .. } => self.waiting_on_customer = false,
            ComplaintChange::ComplaintResolved { outcome, .. } => {
                self.outcome = Some(outcome);
                self.progress.resolved = true;
                self.waiting_on_customer = false;
            }
            ComplaintChange::ComplaintClosed => self.progress.closed = true,
            ComplaintChange::ComplaintReopened { .. } => {
                // A reopened complaint is investigated afresh: new facts, a new conclusion and
                // a new commitment. The apology and the owner stand.
                self.progress.resolved = false;
                self.progress.closed = false;
                self.progress.investigation_concluded = false;
                self.progress.action_committed = false;
                self.facts_since_opened = 0;
                self.commitment = None;
                self.outcome = None;
                self.satisfaction_recorded = false;
            }
            ComplaintChange::SatisfactionRecorded { .. } => self.satisfaction_recorded = true,
            ComplaintChange::PriorityChanged { to, .. } => self.priority = Some(to),
            ComplaintChange::CategoryChanged { to, .. } => self.category = to,
            ComplaintChange::PersonalDataErased { .. } => self.personal_data_erased = true,
            ComplaintChange::EmailReceived { id, .. } => {
                self.emails.insert(id);
            }
            ComplaintChange::BreachCauseRecorded { .. } => {}
            ComplaintChange::TeamChanged { team, .. } => self.team = Some(team),
            ComplaintChange::TagAdded { tag } => {
                self.tags.insert(tag);
            }
            ComplaintChange::TagRemoved { tag } => {
                self.tags.remove(&tag);
            }
            ComplaintChange::MergedInto { survivor } => {
                self.merged_into = Some(survivor);
                self.progress.closed = true;
                self.waiting_on_customer = false;
            }
            ComplaintChange::DuplicateMerged { duplicate } => {
                self.duplicates.insert(duplicate.to_string());
            }
            ComplaintChange::ComplaintLinked { other } => {
                self.links.insert(other.to_string());
            }
            // Read by the reports; nothing the complaint's rules depend on.
            ComplaintChange::RootCausesRecorded { .. } => {}
        }
    }
}
