//! Corrective actions (`/causes/actions`, managers): what will change so that a root cause
//! brings fewer complaints, who owns it and by when, tracked until done. The causes report
//! (`/reports/causes`) shows each beside its cause's complaints before and after it was
//! opened.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use redress_store::AuditAction;
use redress_store::root_causes::CauseError;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{CsrfForm, csrf_protected};
use crate::error::AppError;
use crate::signed::Signed;

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    cause_name: String,
    what: String,
    owner_name: String,
    due_on: NaiveDate,
    done_at: Option<DateTime<Utc>>,
    done_on: String,
}

#[derive(Debug, Serialize)]
struct ActionsView {
    actions: Vec<Row>,
    /// (code, name) of the causes offered.
    causes: Vec<(String, String)>,
    /// (id, name) of the people who can own an action.
    owners: Vec<(String, String)>,
    chosen: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    signed: &Signed<impl Sized>,
    notice: Option<String>,
    error: Option<String>,
    chosen: &str,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let language = signed.staff.language();
    let list = state.store.root_causes.list().await?;
    let name_of = |code: &str| {
        list.iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name(language).to_string())
    };
    let actions = state
        .store
        .root_causes
        .actions()
        .await?
        .into_iter()
        .map(|a| Row {
            id: a.id.to_string(),
            cause_name: name_of(&a.cause),
            what: a.what,
            owner_name: a.owner_name,
            due_on: a.due_on,
            done_at: a.done_at,
            done_on: a
                .done_at
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default(),
        })
        .collect();
    let view = ActionsView {
        actions,
        causes: list
            .iter()
            .filter(|c| !c.retired)
            .map(|c| (c.code.clone(), c.name(language).to_string()))
            .collect(),
        owners: state
            .store
            .accounts
            .active()
            .await?
            .into_iter()
            .map(|a| (a.id.to_string(), a.name))
            .collect(),
        chosen: chosen.to_string(),
        notice,
        error,
    };
    crate::page::Page::new(&signed.staff, &signed.session, view)?.render(
        state,
        "causes/actions.html",
        status,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActionsQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    cause: Option<String>,
}

/// GET /causes/actions
pub(crate) async fn list(
    state: web::Data<AppState>,
    me: Signed,
    query: web::Query<ActionsQuery>,
) -> Result<HttpResponse, AppError> {
    let language = me.staff.language();
    let notice = match query.done.as_deref() {
        Some("opened") => Some(crate::locale::text(language, "actions-opened")),
        Some("done") => Some(crate::locale::text(language, "actions-done")),
        _ => None,
    };
    let chosen = query.cause.clone().unwrap_or_default();
    render(&state, &me, notice, None, &chosen, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_on: String,
}

fn back(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/causes/actions?done={done}")))
        .finish()
}

/// POST /causes/actions: a new corrective action (managers).
pub(crate) async fn open(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    signed: Signed<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let form = &signed.form;
    let language = signed.staff.language();
    let refuse = |message: String| render(&state, &signed, None, Some(message), &form.cause, 422);
    let owner = uuid::Uuid::parse_str(form.owner.trim())
        .ok()
        .map(|id| state.store.accounts.get(id));
    let owner = match owner {
        Some(found) => found.await?.filter(|a| a.active),
        None => None,
    };
    let Some(owner) = owner else {
        return refuse(crate::locale::text(language, "actions-bad-owner")).await;
    };
    let Ok(due_on) = NaiveDate::parse_from_str(form.due_on.trim(), "%Y-%m-%d") else {
        return refuse(crate::locale::text(language, "actions-bad-due")).await;
    };
    let opened = state
        .store
        .root_causes
        .open_action(
            form.cause.trim(),
            &form.what,
            (owner.id, &owner.name),
            due_on,
            &signed.staff.0.name,
            state.store.clock.now(),
        )
        .await;
    match opened {
        Ok(_) => {}
        Err(CauseError::Store(error)) => return Err(error.into()),
        Err(refused) => return refuse(refused.to_string()).await,
    }
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::CorrectiveActionChanged,
        form.cause.trim(),
        &format!(
            "opened for {} by {due_on}: {}",
            owner.name,
            form.what.trim().chars().take(200).collect::<String>()
        ),
    )
    .await?;
    Ok(back("opened"))
}

/// POST /causes/actions/{id}/done (managers).
pub(crate) async fn done(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    path: web::Path<String>,
    signed: Signed<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let id = uuid::Uuid::parse_str(path.trim()).map_err(|_| AppError::NotFound)?;
    match state
        .store
        .root_causes
        .finish_action(id, state.store.clock.now())
        .await
    {
        // Done before (the form sent twice): nothing more to record.
        Ok(false) => return Ok(back("done")),
        Ok(true) => {}
        Err(CauseError::UnknownAction) => return Err(AppError::NotFound),
        Err(CauseError::Store(error)) => return Err(error.into()),
        Err(other) => return Err(AppError::Rejected(other.to_string())),
    }
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::CorrectiveActionChanged,
        &id.to_string(),
        "done",
    )
    .await?;
    Ok(back("done"))
}

csrf_protected!(ActionForm);
