//! One complaint on one page (the six steps, the customer, a form for each action the
//! complaint accepts now, the timeline), the actions those forms post to, and the form staff
//! use to take a complaint by phone or in person.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use cqrs_es::Aggregate;
use redress_domain::{
    ActionKind, Actor, Channel, CompanyId, Complaint, ComplaintAction, ComplaintChange,
    ComplaintCommand, ComplaintError, ComplaintEvent, CustomerEmail, CustomerId, Direction,
    Language, NewComplaint, NewCustomer, Outcome, Priority, Reference, Sealed, SlaClock,
    StaffMember, Step, Tier,
};
use redress_store::CommandError;
use redress_store::vault::SealingKey;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{CurrentStaff, check_csrf};
use crate::error::AppError;
use crate::{AppState, page_context, render};

/// Actions staff are never offered on the page: erasure goes through the customer's file,
/// which also deletes their key.
const NOT_ON_THE_PAGE: &[ActionKind] = &[ActionKind::ErasePersonalData];

/// One of the six steps, as the progress indicator shows it.
#[derive(Debug, Serialize)]
pub(crate) struct StepView {
    number: u8,
    title: &'static str,
    done: bool,
    current: bool,
    at: Option<DateTime<Utc>>,
    by: Option<String>,
    detail: Option<String>,
}

/// One event, as the timeline shows it.
#[derive(Debug, Serialize)]
pub(crate) struct TimelineEntry {
    pub(crate) sequence: usize,
    pub(crate) at: DateTime<Utc>,
    pub(crate) by: String,
    pub(crate) title: String,
    pub(crate) lines: Vec<(String, String)>,
    /// The email this event owed the customer, and how its delivery stands.
    pub(crate) email: Option<EmailStatus>,
    /// An email that arrived: its files and its original, for staff to open.
    pub(crate) inbound: Option<InboundView>,
}

/// An email that arrived, as staff see it on the timeline.
#[derive(Debug, Serialize)]
pub(crate) struct InboundView {
    /// The intake's id of the message (its original is at `/emails/{id}`).
    id: String,
    /// Files kept: (id, name, size in words).
    files: Vec<(String, String, String)>,
    /// Files refused: (name, why).
    refused: Vec<(String, String)>,
}

/// "12 KB", "3.4 MB", "64 bytes".
fn size_words(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// An email to the customer, as staff see it on the timeline.
#[derive(Debug, Serialize)]
pub(crate) struct EmailStatus {
    id: String,
    kind: &'static str,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    failing: bool,
}

impl EmailStatus {
    /// As it stood at `at`: sent if it had been by then, else waiting (attempts and errors
    /// between then and now are not kept, so none are shown).
    fn as_at(&mut self, at: DateTime<Utc>) {
        if self.sent_at.is_some_and(|sent| sent <= at) {
            return;
        }
        self.sent_at = None;
        self.state = "pending".into();
        self.attempts = 0;
        self.last_error = None;
        self.failing = false;
    }

    pub(crate) fn of(row: redress_store::OutboxRow) -> Self {
        Self {
            kind: redress_store::EmailKind::from_code(&row.kind)
                .map(|k| k.label())
                .unwrap_or("Email"),
            failing: row.state == "dead" || (row.state == "pending" && row.last_error.is_some()),
            id: row.id,
            state: row.state,
            attempts: row.attempts,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            sent_at: row.sent_at,
        }
    }
}

/// The customer, opened from the seals (or marked erased).
#[derive(Debug, Serialize)]
struct CustomerView {
    name: String,
    email: String,
    phone: Option<String>,
    erased: bool,
}

/// An action the complaint accepts now.
#[derive(Debug, Serialize)]
struct ActionView {
    code: &'static str,
    label: &'static str,
}

/// A rejected form, shown again with its reason and the agent's text.
#[derive(Debug, Default, Serialize)]
struct FailedForm {
    code: String,
    error: String,
    values: BTreeMap<String, String>,
}

/// Opens a complaint's personal data with its customer's key.
pub(crate) struct Opener {
    customer: CustomerId,
    key: Option<SealingKey>,
}

impl Opener {
    /// Whether the customer's key is still held (not erased).
    pub(crate) fn holds_key(&self) -> bool {
        self.key.is_some()
    }

    pub(crate) fn open(&self, sealed: &Sealed) -> String {
        match &self.key {
            Some(key) => key
                .open(self.customer, sealed)
                .unwrap_or_else(|_| "(unreadable)".into()),
            None => "(erased)".into(),
        }
    }
}

/// The opener of `customer`'s personal data (which shows "(erased)" once their key is gone).
pub(crate) async fn opener_for(state: &AppState, customer: CustomerId) -> Result<Opener, AppError> {
    Ok(Opener {
        customer,
        key: state.store.vault.key(customer).await?,
    })
}

/// Which way an event spoke with the customer, if it did: what the customer told us, and
/// what we told them (the method: record every communication).
pub(crate) fn communication_direction(change: &ComplaintChange) -> Option<Direction> {
    match change {
        ComplaintChange::ComplaintReceived { .. }
        | ComplaintChange::CustomerStatementRecorded { .. }
        | ComplaintChange::CustomerResponded { .. }
        | ComplaintChange::SatisfactionRecorded { .. } => Some(Direction::Inbound),
        ComplaintChange::ComplaintAcknowledged { .. }
        | ComplaintChange::ActionCommitted { .. }
        | ComplaintChange::OwnerAssigned { .. }
        | ComplaintChange::ProgressUpdateSent { .. }
        | ComplaintChange::WaitingOnCustomer { .. }
        | ComplaintChange::ComplaintResolved { .. } => Some(Direction::Outbound),
        ComplaintChange::CommunicationRecorded { direction, .. } => Some(*direction),
        ComplaintChange::FactRecorded { .. }
        | ComplaintChange::InvestigationConcluded { .. }
        | ComplaintChange::ComplaintClosed
        | ComplaintChange::ComplaintReopened { .. }
        | ComplaintChange::PriorityChanged { .. }
        | ComplaintChange::CategoryChanged { .. }
        | ComplaintChange::PersonalDataErased { .. }
        // The email's words are the event before it, which is counted.
        | ComplaintChange::EmailReceived { .. }
        | ComplaintChange::BreachCauseRecorded { .. } => None,
    }
}

fn by(actor: &Actor) -> String {
    actor.display_name().to_string()
}

fn line(label: &str, text: impl Into<String>) -> (String, String) {
    (label.to_string(), text.into())
}

pub(crate) fn timeline_entry(
    sequence: usize,
    event: &ComplaintEvent,
    opener: &Opener,
) -> TimelineEntry {
    let mut inbound = None;
    let (title, lines): (String, Vec<(String, String)>) = match &event.change {
        ComplaintChange::ComplaintReceived {
            channel,
            category,
            summary,
            description,
            remedy_requested,
            priority,
            ..
        } => (
            format!("Complaint received ({})", channel.label()),
            [
                Some(line("Summary", summary.clone())),
                Some(line("Category", category.clone())),
                Some(line("Priority", priority.label())),
                Some(line("What happened", opener.open(description))),
                remedy_requested
                    .as_ref()
                    .map(|r| line("The customer asks for", opener.open(r))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::ComplaintAcknowledged { apology } => (
            "Step 1 · Acknowledged with an apology".into(),
            vec![line("Apology", apology.clone())],
        ),
        ComplaintChange::CustomerStatementRecorded { channel, statement } => (
            format!("Step 2 · The customer said ({})", channel.label()),
            vec![line("Their words", opener.open(statement))],
        ),
        ComplaintChange::FactRecorded { fact, source } => (
            "Step 3 · Fact established".into(),
            [
                Some(line("Fact", fact.clone())),
                source.as_ref().map(|s| line("Source", s.clone())),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::InvestigationConcluded { findings } => (
            "Step 3 · Investigation concluded".into(),
            vec![line("Findings", findings.clone())],
        ),
        ComplaintChange::ActionCommitted { action, due_on } => (
            "Step 4 · Committed to an action".into(),
            vec![
                line("Action", action.clone()),
                line("Done by", due_on.to_string()),
            ],
        ),
        ComplaintChange::OwnerAssigned { owner, previous } => (
            format!("Step 5 · {} is responsible", owner.name),
            previous
                .iter()
                .map(|p| line("Before", p.name.clone()))
                .collect(),
        ),
        ComplaintChange::ProgressUpdateSent {
            message,
            next_update_on,
        } => (
            "Step 6 · Progress update sent".into(),
            vec![
                line("Update", message.clone()),
                line("Next update by", next_update_on.to_string()),
            ],
        ),
        ComplaintChange::WaitingOnCustomer { request } => (
            "Waiting on the customer".into(),
            vec![line("We asked for", request.clone())],
        ),
        ComplaintChange::CustomerResponded { response } => (
            "The customer responded".into(),
            vec![line("Their answer", opener.open(response))],
        ),
        ComplaintChange::ComplaintResolved {
            outcome,
            reasons,
            remedy,
            redress_paid_cents,
        } => (
            format!("Resolved: {}", outcome.label().to_lowercase()),
            [
                Some(line("Reasons", reasons.clone())),
                remedy.as_ref().map(|r| line("Remedy", r.clone())),
                redress_paid_cents
                    .map(|c| line("Redress paid", format!("{}.{:02}", c / 100, c % 100))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::ComplaintClosed => ("Closed".into(), vec![]),
        ComplaintChange::ComplaintReopened { reason } => {
            ("Reopened".into(), vec![line("Why", reason.clone())])
        }
        ComplaintChange::SatisfactionRecorded {
            score,
            comment,
            would_change,
        } => (
            format!("Satisfaction: {score} of 5"),
            [
                comment.as_ref().map(|c| line("Comment", opener.open(c))),
                would_change
                    .as_ref()
                    .map(|w| line("Would change", opener.open(w))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        ComplaintChange::PriorityChanged { from, to } => (
            format!("Priority changed from {} to {}", from.label(), to.label()),
            vec![],
        ),
        ComplaintChange::CategoryChanged { from, to } => {
            (format!("Category changed from {from} to {to}"), vec![])
        }
        ComplaintChange::CommunicationRecorded {
            direction,
            channel,
            summary,
        } => (
            format!("{} ({})", direction.label(), channel.label()),
            vec![line("Summary", opener.open(summary))],
        ),
        ComplaintChange::PersonalDataErased { reason } => (
            "Personal data erased".into(),
            vec![line("Why", reason.clone())],
        ),
        ComplaintChange::BreachCauseRecorded {
            clock,
            cycle,
            cause,
        } => (
            format!("Cause of an SLA breach recorded: {}", clock.label()),
            vec![line("Run", cycle.to_string()), line("Cause", cause.clone())],
        ),
        ComplaintChange::EmailReceived {
            id,
            subject,
            sender,
            attachments,
            refused,
        } => {
            inbound = Some(InboundView {
                id: id.to_string(),
                files: attachments
                    .iter()
                    .map(|f| (f.id.to_string(), opener.open(&f.name), size_words(f.size)))
                    .collect(),
                refused: refused
                    .iter()
                    .map(|f| {
                        (
                            opener.open(&f.name),
                            format!("{} ({})", f.reason, size_words(f.size)),
                        )
                    })
                    .collect(),
            });
            (
                "Email received".into(),
                [
                    Some(line("Subject", opener.open(subject))),
                    sender.as_ref().map(|s| {
                        line(
                            "From",
                            format!("{} (not the customer's address)", opener.open(s)),
                        )
                    }),
                ]
                .into_iter()
                .flatten()
                .collect(),
            )
        }
    };
    TimelineEntry {
        sequence,
        at: event.occurred_at,
        by: by(&event.by),
        title,
        lines,
        email: None,
        inbound,
    }
}

pub(crate) fn steps(events: &[ComplaintEvent], complaint: &Complaint) -> Vec<StepView> {
    let last = |pick: &dyn Fn(&ComplaintChange) -> Option<String>| {
        events
            .iter()
            .rev()
            .find_map(|e| pick(&e.change).map(|detail| (e.occurred_at, by(&e.by), detail)))
    };
    let progress = complaint.progress();
    let current = progress.step();
    let acknowledged =
        last(&|c| matches!(c, ComplaintChange::ComplaintAcknowledged { .. }).then(String::new));
    let statements = events
        .iter()
        .filter(|e| matches!(e.change, ComplaintChange::CustomerStatementRecorded { .. }))
        .count();
    let listened = last(&|c| {
        matches!(c, ComplaintChange::CustomerStatementRecorded { .. })
            .then(|| format!("{statements} contact(s) recorded"))
    });
    let concluded = last(&|c| match c {
        ComplaintChange::InvestigationConcluded { findings } => Some(findings.clone()),
        _ => None,
    });
    let committed = complaint
        .commitment()
        .map(|c| format!("{} — by {}", c.action, c.due_on));
    let committed_at =
        last(&|c| matches!(c, ComplaintChange::ActionCommitted { .. }).then(String::new));
    let owned = last(&|c| match c {
        ComplaintChange::OwnerAssigned { owner, .. } => Some(owner.name.clone()),
        _ => None,
    });
    let updated = last(&|c| match c {
        ComplaintChange::ProgressUpdateSent { next_update_on, .. } => {
            Some(format!("next update by {next_update_on}"))
        }
        _ => None,
    });
    let view = |number,
                title,
                done: bool,
                step: Option<Step>,
                found: Option<(DateTime<Utc>, String, String)>| {
        let (at, who, detail) = match found {
            Some((at, who, detail)) => {
                (Some(at), Some(who), (!detail.is_empty()).then_some(detail))
            }
            None => (None, None, None),
        };
        StepView {
            number,
            title,
            done,
            current: step == Some(current),
            at,
            by: who,
            detail,
        }
    };
    vec![
        view(
            1,
            "Apologise",
            progress.acknowledged,
            Some(Step::Acknowledge),
            acknowledged,
        ),
        view(2, "Listen", statements > 0, None, listened),
        view(
            3,
            "Establish the facts",
            progress.investigation_concluded,
            Some(Step::EstablishFacts),
            concluded,
        ),
        view(
            4,
            "Commit to action",
            progress.action_committed,
            Some(Step::CommitToAction),
            committed_at.map(|(at, who, _)| (at, who, committed.unwrap_or_default())),
        ),
        view(
            5,
            "Name the owner",
            progress.owner_named,
            Some(Step::NameOwner),
            owned,
        ),
        view(
            6,
            "Keep informed",
            progress.resolved,
            Some(Step::KeepInformed),
            updated,
        ),
    ]
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    order: Option<String>,
    resubmitted: Option<String>,
    /// A past moment to show the complaint at (time travel).
    at: Option<String>,
}

/// Reads a moment: RFC 3339 (`2026-03-02T10:15:00Z`), or a local date and time as a
/// `datetime-local` field sends it (`2026-03-02T10:15`, in `zone`).
pub(crate) fn parse_moment(text: &str, zone: chrono_tz::Tz) -> Result<DateTime<Utc>, AppError> {
    use chrono::TimeZone;
    let text = text.trim();
    use chrono::Datelike;
    let sane = |year: i32| (1970..=9999).contains(&year);
    if let Ok(at) = DateTime::parse_from_rfc3339(text)
        && sane(at.year())
    {
        return Ok(at.to_utc());
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = chrono::NaiveDateTime::parse_from_str(text, format)
            && sane(local.year())
        {
            return zone
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| {
                    AppError::BadForm(format!(
                        "{text} does not exist in {} (the clocks went forward); choose another time.",
                        zone.name()
                    ))
                });
        }
    }
    Err(AppError::BadForm(format!(
        "{text:?} is not a moment; give a date and time like 2026-03-02T10:15."
    )))
}

pub(crate) async fn load(
    state: &AppState,
    reference: &str,
) -> Result<(Reference, Vec<ComplaintEvent>, Complaint), AppError> {
    let reference = Reference::parse(reference).map_err(|_| AppError::NotFound)?;
    let events = state.store.complaints.events_of(&reference).await?;
    if events.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut complaint = Complaint::default();
    for event in &events {
        complaint.apply(event.clone());
    }
    Ok((reference, events, complaint))
}

#[allow(clippy::too_many_arguments)]
async fn render_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    reference: &str,
    oldest_first: bool,
    failed: Option<FailedForm>,
    status: u16,
    past: Option<DateTime<Utc>>,
) -> Result<HttpResponse, AppError> {
    let (reference, mut events, mut complaint) = load(state, reference).await?;
    if let Some(at) = past {
        // Time travel: the complaint as its events up to that moment made it.
        let received = events[0].occurred_at;
        events.retain(|e| e.occurred_at <= at);
        if events.is_empty() {
            return Err(AppError::BadForm(format!(
                "Complaint {reference} had not arrived yet at {}; it arrived at {}. Choose a later moment.",
                at.with_timezone(&crate::viewer_zone(staff))
                    .format("%Y-%m-%d %H:%M %Z"),
                received
                    .with_timezone(&crate::viewer_zone(staff))
                    .format("%Y-%m-%d %H:%M %Z"),
            )));
        }
        complaint = Complaint::default();
        for event in &events {
            complaint.apply(event.clone());
        }
    }
    let customer = complaint
        .customer()
        .ok_or_else(|| AppError::Internal("a received complaint without a customer".into()))?;
    let opener = opener_for(state, customer).await?;
    let (customer_view, received) = match &events[0].change {
        ComplaintChange::ComplaintReceived {
            customer: sealed,
            language,
            company,
            channel,
            category,
            summary,
            description,
            remedy_requested,
            ..
        } => (
            CustomerView {
                name: opener.open(&sealed.name),
                email: opener.open(&sealed.email),
                phone: sealed.phone.as_ref().map(|p| opener.open(p)),
                erased: opener.key.is_none() || complaint.personal_data_erased(),
            },
            serde_json::json!({
                "language": language.label(),
                "company": company,
                "company_id": company.as_deref().map(|c| CompanyId::for_name(c).0),
                "tier": complaint.tier().label(),
                "customer_id": customer.0,
                "channel": channel.label(),
                "category": complaint.category(),
                "original_category": category,
                "summary": summary,
                "description": opener.open(description),
                "remedy_requested": remedy_requested.as_ref().map(|r| opener.open(r)),
                "received_at": events[0].occurred_at,
                "received_by": by(&events[0].by),
            }),
        ),
        _ => {
            return Err(AppError::Internal(
                "the first event is not a receipt".into(),
            ));
        }
    };
    let mut timeline: Vec<TimelineEntry> = events
        .iter()
        .enumerate()
        .map(|(i, e)| timeline_entry(i + 1, e, &opener))
        .collect();
    let mut failing_emails = 0;
    for row in state.store.outbox.of_complaint(reference.as_str()).await? {
        let mut email = EmailStatus::of(row);
        if let Some(at) = past {
            email.as_at(at);
        }
        failing_emails += usize::from(email.failing);
        let sequence = email
            .id
            .split('.')
            .nth(1)
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(entry) = sequence.and_then(|n| timeline.get_mut(n.wrapping_sub(1))) {
            entry.email = Some(email);
        }
    }
    if !oldest_first {
        timeline.reverse();
    }
    let failed = failed.unwrap_or_default();
    // Nothing can be done in the past.
    let mut kinds = if past.is_some() {
        Vec::new()
    } else {
        complaint.allowed_actions()
    };
    // A refused action stays on the page, with its reason and the agent's text, even when
    // the complaint does not offer it now.
    if let Some(kind) = ActionKind::from_code(&failed.code)
        && !kinds.contains(&kind)
    {
        kinds.insert(0, kind);
    }
    let actions: Vec<ActionView> = kinds
        .into_iter()
        .filter(|kind| !NOT_ON_THE_PAGE.contains(kind))
        .map(|kind| ActionView {
            code: kind.code(),
            label: kind.label(),
        })
        .collect();
    let owners: Vec<StaffMember> = state
        .store
        .accounts
        .list()
        .await?
        .into_iter()
        .filter(|a| a.active)
        .map(|a| a.member())
        .collect();
    let mut context = page_context(staff, session)?;
    context.insert("reference", reference.as_str());
    context.insert("customer", &customer_view);
    context.insert("received", &received);
    context.insert("steps", &steps(&events, &complaint));
    context.insert("status", complaint.status().code());
    context.insert("step_label", complaint.progress().step().label());
    context.insert("priority", complaint.priority().code());
    context.insert("owner", &complaint.owner());
    context.insert("outcome", &complaint.outcome().map(|o| o.label()));
    context.insert("actions", &actions);
    context.insert("oldest_first", &oldest_first);
    context.insert("failing_emails", &failing_emails);
    context.insert("failed", &failed);
    context.insert("owners", &owners);
    context.insert("channels", &Channel::options());
    context.insert("priorities", &Priority::options());
    context.insert("outcomes", &Outcome::options());
    context.insert("directions", &Direction::options());
    context.insert(
        "today",
        &Utc::now()
            .with_timezone(&crate::viewer_zone(staff))
            .date_naive()
            .to_string(),
    );
    context.insert("erased", &complaint.personal_data_erased());
    context.insert("past", &past);
    context.insert(
        "at_query",
        &past.map(|at| {
            serde_urlencoded::to_string([("at", at.to_rfc3339_opts(SecondsFormat::AutoSi, true))])
                .unwrap_or_default()
        }),
    );
    context.insert(
        "received_local",
        &events[0]
            .occurred_at
            .with_timezone(&crate::viewer_zone(staff))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
    );
    context.insert(
        "at_local",
        &past.map(|at| {
            at.with_timezone(&crate::viewer_zone(staff))
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        }),
    );
    insert_sla(
        state,
        &mut context,
        reference.as_str(),
        &events,
        &mut timeline,
        past,
    )
    .await?;
    context.insert("timeline", &timeline);
    render(state, "complaints/show.html", &context, status)
}

/// The complaint's SLA clocks, with their rules, and its breaches with their causes.
async fn insert_sla(
    state: &AppState,
    context: &mut tera::Context,
    reference: &str,
    events: &[ComplaintEvent],
    timeline: &mut [TimelineEntry],
    past: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    let now = past.unwrap_or_else(|| state.store.sla.now());
    if let Some((mut sla, policy)) = state.store.sla.of_complaint(reference).await? {
        if let Some(at) = past {
            sla = replay_sla(events, &policy, sla.policy_version, at).unwrap_or(sla);
        }
        // The receipt says which policy version the complaint is held to.
        if let Some(receipt) = timeline.iter_mut().find(|e| e.sequence == 1) {
            receipt.lines.push(line(
                "SLA policy",
                format!("{}, version {}", policy.name, sla.policy_version),
            ));
        }
        context.insert(
            "sla",
            &serde_json::json!({
                "policy_name": policy.name,
                "version": sla.policy_version,
                "time_zone": policy.calendar.time_zone.name(),
                "status": sla.status(now).code(),
                "status_label": sla.status(now).label(),
                "clocks": redress_store::sla::ClockView::all(&sla, &policy, now),
            }),
        );
    }
    let breaches: Vec<serde_json::Value> = state
        .store
        .sla
        .breaches_of(reference)
        .await?
        .into_iter()
        .filter(|b| past.is_none_or(|at| b.due_at <= at))
        .map(|mut b| {
            if let Some(at) = past {
                // What was known then: not yet met, no cause yet.
                if b.met_at.is_some_and(|m| m > at) {
                    b.met_at = None;
                }
                if b.cause_at.is_some_and(|c| c > at) {
                    b.cause = None;
                    b.cause_by = None;
                    b.cause_at = None;
                }
            }
            let label = SlaClock::parse(&b.clock).map_or("", |c| c.label());
            let mut value = serde_json::to_value(&b).unwrap_or_default();
            value["label"] = label.into();
            value
        })
        .collect();
    context.insert("breaches", &breaches);
    Ok(())
}

/// The complaint's clocks as its events up to `at` set them, judged at `at` (what the SLA
/// projector and its scheduler had recorded then).
fn replay_sla(
    events: &[ComplaintEvent],
    policy: &redress_domain::SlaPolicy,
    version: u32,
    at: DateTime<Utc>,
) -> Option<redress_domain::ComplaintSla> {
    let (first, rest) = events.split_first()?;
    let ComplaintChange::ComplaintReceived {
        tier,
        priority,
        category,
        ..
    } = &first.change
    else {
        return None;
    };
    let mut sla = redress_domain::ComplaintSla::received(
        version,
        policy,
        *tier,
        *priority,
        category.clone(),
        first.occurred_at,
    );
    for event in rest {
        sla.advance(event.occurred_at);
        sla.apply(policy, event);
    }
    sla.advance(at);
    Some(sla)
}

/// The breach-cause form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CauseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    form_token: Option<String>,
    #[serde(default)]
    clock: String,
    #[serde(default)]
    cycle: String,
    #[serde(default)]
    cause: String,
}

/// POST /complaints/{reference}/sla/cause: records why a clock was breached. Only a breach
/// the SLA clocks know of can be explained.
pub(crate) async fn record_cause(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<String>,
    form: web::Form<CauseForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let reference_text = path.into_inner();
    let reference = Reference::parse(&reference_text).map_err(|_| AppError::NotFound)?;
    let clock = SlaClock::parse(&form.clock)
        .ok_or_else(|| AppError::BadForm(format!("{:?} is not an SLA clock.", form.clock)))?;
    let cycle: u32 = form
        .cycle
        .trim()
        .parse()
        .map_err(|_| AppError::BadForm(format!("{:?} is not a run number.", form.cycle)))?;
    if state
        .store
        .sla
        .breach(reference.as_str(), clock, cycle)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    if let Some(token) = &form.form_token
        && !state.store.forms.claim(token).await?
    {
        return Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/complaints/{reference}?resubmitted=1#sla"),
            ))
            .finish());
    }
    let command = ComplaintCommand::new(
        Actor::Staff(staff.0.member()),
        ComplaintAction::RecordBreachCause {
            clock,
            cycle,
            cause: form.cause.clone(),
        },
    );
    let result = state.store.complaints.execute(&reference, command).await;
    if result.is_err()
        && let Some(token) = &form.form_token
    {
        state.store.forms.release(token).await?;
    }
    let failed = |error: String, status: u16| {
        let mut values = BTreeMap::new();
        values.insert("clock".to_string(), clock.code().to_string());
        values.insert("cycle".to_string(), cycle.to_string());
        values.insert("cause".to_string(), form.cause.clone());
        (
            FailedForm {
                code: "breach_cause".into(),
                error,
                values,
            },
            status,
        )
    };
    let (failed, status) = match result {
        Ok(()) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/complaints/{reference}#sla")))
                .finish());
        }
        Err(CommandError::Rejected(rejection)) => failed(rejection.to_string(), 422),
        Err(CommandError::Conflict) => failed(CommandError::Conflict.to_string(), 409),
        Err(other) => return Err(other.into()),
    };
    render_page(
        &state,
        &staff,
        &session,
        &reference_text,
        false,
        Some(failed),
        status,
        None,
    )
    .await
}

fn labelled<T: Copy>(
    all: &[T],
    f: impl Fn(T) -> (&'static str, &'static str),
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| f(*v)).collect()
}

pub(crate) async fn show(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let oldest_first = query.order.as_deref() == Some("oldest");
    let failed = query.resubmitted.is_some().then(|| FailedForm {
        code: "resubmitted".into(),
        error: "That form had already been sent; nothing was done twice.".into(),
        values: BTreeMap::new(),
    });
    let past = match query.at.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => {
            let at = parse_moment(text, crate::viewer_zone(&staff))?;
            // The present (or a moment not yet come) is the live page.
            (at < state.store.sla.now()).then_some(at)
        }
    };
    render_page(
        &state,
        &staff,
        &session,
        &path,
        oldest_first,
        failed,
        200,
        past,
    )
    .await
}

/// Every field any action form may send; each action reads the ones it needs.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActionForm {
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// A field missing or malformed: said plainly, and shown beside the form.
struct FormProblem(String);

impl ActionForm {
    fn text(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    fn date(&self, name: &str, label: &str) -> Result<NaiveDate, FormProblem> {
        let value = self.text(name);
        if value.trim().is_empty() {
            return Err(FormProblem(format!("Choose {label}.")));
        }
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
            FormProblem(format!(
                "{label} must be a date like 2026-11-30, not {value:?}."
            ))
        })
    }

    fn choice<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, redress_domain::InvalidValue>,
    ) -> Result<T, FormProblem> {
        parse(&self.text(name)).map_err(|e| FormProblem(e.to_string()))
    }
}

async fn action_from_form(
    state: &AppState,
    kind: ActionKind,
    form: &ActionForm,
) -> Result<ComplaintAction, FormProblem> {
    Ok(match kind {
        ActionKind::Acknowledge => ComplaintAction::Acknowledge {
            apology: form.text("apology"),
        },
        ActionKind::RecordCustomerStatement => ComplaintAction::RecordCustomerStatement {
            channel: form.choice("channel", Channel::parse)?,
            statement: form.text("statement"),
        },
        ActionKind::RecordFact => ComplaintAction::RecordFact {
            fact: form.text("fact"),
            source: form.optional("source"),
        },
        ActionKind::ConcludeInvestigation => ComplaintAction::ConcludeInvestigation {
            findings: form.text("findings"),
        },
        ActionKind::CommitToAction => ComplaintAction::CommitToAction {
            action: form.text("action"),
            due_on: form.date("due_on", "the date it will be done by")?,
        },
        ActionKind::AssignOwner => {
            let id = Uuid::parse_str(form.text("owner_id").trim())
                .map_err(|_| FormProblem("Choose the person responsible.".into()))?;
            let account = state
                .store
                .accounts
                .get(id)
                .await
                .map_err(|e| FormProblem(format!("Staff accounts could not be read: {e}")))?
                .filter(|a| a.active)
                .ok_or_else(|| {
                    FormProblem("That member of staff does not exist or is deactivated.".into())
                })?;
            ComplaintAction::AssignOwner {
                owner: account.member(),
            }
        }
        ActionKind::SendProgressUpdate => ComplaintAction::SendProgressUpdate {
            message: form.text("message"),
            next_update_on: form.date("next_update_on", "the date of the next update")?,
        },
        ActionKind::WaitOnCustomer => ComplaintAction::WaitOnCustomer {
            request: form.text("request"),
        },
        ActionKind::RecordCustomerResponse => ComplaintAction::RecordCustomerResponse {
            response: form.text("response"),
        },
        ActionKind::Resolve => ComplaintAction::Resolve {
            outcome: form.choice("outcome", Outcome::parse)?,
            reasons: form.text("reasons"),
            remedy: form.optional("remedy"),
            redress_paid_cents: match form.optional("redress_paid") {
                None => None,
                Some(amount) => Some(parse_money(&amount)?),
            },
        },
        ActionKind::Close => ComplaintAction::Close,
        ActionKind::Reopen => ComplaintAction::Reopen {
            reason: form.text("reason"),
        },
        ActionKind::RecordSatisfaction => ComplaintAction::RecordSatisfaction {
            score: form
                .text("score")
                .trim()
                .parse()
                .map_err(|_| FormProblem("Choose a score from 1 to 5.".into()))?,
            comment: form.optional("comment"),
            would_change: form.optional("would_change"),
        },
        ActionKind::ChangePriority => ComplaintAction::ChangePriority {
            priority: form.choice("priority", Priority::parse)?,
        },
        ActionKind::ChangeCategory => ComplaintAction::ChangeCategory {
            category: form.text("category"),
        },
        ActionKind::RecordCommunication => ComplaintAction::RecordCommunication {
            direction: form.choice("direction", Direction::parse)?,
            channel: form.choice("channel", Channel::parse)?,
            summary: form.text("summary"),
        },
        ActionKind::ErasePersonalData => {
            return Err(FormProblem(
                "Personal data is erased from the customer's file, for all their complaints at once."
                    .into(),
            ));
        }
    })
}

/// Reads an amount like `24.99` or `24,99` into cents.
fn parse_money(amount: &str) -> Result<i64, FormProblem> {
    let problem = || {
        FormProblem(format!(
            "The redress paid must be an amount like 24.99, not {amount:?}."
        ))
    };
    let normalised = amount.trim().replace(',', ".");
    let (units, cents) = match normalised.split_once('.') {
        Some((units, cents)) if cents.len() <= 2 => (units, format!("{cents:0<2}")),
        Some(_) => return Err(problem()),
        None => (normalised.as_str(), "00".to_string()),
    };
    let units: i64 = units.parse().map_err(|_| problem())?;
    let cents: i64 = cents.parse().map_err(|_| problem())?;
    if units < 0 {
        return Err(FormProblem(
            "The redress paid cannot be negative; enter 0 or more.".into(),
        ));
    }
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .ok_or_else(problem)
}

pub(crate) async fn act(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let (reference_text, code) = path.into_inner();
    let kind = ActionKind::from_code(&code)
        .filter(|k| !NOT_ON_THE_PAGE.contains(k))
        .ok_or(AppError::NotFound)?;
    let reference = Reference::parse(&reference_text).map_err(|_| AppError::NotFound)?;
    let failed = |error: String| FailedForm {
        code: kind.code().to_string(),
        error,
        values: form.fields.clone(),
    };
    let token = form.fields.get("form_token").cloned();
    if let Some(token) = &token
        && !state.store.forms.claim(token).await?
    {
        return Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/complaints/{reference}?resubmitted=1#timeline"),
            ))
            .finish());
    }
    let release = |state: web::Data<AppState>, token: Option<String>| async move {
        if let Some(token) = token {
            state.store.forms.release(&token).await?;
        }
        Ok::<(), AppError>(())
    };
    let action = match action_from_form(&state, kind, &form).await {
        Ok(action) => action,
        Err(FormProblem(problem)) => {
            release(state.clone(), token).await?;
            return render_page(
                &state,
                &staff,
                &session,
                &reference_text,
                false,
                Some(failed(problem)),
                422,
                None,
            )
            .await;
        }
    };
    let command = ComplaintCommand::new(Actor::Staff(staff.0.member()), action);
    let result = state.store.complaints.execute(&reference, command).await;
    if result.is_err() {
        // A refused or failed form gives its token back, so the corrected form can be sent.
        release(state.clone(), token).await?;
    }
    match result {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/complaints/{reference}#timeline"),
            ))
            .finish()),
        Err(CommandError::Rejected(rejection)) => {
            render_page(
                &state,
                &staff,
                &session,
                &reference_text,
                false,
                Some(failed(rejection.to_string())),
                422,
                None,
            )
            .await
        }
        Err(CommandError::Conflict) => {
            render_page(
                &state,
                &staff,
                &session,
                &reference_text,
                false,
                Some(failed(CommandError::Conflict.to_string())),
                409,
                None,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// A complaint's words as a form or the API sends them; blank optional fields are absent.
/// (Staff intake, the public form and the JSON API all receive complaints through this.)
pub(crate) struct Intake<'a> {
    pub(crate) name: &'a str,
    pub(crate) phone: &'a str,
    pub(crate) company: &'a str,
    pub(crate) category: &'a str,
    pub(crate) summary: &'a str,
    pub(crate) description: &'a str,
    pub(crate) remedy: &'a str,
}

impl Intake<'_> {
    /// The complaint to receive (its reference is assigned on receipt).
    pub(crate) fn complaint(
        &self,
        email: CustomerEmail,
        language: Language,
        channel: Channel,
        priority: Priority,
    ) -> NewComplaint {
        let given = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
        NewComplaint {
            reference: Reference::parse("RDR-0000-0000").expect("a well-formed placeholder"),
            customer: NewCustomer {
                name: self.name.to_string(),
                email,
                phone: given(self.phone),
                language,
            },
            company: given(self.company),
            tier: Tier::Standard,
            channel,
            category: self.category.to_string(),
            summary: self.summary.to_string(),
            description: self.description.to_string(),
            remedy_requested: given(self.remedy),
            priority,
        }
    }
}

/// The intake form's fields, kept when it is shown again.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct NewComplaintForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    remedy: String,
    #[serde(default)]
    priority: String,
    #[serde(default, skip_serializing)]
    form_token: Option<String>,
}

async fn render_new(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    form: &NewComplaintForm,
    errors: &BTreeMap<&'static str, String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(staff, session)?;
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert(
        "fields",
        &[
            ("name", "Customer's name", "text", true),
            ("email", "Customer's email", "email", true),
            ("phone", "Phone (optional)", "tel", false),
            ("company", "Company (optional)", "text", false),
            ("category", "Category", "text", true),
            ("summary", "Summary (one line)", "text", true),
        ],
    );
    context.insert("languages", &Language::options());
    context.insert(
        "channels",
        &labelled(&[Channel::Phone, Channel::InPerson, Channel::Email], |c| {
            (c.code(), c.label())
        }),
    );
    context.insert("priorities", &Priority::options());
    render(state, "complaints/new.html", &context, status)
}

pub(crate) async fn new_form(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let form = NewComplaintForm {
        language: "en".into(),
        channel: "phone".into(),
        priority: "normal".into(),
        ..NewComplaintForm::default()
    };
    render_new(&state, &staff, &session, &form, &BTreeMap::new(), 200).await
}

/// Which form field a domain refusal is about.
pub(crate) fn field_of(error: &ComplaintError) -> &'static str {
    let field = match error {
        ComplaintError::Empty { field }
        | ComplaintError::TooLong { field, .. }
        | ComplaintError::MultiLine { field } => *field,
        _ => "",
    };
    match field {
        "The customer's name" => "name",
        "The phone number" => "phone",
        "The company" => "company",
        "The category" => "category",
        "The summary" => "summary",
        "What happened" => "description",
        "What the customer would like" => "remedy",
        _ => "form",
    }
}

pub(crate) async fn create(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    form: web::Form<NewComplaintForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let form = form.into_inner();
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    let email = CustomerEmail::parse(&form.email)
        .map_err(|e| errors.insert("email", e.to_string()))
        .ok();
    let language = Language::parse(&form.language)
        .map_err(|e| errors.insert("language", e.to_string()))
        .ok();
    let channel = Channel::parse(&form.channel)
        .map_err(|e| errors.insert("channel", e.to_string()))
        .ok();
    let priority = Priority::parse(&form.priority)
        .map_err(|e| errors.insert("priority", e.to_string()))
        .ok();
    let (Some(email), Some(language), Some(channel), Some(priority)) =
        (email, language, channel, priority)
    else {
        return render_new(&state, &staff, &session, &form, &errors, 422).await;
    };
    if let Some(token) = &form.form_token
        && !state.store.forms.claim(token).await?
    {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/complaints?resubmitted=1"))
            .finish());
    }
    let new = Intake {
        name: &form.name,
        phone: &form.phone,
        company: &form.company,
        category: &form.category,
        summary: &form.summary,
        description: &form.description,
        remedy: &form.remedy,
    }
    .complaint(email, language, channel, priority);
    match state
        .store
        .complaints
        .receive(Actor::Staff(staff.0.member()), new)
        .await
    {
        Ok(reference) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/complaints/{reference}")))
            .finish()),
        Err(CommandError::Rejected(rejection)) => {
            if let Some(token) = &form.form_token {
                state.store.forms.release(token).await?;
            }
            errors.insert(field_of(&rejection), rejection.to_string());
            render_new(&state, &staff, &session, &form, &errors, 422).await
        }
        Err(other) => {
            if let Some(token) = &form.form_token {
                state.store.forms.release(token).await?;
            }
            Err(other.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_read_in_cents() {
        let ok = |s: &str| parse_money(s).ok();
        assert_eq!(ok("24.99"), Some(2499));
        assert_eq!(ok("24,9"), Some(2490));
        assert_eq!(ok("7"), Some(700));
        assert_eq!(ok(" 0.05 "), Some(5));
        assert_eq!(ok("1.234"), None);
        assert_eq!(ok("-3"), None);
        assert_eq!(ok("ten"), None);
        assert_eq!(ok("99999999999999999999"), None);
    }
}
