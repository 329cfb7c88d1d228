//! Fixtures for the complaint tests: a stopped clock, a deterministic vault (and a broken
//! one), the standard commands, the events they record, and event histories at each stage.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use redress_domain::{
    Actor, AttachedFile, AttachmentMeta, Channel, ComplaintAction, ComplaintChange,
    ComplaintCommand, ComplaintEvent, ComplaintServices, CustomerEmail, CustomerId, Direction,
    Language, ManualClock, NewComplaint, NewCustomer, Outcome, PersonalDataVault, PointDecision,
    Priority, Reference, Sealed, SealedCustomer, StaffMember, Tier, VaultError,
};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------
// Time

/// The moment every command in these tests is handled at (unless a test moves the clock).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 10, 30, 0).unwrap()
}

pub fn today() -> NaiveDate {
    now().date_naive()
}

pub fn yesterday() -> NaiveDate {
    today() - Days::new(1)
}

pub fn next_week() -> NaiveDate {
    today() + Days::new(7)
}

// ---------------------------------------------------------------------------------------
// Vaults

/// Seals by writing the customer next to the plaintext, so expected events can be spelled out.
/// The customer id is derived from the normalised email address (FNV-1a, 128 bits).
pub struct TestVault;

#[async_trait]
impl PersonalDataVault for TestVault {
    async fn customer_for(&self, email: &CustomerEmail) -> Result<CustomerId, VaultError> {
        Ok(customer_for(email.as_str()))
    }

    async fn new_customer(&self) -> Result<CustomerId, VaultError> {
        Ok(CustomerId(uuid::Uuid::new_v4()))
    }

    async fn seal(&self, customer: CustomerId, plaintext: &str) -> Result<Sealed, VaultError> {
        Ok(sealed_for(customer, plaintext))
    }
}

/// How a [`BrokenVault`] fails.
#[derive(Clone, Copy)]
pub enum Failure {
    /// The vault's storage is down.
    Storage,
    /// The customer's key has been erased.
    Erased,
}

impl Failure {
    fn error(self) -> VaultError {
        match self {
            Failure::Storage => VaultError::Storage(STORAGE_FAILURE.to_string()),
            Failure::Erased => VaultError::Erased,
        }
    }
}

pub const STORAGE_FAILURE: &str = "the key store is unreachable";

/// A vault that fails: on finding the customer, on sealing, or both.
pub struct BrokenVault {
    pub customer_for: Option<Failure>,
    pub seal: Option<Failure>,
}

#[async_trait]
impl PersonalDataVault for BrokenVault {
    async fn customer_for(&self, email: &CustomerEmail) -> Result<CustomerId, VaultError> {
        match self.customer_for {
            Some(failure) => Err(failure.error()),
            None => Ok(customer_for(email.as_str())),
        }
    }

    async fn new_customer(&self) -> Result<CustomerId, VaultError> {
        match self.customer_for {
            Some(failure) => Err(failure.error()),
            None => Ok(CustomerId(uuid::Uuid::new_v4())),
        }
    }

    async fn seal(&self, customer: CustomerId, plaintext: &str) -> Result<Sealed, VaultError> {
        match self.seal {
            Some(failure) => Err(failure.error()),
            None => Ok(sealed_for(customer, plaintext)),
        }
    }
}

pub fn customer_for(email: &str) -> CustomerId {
    let normalised = CustomerEmail::parse(email).unwrap().normalised();
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in normalised.bytes() {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    CustomerId(Uuid::from_u128(hash))
}

pub fn sealed_for(customer: CustomerId, plaintext: &str) -> Sealed {
    Sealed(format!("sealed[{customer}]:{plaintext}"))
}

/// Sealed for the customer of the standard complaint.
pub fn sealed(plaintext: &str) -> Sealed {
    sealed_for(customer(), plaintext)
}

pub fn services() -> ComplaintServices {
    ComplaintServices::new(Arc::new(ManualClock::at(now())), Arc::new(TestVault))
}

pub fn services_at(clock: ManualClock) -> ComplaintServices {
    ComplaintServices::new(Arc::new(clock), Arc::new(TestVault))
}

/// Services whose vault cannot seal (but still knows its customers).
pub fn sealing_fails(failure: Failure) -> ComplaintServices {
    ComplaintServices::new(
        Arc::new(ManualClock::at(now())),
        Arc::new(BrokenVault {
            customer_for: None,
            seal: Some(failure),
        }),
    )
}

/// Services whose vault's storage is down altogether.
pub fn vault_down() -> ComplaintServices {
    ComplaintServices::new(
        Arc::new(ManualClock::at(now())),
        Arc::new(BrokenVault {
            customer_for: Some(Failure::Storage),
            seal: Some(Failure::Storage),
        }),
    )
}

// ---------------------------------------------------------------------------------------
// People

pub const EMAIL: &str = "Ana.Pop@Example.RO";
/// How the email is stored: the domain lower-cased by parsing.
pub const EMAIL_PARSED: &str = "Ana.Pop@example.ro";

pub fn customer() -> CustomerId {
    customer_for(EMAIL)
}

pub fn agent() -> StaffMember {
    StaffMember {
        id: Uuid::from_u128(0xa9e7),
        name: "Ioana Marin".to_string(),
    }
}

pub fn other_agent() -> StaffMember {
    StaffMember {
        id: Uuid::from_u128(0xb0b),
        name: "Wei Zhang".to_string(),
    }
}

pub fn team_a() -> redress_domain::TeamRef {
    redress_domain::TeamRef {
        id: Uuid::from_u128(0x7eaa),
        name: "Complaints".to_string(),
    }
}

pub fn team_b() -> redress_domain::TeamRef {
    redress_domain::TeamRef {
        id: Uuid::from_u128(0x7eab),
        name: "Billing".to_string(),
    }
}

pub fn other_reference() -> Reference {
    Reference::parse("RDR-3MNB-7QWE").unwrap()
}

pub fn by_agent() -> Actor {
    Actor::Staff(agent())
}

pub fn reference() -> Reference {
    Reference::parse("RDR-7KX4-9PQM").unwrap()
}

// ---------------------------------------------------------------------------------------
// Commands: each action with the standard values, given by the agent.

pub fn command(action: ComplaintAction) -> ComplaintCommand {
    ComplaintCommand::new(by_agent(), action)
}

pub fn command_by(by: Actor, action: ComplaintAction) -> ComplaintCommand {
    ComplaintCommand::new(by, action)
}

pub const NAME: &str = "Ana Pop";
pub const PHONE: &str = "+40 721 000 111";
pub const COMPANY: &str = "Pop & Fiii SRL";
pub const CATEGORY: &str = "Delivery";
pub const SUMMARY: &str = "Parcel arrived crushed";
pub const DESCRIPTION: &str = "The box was crushed and the vase inside was broken.";
pub const REMEDY_REQUESTED: &str = "A replacement vase.";
pub const APOLOGY: &str = "We are sorry your vase arrived broken.";
pub const STATEMENT: &str = "It was the third broken parcel this year.";
pub const FACT: &str = "The courier's scan shows the box was dropped at the depot.";
pub const SOURCE: &str = "Courier tracking";
pub const FINDINGS: &str = "The vase was broken in transit by the courier.";
pub const ACTION: &str = "Send a replacement vase by insured courier.";
pub const UPDATE: &str = "The replacement has been ordered.";
pub const REQUEST: &str = "A photograph of the broken vase, please.";
pub const RESPONSE: &str = "Photo attached.";
pub const REASONS: &str = "The courier we chose broke it; we are responsible.";
pub const REMEDY: &str = "A replacement vase and a refund of the postage.";
pub const REOPEN_REASON: &str = "The replacement arrived broken too.";
pub const COMMENT: &str = "Quick and kind.";
pub const WOULD_CHANGE: &str = "Use better packaging.";
pub const NEW_CATEGORY: &str = "Packaging";
pub const COMMUNICATION: &str = "Called to confirm the delivery address.";
pub const ERASE_REASON: &str = "Data-subject erasure request";
pub const POINTS: [&str; 2] = [
    "The vase arrived broken.",
    "It was the third parcel this year to arrive damaged.",
];
pub const POINT_REASONS: [&str; 2] = [
    "The courier we chose broke it.",
    "Our records show two damaged parcels before this one.",
];
pub const REPLY: &str = "Dear Ana, the new vase leaves our warehouse tomorrow.";
pub const NOTE: &str = "I called Mrs Pop; she confirms the courier dropped it, account 88213.";
pub const FILE_NAME: &str = "invoice.pdf";

pub fn file_id() -> Uuid {
    Uuid::from_u128(0xf11e)
}

pub fn new_complaint() -> NewComplaint {
    NewComplaint {
        reference: reference(),
        customer: NewCustomer {
            name: NAME.to_string(),
            email: Some(CustomerEmail::parse(EMAIL).unwrap()),
            phone: Some(PHONE.to_string()),
            language: Language::Ro,
        },
        company: Some(COMPANY.to_string()),
        tier: Tier::Standard,
        channel: Channel::WebForm,
        category: CATEGORY.to_string(),
        summary: SUMMARY.to_string(),
        description: DESCRIPTION.to_string(),
        remedy_requested: Some(REMEDY_REQUESTED.to_string()),
        priority: Priority::Normal,
        routing: None,
    }
}

pub fn receive() -> ComplaintAction {
    ComplaintAction::Receive(Box::new(new_complaint()))
}

pub fn acknowledge() -> ComplaintAction {
    ComplaintAction::Acknowledge {
        apology: APOLOGY.to_string(),
    }
}

pub fn record_statement() -> ComplaintAction {
    ComplaintAction::RecordCustomerStatement {
        channel: Channel::Phone,
        statement: STATEMENT.to_string(),
        shared: false,
    }
}

pub fn record_points() -> ComplaintAction {
    ComplaintAction::RecordPoints {
        points: POINTS.iter().map(|p| p.to_string()).collect(),
        send: true,
    }
}

pub fn attachment() -> AttachmentMeta {
    AttachmentMeta {
        id: file_id(),
        name: FILE_NAME.to_string(),
        content_type: "application/pdf".to_string(),
        size: 2_048,
    }
}

pub fn reply() -> ComplaintAction {
    ComplaintAction::SendReply {
        message: REPLY.to_string(),
        attachments: vec![attachment()],
        saved_reply: None,
    }
}

pub fn note() -> ComplaintAction {
    ComplaintAction::AddInternalNote {
        note: NOTE.to_string(),
        mentions: vec![other_agent()],
    }
}

pub fn attach_files() -> ComplaintAction {
    ComplaintAction::AttachFiles {
        files: vec![attachment()],
    }
}

pub fn record_fact() -> ComplaintAction {
    ComplaintAction::RecordFact {
        fact: FACT.to_string(),
        source: Some(SOURCE.to_string()),
    }
}

pub fn conclude() -> ComplaintAction {
    ComplaintAction::ConcludeInvestigation {
        findings: FINDINGS.to_string(),
    }
}

pub fn commit() -> ComplaintAction {
    commit_by(next_week())
}

pub fn commit_by(due_on: NaiveDate) -> ComplaintAction {
    ComplaintAction::CommitToAction {
        action: ACTION.to_string(),
        due_on,
        resolve_by: None,
    }
}

pub fn assign(owner: StaffMember) -> ComplaintAction {
    ComplaintAction::AssignOwner { owner }
}

pub fn send_update() -> ComplaintAction {
    send_update_for(next_week())
}

pub fn send_update_for(next_update_on: NaiveDate) -> ComplaintAction {
    ComplaintAction::SendProgressUpdate {
        message: UPDATE.to_string(),
        next_update_on,
        resolve_by: None,
    }
}

pub fn wait_on_customer() -> ComplaintAction {
    ComplaintAction::WaitOnCustomer {
        request: REQUEST.to_string(),
    }
}

pub fn record_response() -> ComplaintAction {
    ComplaintAction::RecordCustomerResponse {
        response: RESPONSE.to_string(),
    }
}

/// Each standard point decided so.
pub fn decisions(outcomes: [Outcome; 2]) -> Vec<PointDecision> {
    outcomes
        .into_iter()
        .zip(POINT_REASONS)
        .enumerate()
        .map(|(i, (outcome, reasons))| PointDecision {
            point: i as u32 + 1,
            outcome,
            reasons: reasons.to_string(),
        })
        .collect()
}

pub fn resolve() -> ComplaintAction {
    ComplaintAction::Resolve {
        outcome: None,
        decisions: decisions([Outcome::Upheld, Outcome::Upheld]),
        reasons: REASONS.to_string(),
        remedy: Some(REMEDY.to_string()),
        redress_paid_cents: Some(4_500),
    }
}

pub fn close() -> ComplaintAction {
    ComplaintAction::Close
}

pub fn reopen() -> ComplaintAction {
    ComplaintAction::Reopen {
        reason: REOPEN_REASON.to_string(),
    }
}

pub fn rate(score: u8) -> ComplaintAction {
    ComplaintAction::RecordSatisfaction {
        score,
        comment: Some(COMMENT.to_string()),
        would_change: Some(WOULD_CHANGE.to_string()),
    }
}

pub fn rate_score_only(score: u8) -> ComplaintAction {
    ComplaintAction::RecordSatisfaction {
        score,
        comment: None,
        would_change: None,
    }
}

pub fn change_priority(priority: Priority) -> ComplaintAction {
    ComplaintAction::ChangePriority { priority }
}

pub fn change_category() -> ComplaintAction {
    ComplaintAction::ChangeCategory {
        category: NEW_CATEGORY.to_string(),
    }
}

pub fn record_communication() -> ComplaintAction {
    ComplaintAction::RecordCommunication {
        direction: Direction::Outbound,
        channel: Channel::Phone,
        summary: COMMUNICATION.to_string(),
    }
}

pub fn erase() -> ComplaintAction {
    ComplaintAction::ErasePersonalData {
        reason: ERASE_REASON.to_string(),
    }
}

/// Every action but receiving, with the standard values: for rules that hold for all of them.
pub fn every_action_but_receive() -> Vec<ComplaintAction> {
    vec![
        acknowledge(),
        record_statement(),
        record_points(),
        record_fact(),
        conclude(),
        commit(),
        // Someone other than the standard owner, so only the rules can refuse it.
        assign(other_agent()),
        send_update(),
        wait_on_customer(),
        record_response(),
        resolve(),
        close(),
        reopen(),
        rate(5),
        change_priority(Priority::High),
        change_category(),
        record_communication(),
        erase(),
        reply(),
        note(),
        attach_files(),
        ComplaintAction::ChangeTeam {
            team: team_b(),
            reason: "Billing handles refunds".into(),
        },
        ComplaintAction::AddTag {
            tag: "refund".into(),
        },
        ComplaintAction::RemoveTag {
            tag: "refund".into(),
        },
        ComplaintAction::MergeInto {
            survivor: other_reference(),
            survivor_open: true,
        },
        ComplaintAction::Link {
            other: other_reference(),
        },
        ComplaintAction::RecordRootCauses {
            causes: vec!["courier-late".into()],
        },
    ]
}

// ---------------------------------------------------------------------------------------
// Events: what the standard commands record.

pub fn event(change: ComplaintChange) -> ComplaintEvent {
    event_by(by_agent(), change)
}

pub fn event_by(by: Actor, change: ComplaintChange) -> ComplaintEvent {
    ComplaintEvent {
        occurred_at: now(),
        by,
        change,
    }
}

pub fn complaint_received() -> ComplaintChange {
    ComplaintChange::ComplaintReceived {
        reference: reference(),
        customer: SealedCustomer {
            id: customer(),
            name: sealed(NAME),
            email: Some(sealed(EMAIL_PARSED)),
            phone: Some(sealed(PHONE)),
        },
        language: Language::Ro,
        company: Some(COMPANY.to_string()),
        tier: Tier::Standard,
        channel: Channel::WebForm,
        category: CATEGORY.to_string(),
        summary: SUMMARY.to_string(),
        description: sealed(DESCRIPTION),
        remedy_requested: Some(sealed(REMEDY_REQUESTED)),
        priority: Priority::Normal,
    }
}

pub fn acknowledged_change() -> ComplaintChange {
    ComplaintChange::ComplaintAcknowledged {
        apology: APOLOGY.to_string(),
    }
}

pub fn statement_recorded() -> ComplaintChange {
    ComplaintChange::CustomerStatementRecorded {
        channel: Channel::Phone,
        statement: sealed(STATEMENT),
        shared: false,
    }
}

pub fn points_recorded() -> ComplaintChange {
    ComplaintChange::PointsOfComplaintRecorded {
        points: POINTS.iter().map(|p| sealed(p)).collect(),
        sent: true,
    }
}

pub fn attached_file() -> AttachedFile {
    AttachedFile {
        id: file_id(),
        name: sealed(FILE_NAME),
        content_type: "application/pdf".to_string(),
        size: 2_048,
    }
}

pub fn reply_sent() -> ComplaintChange {
    ComplaintChange::ReplySent {
        message: sealed(REPLY),
        attachments: vec![attached_file()],
        saved_reply: None,
    }
}

pub fn note_added() -> ComplaintChange {
    ComplaintChange::InternalNoteAdded {
        note: sealed(NOTE),
        mentions: vec![other_agent()],
    }
}

pub fn files_attached() -> ComplaintChange {
    ComplaintChange::FilesAttached {
        files: vec![attached_file()],
    }
}

pub fn fact_recorded() -> ComplaintChange {
    ComplaintChange::FactRecorded {
        fact: FACT.to_string(),
        source: Some(SOURCE.to_string()),
    }
}

pub fn investigation_concluded() -> ComplaintChange {
    ComplaintChange::InvestigationConcluded {
        findings: FINDINGS.to_string(),
    }
}

pub fn action_committed() -> ComplaintChange {
    action_committed_by(next_week())
}

pub fn action_committed_by(due_on: NaiveDate) -> ComplaintChange {
    ComplaintChange::ActionCommitted {
        action: ACTION.to_string(),
        due_on,
    }
}

pub fn owner_assigned(owner: StaffMember, previous: Option<StaffMember>) -> ComplaintChange {
    ComplaintChange::OwnerAssigned { owner, previous }
}

pub fn update_sent() -> ComplaintChange {
    update_sent_for(next_week())
}

pub fn update_sent_for(next_update_on: NaiveDate) -> ComplaintChange {
    ComplaintChange::ProgressUpdateSent {
        message: UPDATE.to_string(),
        next_update_on,
    }
}

pub fn waiting_change() -> ComplaintChange {
    ComplaintChange::WaitingOnCustomer {
        request: REQUEST.to_string(),
    }
}

pub fn customer_responded() -> ComplaintChange {
    ComplaintChange::CustomerResponded {
        response: sealed(RESPONSE),
    }
}

pub fn complaint_resolved() -> ComplaintChange {
    ComplaintChange::ComplaintResolved {
        outcome: Outcome::Upheld,
        decisions: decisions([Outcome::Upheld, Outcome::Upheld]),
        reasons: REASONS.to_string(),
        remedy: Some(REMEDY.to_string()),
        redress_paid_cents: Some(4_500),
    }
}

pub fn complaint_reopened() -> ComplaintChange {
    ComplaintChange::ComplaintReopened {
        reason: REOPEN_REASON.to_string(),
    }
}

pub fn satisfaction_recorded(score: u8) -> ComplaintChange {
    ComplaintChange::SatisfactionRecorded {
        score,
        comment: Some(sealed(COMMENT)),
        would_change: Some(sealed(WOULD_CHANGE)),
    }
}

pub fn communication_recorded() -> ComplaintChange {
    ComplaintChange::CommunicationRecorded {
        direction: Direction::Outbound,
        channel: Channel::Phone,
        summary: sealed(COMMUNICATION),
    }
}

pub fn personal_data_erased() -> ComplaintChange {
    ComplaintChange::PersonalDataErased {
        reason: ERASE_REASON.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Histories: the events of a complaint that has reached each stage of the method.

/// `history` followed by `more`.
pub fn then(mut history: Vec<ComplaintEvent>, more: Vec<ComplaintChange>) -> Vec<ComplaintEvent> {
    history.extend(more.into_iter().map(event));
    history
}

pub fn received() -> Vec<ComplaintEvent> {
    vec![event_by(Actor::Customer, complaint_received())]
}

pub fn acknowledged() -> Vec<ComplaintEvent> {
    then(received(), vec![acknowledged_change()])
}

/// Acknowledged, with the points of complaint recorded (step 2).
pub fn listened() -> Vec<ComplaintEvent> {
    then(acknowledged(), vec![points_recorded()])
}

/// Listened, with one fact recorded but the investigation still open.
pub fn with_a_fact() -> Vec<ComplaintEvent> {
    then(listened(), vec![fact_recorded()])
}

pub fn investigated() -> Vec<ComplaintEvent> {
    then(with_a_fact(), vec![investigation_concluded()])
}

pub fn committed() -> Vec<ComplaintEvent> {
    then(investigated(), vec![action_committed()])
}

pub fn owned() -> Vec<ComplaintEvent> {
    then(committed(), vec![owner_assigned(agent(), None)])
}

pub fn waiting() -> Vec<ComplaintEvent> {
    then(owned(), vec![waiting_change()])
}

pub fn resolved() -> Vec<ComplaintEvent> {
    then(owned(), vec![complaint_resolved()])
}

pub fn closed() -> Vec<ComplaintEvent> {
    then(resolved(), vec![ComplaintChange::ComplaintClosed])
}

pub fn reopened() -> Vec<ComplaintEvent> {
    then(closed(), vec![complaint_reopened()])
}

pub fn erased(history: Vec<ComplaintEvent>) -> Vec<ComplaintEvent> {
    then(history, vec![personal_data_erased()])
}
