//! Filing a complaint, reading one, and listing them.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::{Channel, ComplaintChange, CustomerEmail, Language, Priority, Reference};
use redress_store::{ComplaintListRow, QueueCursor, QueueFilter, Scope};
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::idempotency::{self, Answer};
use super::{ApiClient, ApiError};
use crate::AppState;
use crate::complaints::Intake;

/// A complaint to file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewComplaintBody {
    name: String,
    email: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    company: Option<String>,
    category: String,
    summary: String,
    description: String,
    #[serde(default)]
    remedy: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    priority: Option<String>,
}

/// What filing answers.
#[derive(Debug, Serialize)]
pub(crate) struct Filed {
    reference: String,
    status_url: String,
}

/// POST /api/v1/complaints
pub(crate) async fn create(
    state: web::Data<AppState>,
    client: ApiClient,
    request: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    client.require(Scope::File)?;
    idempotency::once(&state, &client, &request, &body, || {
        file(&state, &client, &body)
    })
    .await
}

async fn file(state: &AppState, client: &ApiClient, body: &JsonBody) -> Result<Answer, ApiError> {
    let body: NewComplaintBody = body.parse()?;
    let email = CustomerEmail::parse(&body.email)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("email: {e}")))?;
    let language = match body.language.as_deref() {
        None => Language::En,
        Some(code) => Language::parse(code).map_err(|e| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("language: {e}"))
        })?,
    };
    let priority = match body.priority.as_deref() {
        None => Priority::Normal,
        Some(code) => Priority::parse(code).map_err(|e| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("priority: {e}"))
        })?,
    };
    let new = Intake {
        name: &body.name,
        phone: body.phone.as_deref().unwrap_or(""),
        company: body.company.as_deref().unwrap_or(""),
        category: &body.category,
        summary: &body.summary,
        description: &body.description,
        remedy: body.remedy.as_deref().unwrap_or(""),
    }
    .complaint(Some(email), language, Channel::Api, priority);
    let reference = state.store.complaints.receive(client.actor(), new).await?;
    let filed = Filed {
        status_url: format!("/api/v1/complaints/{reference}"),
        reference: reference.to_string(),
    };
    Ok(Answer {
        status: StatusCode::CREATED,
        location: Some(filed.status_url.clone()),
        body: serde_json::to_value(&filed).unwrap_or_default(),
    })
}

/// A complaint's status, as integrations read it (no personal data).
#[derive(Debug, Serialize)]
pub(crate) struct ComplaintStatus {
    reference: String,
    status: String,
    next_step: Option<String>,
    steps_done: Vec<&'static str>,
    allowed_actions: Vec<&'static str>,
    channel: String,
    category: String,
    priority: String,
    owner: Option<String>,
    received_at: DateTime<Utc>,
    commitment: Option<Commitment>,
    next_update_on: Option<NaiveDate>,
    outcome: Option<String>,
    updated_at: DateTime<Utc>,
    sla: Option<SlaStatus>,
}

/// Where a complaint stands against its service standards.
#[derive(Debug, Serialize)]
struct SlaStatus {
    state: &'static str,
    policy: String,
    policy_version: u32,
    clocks: Vec<SlaClockStatus>,
}

#[derive(Debug, Serialize)]
struct SlaClockStatus {
    clock: &'static str,
    run: u32,
    state: &'static str,
    target: Option<String>,
    started_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    met_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
struct Commitment {
    action: String,
    due_on: NaiveDate,
}

/// GET /api/v1/complaints/{reference}
pub(crate) async fn show(
    state: web::Data<AppState>,
    client: ApiClient,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    client.require(Scope::Read)?;
    let reference = Reference::parse(&path).map_err(|_| not_found())?;
    let status = status_of(&state, &reference).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(status))
}

/// 404: no complaint has the reference.
pub(crate) fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "No complaint has this reference.")
}

/// Where the complaint `reference` stands, as integrations read it.
pub(crate) async fn status_of(
    state: &AppState,
    reference: &Reference,
) -> Result<ComplaintStatus, ApiError> {
    let events = state.store.complaints.events_of(reference).await?;
    let Some(first) = events.first() else {
        return Err(not_found());
    };
    let complaint = redress_domain::Complaint::from_events(&events);
    let channel = match &first.change {
        ComplaintChange::ComplaintReceived { channel, .. } => channel.code().to_string(),
        _ => String::new(),
    };
    let progress = complaint.progress();
    let steps_done = [
        (progress.acknowledged, "acknowledge"),
        (
            progress.listened || progress.investigation_concluded,
            "listen",
        ),
        (progress.investigation_concluded, "establish_facts"),
        (progress.action_committed, "commit_to_action"),
        (progress.owner_named, "name_owner"),
        (progress.resolved, "resolve"),
        (progress.closed, "close"),
    ]
    .into_iter()
    .filter_map(|(done, code)| done.then_some(code))
    .collect();
    let next_update_on = events.iter().rev().find_map(|e| match &e.change {
        ComplaintChange::ProgressUpdateSent { next_update_on, .. } => Some(*next_update_on),
        _ => None,
    });
    let now = state.store.sla.now();
    let sla = state
        .store
        .sla
        .of_complaint(reference.as_str())
        .await?
        .map(|(sla, policy)| SlaStatus {
            state: sla.status(now).code(),
            policy: policy.name.clone(),
            policy_version: sla.policy_version,
            clocks: sla
                .clocks
                .iter()
                .map(|c| SlaClockStatus {
                    clock: c.clock.code(),
                    run: c.cycle,
                    state: c.status(now).code(),
                    target: c.target.map(|t| t.to_string()),
                    started_at: c.started_at,
                    due_at: c.due_at,
                    met_at: c.met_at,
                    breached_at: c.breached_at,
                })
                .collect(),
        });
    Ok(ComplaintStatus {
        allowed_actions: complaint
            .allowed_actions()
            .into_iter()
            .filter(|kind| super::actions::offered(*kind))
            .map(|kind| kind.code())
            .collect(),
        sla,
        reference: reference.to_string(),
        status: complaint.status().code().to_string(),
        next_step: (!progress.closed).then(|| progress.step().code().to_string()),
        steps_done,
        channel,
        category: complaint.category().to_string(),
        priority: complaint.priority().code().to_string(),
        owner: complaint.owner().map(|o| o.name.clone()),
        received_at: first.occurred_at,
        commitment: complaint.commitment().map(|c| Commitment {
            action: c.action.clone(),
            due_on: c.due_on,
        }),
        next_update_on,
        outcome: complaint.outcome().map(|o| o.code().to_string()),
        updated_at: events
            .last()
            .map(|e| e.occurred_at)
            .unwrap_or(first.occurred_at),
    })
}

/// The list's parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// One complaint in the list.
#[derive(Debug, Serialize)]
struct ListItem {
    reference: String,
    status: String,
    next_step: String,
    category: String,
    channel: String,
    priority: String,
    owner: Option<String>,
    company: Option<String>,
    received_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ComplaintListRow> for ListItem {
    fn from(row: ComplaintListRow) -> Self {
        Self {
            reference: row.reference,
            status: row.status,
            next_step: row.step,
            category: row.category,
            channel: row.channel,
            priority: row.priority,
            owner: row.owner_name,
            company: row.company,
            received_at: row.received_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
struct ListPage {
    complaints: Vec<ListItem>,
    next: Option<String>,
}

/// GET /api/v1/complaints
pub(crate) async fn list(
    state: web::Data<AppState>,
    client: ApiClient,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    client.require(Scope::Read)?;
    let query = query.into_inner();
    let statuses = match query.status.as_deref() {
        None | Some("active") => vec![],
        Some("all") => ["open", "waiting_on_customer", "resolved", "closed"]
            .map(String::from)
            .to_vec(),
        Some(status @ ("open" | "waiting_on_customer" | "resolved" | "closed")) => {
            vec![status.to_string()]
        }
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status {other:?} is not one of active, open, waiting_on_customer, resolved, closed, all"
            )));
        }
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 200"));
    }
    let after = match query.after.as_deref() {
        None => None,
        Some(text) => Some(QueueCursor::decode(text).ok_or_else(|| {
            ApiError::bad_request("after is not a cursor this API gave; start without it")
        })?),
    };
    // Only a place this API gave: a complaint listed, at the time it was received (the
    // list's order). Anything else would answer an empty page as if the list had ended.
    if let Some(cursor) = &after {
        let given = state
            .store
            .complaint_list
            .get(&cursor.reference)
            .await?
            .is_some_and(|row| row.received_at.timestamp_micros() == cursor.at.timestamp_micros());
        if !given {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "after names no place in the list this API gave; start without it",
            ));
        }
    }
    let filter = QueueFilter {
        statuses,
        ..QueueFilter::default()
    };
    let page = state
        .store
        .complaint_list
        .queue(&filter, Default::default(), after.as_ref(), limit)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ListPage {
            complaints: page.rows.into_iter().map(ListItem::from).collect(),
            next: page.next.map(|c| c.encode()),
        }))
}
