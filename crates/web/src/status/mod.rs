//! The customer's status page, reached from the signed, expiring link in every email (no
//! account), in the customer's language: which of the six steps are done, who is responsible,
//! what we committed to and by when, when they will next hear from us, and every message of
//! the conversation the customer may read (the domain decides which:
//! [`redress_domain::for_customer`]; nothing staff wrote for each other is here). A form adds
//! words and files; once the complaint is closed, the satisfaction survey. An expired or
//! changed link gets a page that offers a fresh link by email, sent only to the complaint's
//! own address.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use redress_domain::{
    Actor, AttachedFile, Channel, Complaint, ComplaintAction, ComplaintChange, ComplaintCommand,
    ComplaintEvent, CustomerEmail, Language, Reference, Said, Step, for_customer,
};
use redress_store::{CommandError, LinkError, OpenError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Checked, check_csrf, csrf_protected, csrf_token};
use crate::complaints::{Opener, load, opener_for};
use crate::error::AppError;
use crate::locale::{self, text, text_with};
use crate::{AppState, render};

mod forms;
mod view;

pub(crate) use forms::{add, fresh_link, survey};
use view::*;
pub(crate) use view::{Message, messages};

/// Fresh links one client address may ask for per hour.
pub const MAX_LINK_REQUESTS: i64 = 5;

/// Longest text a customer adds at once.
const MAX_ADDITION: usize = 20_000;

/// The language a request asks for with `?lang=`, or its browser's.
fn asked(request: &HttpRequest, query: Option<&str>) -> Language {
    locale::chosen(
        query,
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// What a link opens: the complaint, or the page saying why not (in `language`).
async fn open(
    state: &AppState,
    session: &Session,
    token: &str,
    language: Language,
) -> Result<Result<Reference, HttpResponse>, AppError> {
    match state.store.links.open(token, Utc::now()) {
        Ok(reference) => Ok(Ok(reference)),
        Err(error) => {
            let (status, expired, reference) = match error {
                LinkError::Expired(reference) => (410, true, Some(reference.to_string())),
                LinkError::Invalid => (404, false, None),
            };
            let mut context = customer_context(language);
            context.insert("csrf", &csrf_token(session)?);
            context.insert("expired", &expired);
            context.insert("reference", &reference);
            context.insert("sent", &false);
            Ok(Err(render(state, "public/link.html", &context, status)?))
        }
    }
}

/// The context every customer page starts from: its language and the switch.
pub(crate) fn customer_context(language: Language) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    context.insert("languages", &locale::switch());
    context
}

#[derive(Debug, Default, Serialize)]
struct Refusal {
    form: &'static str,
    message: String,
    text: String,
}

#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a different thing the caller holds; a struct for one call would only rename them"
)]
async fn render_status(
    state: &AppState,
    session: &Session,
    token: &str,
    reference: &Reference,
    asked: Option<Language>,
    notice: Option<&str>,
    refusal: Refusal,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let (_, events, complaint) = load(state, reference.as_str()).await?;
    let customer = complaint
        .customer()
        .ok_or_else(|| AppError::Internal("a complaint without a customer".into()))?;
    let language = asked.unwrap_or_else(|| language_of(&events));
    if complaint.personal_data_erased() {
        // As a link that opens nothing: a customer's page, in their language, with no way
        // into the staff's pages.
        let mut context = customer_context(language);
        context.insert("csrf", &csrf_token(session)?);
        context.insert("expired", &false);
        context.insert("reference", &None::<String>);
        context.insert("sent", &false);
        return render(state, "public/link.html", &context, 404);
    }
    let opener = opener_for(state, customer).await?;
    let next_update = events.iter().rev().find_map(|e| match &e.change {
        ComplaintChange::ProgressUpdateSent { next_update_on, .. } => Some(*next_update_on),
        _ => None,
    });
    let mut context = customer_context(language);
    context.insert("csrf", &csrf_token(session)?);
    context.insert("token", token);
    context.insert("reference", reference.as_str());
    context.insert("steps", &steps(language, &events, &complaint));
    context.insert(
        "status_label",
        &text(language, &format!("status-{}", complaint.status().code())),
    );
    context.insert("closed", &complaint.progress().closed);
    context.insert("owner", &complaint.owner().map(|o| o.name.clone()));
    context.insert(
        "commitment",
        &complaint.commitment().map(|c| {
            serde_json::json!({
                "action": c.action,
                "due": locale::date(language, c.due_on),
                "due_on": c.due_on,
            })
        }),
    );
    context.insert(
        "next_update",
        &next_update.map(|d| serde_json::json!({ "words": locale::date(language, d), "date": d })),
    );
    context.insert(
        "outcome",
        &complaint
            .outcome()
            .map(|o| text(language, &format!("outcome-{}", o.code()))),
    );
    context.insert(
        "messages",
        &messages(language, &state.currency, &events, &opener),
    );
    context.insert(
        "survey_open",
        &(complaint.progress().closed && !satisfaction_given(&events)),
    );
    context.insert("survey_done", &satisfaction_given(&events));
    context.insert("notice", &notice.map(|key| text(language, key)));
    context.insert("refusal", &refusal);
    context.insert("max_files", &state.uploads.max_files);
    context.insert("max_file_mb", &state.uploads.max_file_mb());
    render(state, "public/status.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

fn chosen_language(lang: Option<&str>) -> Option<Language> {
    lang.and_then(|l| Language::parse(l).ok())
}

/// GET /status/{token}
pub(crate) async fn page(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let reference = match open(
        &state,
        &session,
        &token,
        asked(&request, query.lang.as_deref()),
    )
    .await?
    {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let notice = match query.done.as_deref() {
        Some("added") => Some("add-done"),
        Some("rated") => Some("survey-done"),
        _ => None,
    };
    render_status(
        &state,
        &session,
        &token,
        &reference,
        chosen_language(query.lang.as_deref()),
        notice,
        Refusal::default(),
        200,
    )
    .await
}

fn back_to(token: &str, lang: Option<Language>, done: &str, anchor: &str) -> HttpResponse {
    let lang = lang.map_or(String::new(), |l| format!("&lang={}", l.code()));
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/status/{token}?done={done}{lang}{anchor}"),
        ))
        .finish()
}

/// GET /status/{token}/files/{id}: a file of the conversation the customer may read (a
/// reply's, or their own), to save.
pub(crate) async fn file(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, id) = path.into_inner();
    let language = asked(&request, None);
    let reference = match open(&state, &session, &token, language).await? {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let (_, events, complaint) = load(&state, reference.as_str()).await?;
    let customer = complaint.customer().ok_or(AppError::NotFound)?;
    // Only what the customer may read: the domain's view lists it.
    let meta = for_customer(&events)
        .into_iter()
        .find_map(|entry| match entry.said {
            Said::Reply { attachments, .. } | Said::Files(attachments) => {
                attachments.iter().find(|f| f.id == id).cloned()
            }
            _ => None,
        });
    let Some(meta) = meta else {
        return Err(AppError::NotFound);
    };
    let opened = match state.store.attachments.open(id).await? {
        Some(Ok(opened)) if opened.reference == reference.as_str() => opened,
        Some(Err(OpenError::Erased)) | None | Some(Ok(_)) => return Err(AppError::NotFound),
        Some(Err(OpenError::Damaged)) => {
            return Err(AppError::Internal(
                format!("file {id} does not open").into(),
            ));
        }
    };
    let opener = opener_for(&state, customer).await?;
    Ok(crate::emails::download(
        &opener.open(&meta.name),
        &meta.content_type,
        opened.bytes,
    ))
}
