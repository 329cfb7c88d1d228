//! The customer's status page, reached from the signed, expiring link in every email (no
//! account): which of the six steps are done, who is responsible, what we committed to and by
//! when, when they will next hear from us, every message we sent; a form to add information
//! (an event, shown to staff as the customer's words) and, once the complaint is closed, the
//! satisfaction survey. An expired or changed link gets a page that offers a fresh link by
//! email, sent only to the complaint's own address.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, NaiveDate, Utc};
use redress_domain::{
    ActionKind, Actor, Channel, Complaint, ComplaintAction, ComplaintChange, ComplaintCommand,
    ComplaintEvent, CustomerEmail, Direction, Reference,
};
use redress_store::{CommandError, LinkError};
use serde::{Deserialize, Serialize};

use crate::auth::{check_csrf, csrf_token};
use crate::complaints::{
    TimelineEntry, communication_direction, load, opener_for, steps, timeline_entry,
};
use crate::error::AppError;
use crate::{AppState, render};

/// Fresh links one client address may ask for per hour.
pub const MAX_LINK_REQUESTS: i64 = 5;

/// Longest text a customer adds at once.
const MAX_ADDITION: usize = 20_000;

/// A message we sent, or something they told us, as the customer sees it.
#[derive(Debug, Serialize)]
struct Message {
    from_us: bool,
    #[serde(flatten)]
    entry: TimelineEntry,
}

fn next_update(events: &[ComplaintEvent]) -> Option<NaiveDate> {
    events.iter().rev().find_map(|e| match &e.change {
        ComplaintChange::ProgressUpdateSent { next_update_on, .. } => Some(*next_update_on),
        _ => None,
    })
}

fn satisfaction_given(events: &[ComplaintEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e.change, ComplaintChange::SatisfactionRecorded { .. }))
}

/// What a link opens: the complaint, or the page saying why not.
async fn open(
    state: &AppState,
    session: &Session,
    token: &str,
) -> Result<Result<Reference, HttpResponse>, AppError> {
    match state.store.links.open(token, Utc::now()) {
        Ok(reference) => Ok(Ok(reference)),
        Err(error) => {
            let (status, expired, reference) = match error {
                LinkError::Expired(reference) => (410, true, Some(reference.to_string())),
                LinkError::Invalid => (404, false, None),
            };
            let mut context = tera::Context::new();
            context.insert("csrf", &csrf_token(session)?);
            context.insert("expired", &expired);
            context.insert("reference", &reference);
            context.insert("sent", &false);
            Ok(Err(render(state, "public/link.html", &context, status)?))
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct Refusal {
    form: &'static str,
    message: String,
    text: String,
}

async fn render_status(
    state: &AppState,
    session: &Session,
    token: &str,
    reference: &Reference,
    notice: Option<&str>,
    refusal: Refusal,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let (_, events, complaint) = load(state, reference.as_str()).await?;
    let customer = complaint
        .customer()
        .ok_or_else(|| AppError::Internal("a complaint without a customer".into()))?;
    if complaint.personal_data_erased() {
        return Err(AppError::NotFound);
    }
    let opener = opener_for(state, customer).await?;
    let messages: Vec<Message> = events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| {
            communication_direction(&event.change).map(|direction| Message {
                from_us: direction == Direction::Outbound,
                entry: timeline_entry(i + 1, event, &opener),
            })
        })
        .rev()
        .collect();
    let mut context = tera::Context::new();
    context.insert("csrf", &csrf_token(session)?);
    context.insert("token", token);
    context.insert("reference", reference.as_str());
    context.insert("steps", &steps(&events, &complaint));
    context.insert("status", &complaint.status().code().replace('_', " "));
    context.insert("closed", &complaint.progress().closed);
    context.insert("owner", &complaint.owner().map(|o| o.name.clone()));
    context.insert("commitment", &complaint.commitment());
    context.insert("next_update", &next_update(&events));
    context.insert("outcome", &complaint.outcome().map(|o| o.label()));
    context.insert("messages", &messages);
    context.insert(
        "survey_open",
        &(complaint.progress().closed && !satisfaction_given(&events)),
    );
    context.insert("survey_done", &satisfaction_given(&events));
    context.insert("notice", &notice);
    context.insert("refusal", &refusal);
    render(state, "public/status.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /status/{token}
pub(crate) async fn page(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let reference = match open(&state, &session, &token).await? {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let notice = match query.done.as_deref() {
        Some("added") => {
            Some("Thank you: what you added is now with the person handling your complaint.")
        }
        Some("rated") => Some("Thank you for telling us how we did."),
        _ => None,
    };
    render_status(
        &state,
        &session,
        &token,
        &reference,
        notice,
        Refusal::default(),
        200,
    )
    .await
}

/// The command that carries what a customer adds, as the complaint stands: an answer to what
/// we asked while we wait on them, a statement while it is open, a recorded communication
/// after it is decided.
fn addition(complaint: &Complaint, text: String) -> Option<ComplaintAction> {
    let candidates = [
        (
            ActionKind::RecordCustomerResponse,
            ComplaintAction::RecordCustomerResponse {
                response: text.clone(),
            },
        ),
        (
            ActionKind::RecordCustomerStatement,
            ComplaintAction::RecordCustomerStatement {
                channel: Channel::WebForm,
                statement: text.clone(),
            },
        ),
        (
            ActionKind::RecordCommunication,
            ComplaintAction::RecordCommunication {
                direction: Direction::Inbound,
                channel: Channel::WebForm,
                summary: text,
            },
        ),
    ];
    candidates
        .into_iter()
        .find(|(kind, _)| complaint.check_allowed(*kind).is_ok())
        .map(|(_, action)| action)
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// POST /status/{token}/add
pub(crate) async fn add(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let token = path.into_inner();
    let reference = match open(&state, &session, &token).await? {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let form = form.into_inner();
    let refuse = |message: String, text: String| Refusal {
        form: "add",
        message,
        text,
    };
    if form.text.chars().count() > MAX_ADDITION {
        let refusal = refuse(
            format!("Please keep it under {MAX_ADDITION} characters, or send it in parts."),
            form.text,
        );
        return render_status(&state, &session, &token, &reference, None, refusal, 422).await;
    }
    let (_, _, complaint) = load(&state, reference.as_str()).await?;
    let Some(action) = addition(&complaint, form.text.clone()) else {
        let refusal = refuse(
            "This complaint cannot take more information now; please reply to one of our emails instead.".into(),
            form.text,
        );
        return render_status(&state, &session, &token, &reference, None, refusal, 422).await;
    };
    let command = ComplaintCommand::new(Actor::Customer, action);
    match state.store.complaints.execute(&reference, command).await {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/status/{token}?done=added#messages"),
            ))
            .finish()),
        Err(CommandError::Rejected(rejection)) => {
            let refusal = refuse(
                rejection
                    .to_string()
                    .replace("What the customer said", "What you write"),
                form.text,
            );
            render_status(&state, &session, &token, &reference, None, refusal, 422).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SurveyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    would_change: String,
}

/// POST /status/{token}/survey
pub(crate) async fn survey(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<SurveyForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let token = path.into_inner();
    let reference = match open(&state, &session, &token).await? {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let form = form.into_inner();
    let refuse = |message: &str| Refusal {
        form: "survey",
        message: message.to_string(),
        text: String::new(),
    };
    let score = match form.score.trim().parse::<u8>() {
        Ok(score @ 1..=5) => score,
        _ => {
            let refusal = refuse("Choose a score from 1 (very poor) to 5 (excellent).");
            return render_status(&state, &session, &token, &reference, None, refusal, 422).await;
        }
    };
    let (_, events, _) = load(&state, reference.as_str()).await?;
    if satisfaction_given(&events) {
        let refusal = refuse("You have already told us how we did: thank you.");
        return render_status(&state, &session, &token, &reference, None, refusal, 409).await;
    }
    let blank_to_none = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    let command = ComplaintCommand::new(
        Actor::Customer,
        ComplaintAction::RecordSatisfaction {
            score,
            comment: blank_to_none(&form.comment),
            would_change: blank_to_none(&form.would_change),
        },
    );
    match state.store.complaints.execute(&reference, command).await {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/status/{token}?done=rated")))
            .finish()),
        Err(CommandError::Rejected(rejection)) => {
            let refusal = refuse(&rejection.to_string());
            render_status(&state, &session, &token, &reference, None, refusal, 422).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct FreshLinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    email: String,
}

/// POST /status/fresh-link: queues an email with a fresh link when the address is the
/// complaint's own. The answer is the same either way, so it tells nobody whose complaint
/// it is.
pub(crate) async fn fresh_link(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: web::Form<FreshLinkForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let client = format!("link:{}", crate::security::client_address(&request));
    let mut context = tera::Context::new();
    context.insert("csrf", &csrf_token(&session)?);
    context.insert("expired", &false);
    context.insert("reference", &form.reference.trim());
    let recent = state
        .store
        .public_intake
        .recent(&client, Utc::now() - Duration::hours(1))
        .await?;
    if recent >= MAX_LINK_REQUESTS {
        context.insert("sent", &false);
        context.insert(
            "error",
            "You have asked for several links within the hour; please try again later.",
        );
        return render(&state, "public/link.html", &context, 429);
    }
    state.store.public_intake.record(&client).await?;
    if let (Ok(reference), Ok(email)) = (
        Reference::parse(&form.reference),
        CustomerEmail::parse(&form.email),
    ) && let Some(customer) = state.store.vault.find_customer(&email).await?
        && let Some(row) = state.store.complaint_list.get(reference.as_str()).await?
        && row.customer_id == customer.0
        && !row.personal_data_erased
    {
        state
            .store
            .outbox
            .enqueue_link(&reference, customer, &row.language, Utc::now())
            .await?;
        state.store.projections.mail_due().notify();
        tracing::info!(%reference, "a fresh status link was asked for and queued");
    }
    context.insert("sent", &true);
    render(&state, "public/link.html", &context, 200)
}
