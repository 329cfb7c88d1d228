//! The JSON API for integrations (`/api/v1`), described by the OpenAPI document served at
//! `/api/openapi.json`: file a complaint, read one complaint's status, list complaints.
//! Authenticated with `Authorization: Bearer rdr_…` tokens that admins create and revoke.
//! Every error is JSON: `{"error": "what to fix"}`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, NaiveDate, Utc};
use redress_domain::{
    Actor, Channel, ComplaintChange, CustomerEmail, Language, Priority, Reference,
};
use redress_store::{ApiToken, CommandError, ComplaintListRow, QueueCursor, QueueFilter};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::complaints::Intake;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// The OpenAPI document.
const OPENAPI: &str = include_str!("../../../static/openapi.json");

/// An API error: a status and what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Seconds to wait (429).
    retry_after: Option<i64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"redress\""));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(ErrorBody {
            error: &self.message,
        })
    }
}

impl From<redress_store::StoreError> for ApiError {
    fn from(error: redress_store::StoreError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "api: database unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is unavailable; try again shortly.",
            )
        } else {
            tracing::error!(%error, "api: storage failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "No such complaint."),
            CommandError::Rejected(rejection) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, rejection.to_string())
            }
            CommandError::Conflict => ApiError::new(StatusCode::CONFLICT, error.to_string()),
            CommandError::Unavailable(_) => {
                tracing::warn!(error = %redress_store::chain(&error), "api: database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is unavailable; try again shortly.",
                )
            }
            CommandError::Storage(_) => {
                tracing::error!(error = %redress_store::chain(&error), "api: a command failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
            }
        }
    }
}

/// API requests one token may make per minute (the app's data).
#[derive(Debug, Clone, Copy)]
pub struct ApiRate(pub i64);

/// The integration calling, known by its token. Every use is counted against the token's
/// rate (429 beyond it) and recorded in the audit trail.
#[derive(Debug, Clone)]
pub struct ApiClient(pub ApiToken);

impl FromRequest for ApiClient {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let per_minute = req.app_data::<web::Data<ApiRate>>().map_or(600, |r| r.0);
        let address = crate::security::client_address(req);
        let what = format!("{} {}", req.method(), req.path());
        Box::pin(async move {
            let unauthorized = || {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "Send an API token as `Authorization: Bearer rdr_…`; admins create them at /admin/api-tokens.",
                )
            };
            let state = state.ok_or_else(|| ApiError::bad_request("no state"))?;
            let token = token.ok_or_else(unauthorized)?;
            let Some(found) = state.store.api_tokens.authenticate(&token).await? else {
                return Err(unauthorized());
            };
            let now = state.store.clock.now();
            let this_minute = state
                .store
                .rate_limits
                .count_hit(&format!("api:{}", found.id), now, 60)
                .await?;
            if this_minute > per_minute {
                // The count starts again with the next minute (the window's).
                let wait = 60 - now.timestamp().rem_euclid(60);
                return Err(ApiError {
                    retry_after: Some(wait),
                    ..ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        format!(
                            "Too many requests: one token may make {per_minute} a minute. Try \
                             again in {wait} s."
                        ),
                    )
                });
            }
            // Recorded once a minute per token (its first request of the minute): the
            // trail shows who used the API when, without a row per request.
            if this_minute == 1 {
                state
                    .store
                    .audit
                    .record(
                        now,
                        redress_store::AuditAction::TokenUsed,
                        &redress_store::AuditActor::token(found.id, &found.name),
                        &found.name,
                        &format!("{what} (the token's first request this minute)"),
                        &address,
                    )
                    .await?;
            }
            Ok(ApiClient(found))
        })
    }
}

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
struct Filed {
    reference: String,
    status_url: String,
}

/// POST /api/v1/complaints
pub(crate) async fn create(
    state: web::Data<AppState>,
    client: ApiClient,
    body: web::Json<NewComplaintBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
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
    let by = Actor::System {
        name: format!("API: {}", client.0.name),
    };
    let reference = state.store.complaints.receive(by, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/complaints/{reference}")))
        .json(Filed {
            status_url: format!("/api/v1/complaints/{reference}"),
            reference: reference.to_string(),
        }))
}

/// A complaint's status, as integrations read it (no personal data).
#[derive(Debug, Serialize)]
pub(crate) struct ComplaintStatus {
    reference: String,
    status: String,
    next_step: Option<String>,
    steps_done: Vec<&'static str>,
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
    _client: ApiClient,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "No complaint has this reference.");
    let reference = Reference::parse(&path).map_err(|_| not_found())?;
    let events = state.store.complaints.events_of(&reference).await?;
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
    let status = ComplaintStatus {
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
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(status))
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
    _client: ApiClient,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
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

/// GET /api/openapi.json: the document, with the codes of the categories offered now as the
/// only values a new complaint's `category` takes.
pub(crate) async fn openapi(
    state: web::Data<AppState>,
) -> Result<HttpResponse, crate::error::AppError> {
    let mut document: serde_json::Value = serde_json::from_str(OPENAPI).map_err(|e| {
        crate::error::AppError::Internal(format!("static/openapi.json: {e}").into())
    })?;
    let map = state.store.categories.map().await?;
    let codes: Vec<&str> = map.offered().map(|c| c.code.as_str()).collect();
    let words: Vec<String> = map
        .offered()
        .map(|c| {
            format!(
                "`{}` ({})",
                c.code,
                c.names.first().map_or("", String::as_str)
            )
        })
        .collect();
    if let Some(category) =
        document.pointer_mut("/components/schemas/NewComplaint/properties/category")
    {
        *category = serde_json::json!({
            "type": "string",
            "enum": codes,
            "description": format!(
                "The code of one of the categories admins keep on /categories: {}. Another \
                 value is refused (422) with the list of codes.",
                words.join(", ")
            ),
        });
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(document))
}

/// How a JSON body that cannot be read is answered.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_JSON_BYTES)
        .error_handler(|error, _| {
            use actix_web::error::JsonPayloadError;
            let api = match &error {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("The body is larger than {MAX_JSON_BYTES} bytes."),
                ),
                JsonPayloadError::ContentType => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send JSON with Content-Type: application/json.",
                ),
                other => ApiError::bad_request(format!("The JSON body cannot be read: {other}")),
            };
            api.into()
        })
}

/// How bad query parameters are answered on the API.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _| ApiError::bad_request(error.to_string()).into())
}
