//! Passwords: each person changes their own (`/account/password`, with the current one), and
//! an admin sets a temporary one for someone who lost theirs (`/admin/users/{id}/password`),
//! which must be changed at the next sign-in before anything else. Both end the person's
//! sessions (a stolen session dies with the old password) and are in the audit trail.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use redress_store::AuditAction;
use redress_store::accounts::{self, AccountError};
use serde::Deserialize;

use crate::admin::users::account_refusal;
use crate::auth::{CurrentStaff, account_in_path, csrf_protected};
use crate::error::AppError;
use crate::locale::text;
use crate::security::audit;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// Hashes a password off the async threads (argon2id is slow on purpose).
async fn hashed(password: String) -> Result<Result<String, AccountError>, AppError> {
    web::block(move || accounts::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

/// Shows the own-password page, with `error` beside the form.
async fn own_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    error: Option<String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(staff, session)?;
    context.insert("must_change", &staff.0.must_change_password);
    context.insert("error", &error);
    render(state, "account/password.html", &context, status)
}

/// GET /account/password
pub(crate) async fn own_form(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
) -> Result<HttpResponse, AppError> {
    own_page(&state, &staff, &session, None, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct OwnForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// POST /account/password: the current password, then the new one twice.
pub(crate) async fn change_own(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<OwnForm>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let Some((_, hash)) = state.store.accounts.credentials(&staff.0.email).await? else {
        return Err(AppError::NotFound);
    };
    let current = form.current.clone();
    let matches = web::block(move || accounts::verify_password(&hash, &current))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let language = staff.language();
    let refusal = if !matches {
        Some("note-current-wrong")
    } else if form.new != form.confirm {
        Some("note-confirmation-differs")
    } else if form.new == form.current {
        Some("note-same-password")
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let refusal = text(language, refusal);
        return own_page(&state, &staff, &session, Some(refusal), 422).await;
    }
    let hash = match hashed(form.new).await? {
        Ok(hash) => hash,
        Err(AccountError::Store(error)) => return Err(error.into()),
        Err(error) => {
            let refusal = account_refusal(language, &error);
            return own_page(&state, &staff, &session, Some(refusal), 422).await;
        }
    };
    state
        .store
        .accounts
        .set_password(staff.0.id, &hash, false)
        .await
        .map_err(account_error)?;
    let ended = state.store.sessions.end_all(staff.0.id).await?;
    audit(
        &state,
        &request,
        &staff,
        AuditAction::PasswordChanged,
        &staff.0.email,
        &format!("{ended} session(s) ended"),
    )
    .await?;
    session.purge();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/sign-in?changed=1"))
        .finish())
}

/// Shows the admin's page for setting someone's temporary password.
async fn reset_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    account: &redress_store::StaffAccount,
    error: Option<String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(staff, session)?;
    context.insert("account", account);
    context.insert("error", &error);
    render(state, "admin/password.html", &context, status)
}

/// GET /admin/users/{id}/password
pub(crate) async fn reset_form(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = account_in_path(&state, &path).await?;
    reset_page(&state, &staff, &session, &account, None, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

/// POST /admin/users/{id}/password: a temporary password, to be changed at the next sign-in.
pub(crate) async fn reset(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<ResetForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = account_in_path(&state, &path).await?;
    if account.id == staff.0.id {
        let refusal = text(staff.language(), "note-own-password-elsewhere");
        return reset_page(&state, &staff, &session, &account, Some(refusal), 422).await;
    }
    let hash = match hashed(form.password).await? {
        Ok(hash) => hash,
        Err(AccountError::Store(error)) => return Err(error.into()),
        Err(error) => {
            return reset_page(
                &state,
                &staff,
                &session,
                &account,
                Some(account_refusal(staff.language(), &error)),
                422,
            )
            .await;
        }
    };
    state
        .store
        .accounts
        .set_password(account.id, &hash, true)
        .await
        .map_err(account_error)?;
    let ended = state.store.sessions.end_all(account.id).await?;
    tracing::info!(admin = %staff.0.id, account = %account.id, "temporary password set");
    audit(
        &state,
        &request,
        &staff,
        AuditAction::PasswordReset,
        &account.email,
        &format!("to be changed at the next sign-in; {ended} session(s) ended"),
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/users?done=password"))
        .finish())
}

fn account_error(error: AccountError) -> AppError {
    match error {
        AccountError::Store(error) => error.into(),
        AccountError::NotFound => AppError::NotFound,
        other => AppError::Internal(other.into()),
    }
}

csrf_protected!(OwnForm, ResetForm);
